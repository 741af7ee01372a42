import { isIP } from 'node:net';
import { bufferHashSlot } from '../store/slot.js';
import { type Reply, OK, array, bulk, bulks, err, int, status } from '../resp/reply.js';
import type { CommandContext, CommandSpec } from './types.js';
import { type Subcommand, dispatchSubcommand, parseInteger } from './subcommands.js';
import { F } from '../topology/node-flags.js';
import { type ClusterNode, SLOTS, isMaster, randomNodeName } from '../topology/cluster-node.js';
import { clusterInfo, clusterNodes, clusterShards, clusterSlots } from '../topology/describe.js';

/**
 * CLUSTER: the administrative face of the topology (cluster.c clusterCommand in
 * Redis 7.0). Argument checks and error texts follow Redis so that redis-cli
 * --cluster and ioredis see what they expect.
 */

function parseSlot(arg: Buffer): number | undefined {
  const n = parseInteger(arg);
  return n === undefined || n < 0 || n >= SLOTS ? undefined : n;
}

const INVALID_SLOT = err('ERR Invalid or out of range slot');

function slotsFromArgs(args: Buffer[], ranges: boolean): number[] | Reply {
  const slots: number[] = [];
  if (ranges) {
    if (args.length % 2 !== 0) return err(`ERR wrong number of arguments for 'cluster|${args[1].toString().toLowerCase()}' command`);
    for (let i = 2; i < args.length; i += 2) {
      const a = parseSlot(args[i]);
      const b = parseSlot(args[i + 1]);
      if (a === undefined || b === undefined) return INVALID_SLOT;
      if (a > b) return err(`ERR start slot number ${a} is greater than end slot number ${b}`);
      for (let s = a; s <= b; s++) slots.push(s);
    }
  } else {
    for (let i = 2; i < args.length; i++) {
      const s = parseSlot(args[i]);
      if (s === undefined) return INVALID_SLOT;
      slots.push(s);
    }
  }
  return slots;
}

function addOrDelSlots(ctx: CommandContext, args: Buffer[], add: boolean, ranges: boolean): Reply {
  const { cluster } = ctx.node;
  const slots = slotsFromArgs(args, ranges);
  if (!Array.isArray(slots)) return slots;
  const seen = new Set<number>();
  for (const s of slots) {
    if (seen.has(s)) return err(`ERR Slot ${s} specified multiple times`);
    seen.add(s);
    if (add && cluster.slots[s]) return err(`ERR Slot ${s} is already busy`);
    if (!add && !cluster.slots[s]) return err(`ERR Slot ${s} is already unassigned`);
  }
  for (const s of slots) {
    if (add) {
      cluster.importing.delete(s); // ADDSLOTS closes an import (cluster.c)
      cluster.assignSlot(s, cluster.myself);
    } else {
      cluster.unassignSlot(s);
    }
  }
  cluster.updateHealth();
  ctx.node.saveClusterConfig();
  return OK;
}

function nodeArg(ctx: CommandContext, arg: Buffer) {
  return ctx.node.cluster.lookup(arg.toString('latin1'));
}

function setslot(ctx: CommandContext, args: Buffer[]): Reply {
  const slot = parseSlot(args[2]);
  if (slot === undefined) return INVALID_SLOT;
  const action = args[3].toString('latin1').toLowerCase();
  const needsNode = action === 'migrating' || action === 'importing' || action === 'node';
  if (needsNode && args.length !== 5) return err('ERR syntax error');
  if (!needsNode && args.length !== 4) return err('ERR syntax error');
  return setSlots(ctx, [slot], action, args[4]);
}

/**
 * CLUSTER SETSLOT's actions for a list of slots (CLUSTER SETSLOT passes one;
 * KVNETLAB.SETSLOTS many): every slot is checked before any changes, then one
 * nodes.conf save (and, for NODE after an import, one epoch bump and one PONG).
 * `nodeName` is the node argument of MIGRATING / IMPORTING / NODE.
 */
export function setSlots(ctx: CommandContext, slots: number[], action: string, nodeName: Buffer | undefined): Reply {
  const { cluster } = ctx.node;
  const me = cluster.myself;
  if (me.flags & F.SLAVE) return err('ERR Please use SETSLOT only with masters.');
  const needsNode = action === 'migrating' || action === 'importing' || action === 'node';
  const target = needsNode && nodeName ? nodeArg(ctx, nodeName) : undefined;
  switch (action) {
    case 'migrating':
    case 'importing': {
      for (const slot of slots) {
        if (action === 'migrating' && cluster.slots[slot] !== me) return err(`ERR I'm not the owner of hash slot ${slot}`);
        if (action === 'importing' && cluster.slots[slot] === me) return err(`ERR I'm already the owner of hash slot ${slot}`);
      }
      if (!target) return err(`ERR I don't know about node ${nodeName}`);
      if (!isMaster(target)) return err('ERR Target node is not a master');
      for (const slot of slots) (action === 'migrating' ? cluster.migrating : cluster.importing).set(slot, target.name);
      cluster.dirty = true;
      break;
    }
    case 'stable':
      for (const slot of slots) {
        cluster.importing.delete(slot);
        cluster.migrating.delete(slot);
      }
      cluster.dirty = true;
      break;
    case 'node':
      if (!target) return err(`ERR Unknown node ${nodeName}`);
      return setSlotsNode(ctx, slots, target);
    default:
      return err('ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP');
  }
  ctx.node.saveClusterConfig();
  return OK;
}

/**
 * CLUSTER SETSLOT <slot> NODE <target> for each of `slots`, then one nodes.conf save.
 * KVNETLAB.MIGRATE-OUT HANDOVER (migrate-out.ts) gives many slots away at once with it,
 * in the turn that dropped their keys: one fsync instead of one per slot, inside the pause.
 */
export function setSlotsNode(ctx: CommandContext, slots: number[], target: ClusterNode): Reply {
  const { cluster, bus } = ctx.node;
  const me = cluster.myself;
  if (!isMaster(target)) return err('ERR Target node is not a master');
  for (const slot of slots) {
    if (cluster.slots[slot] === me && target !== me && ctx.db.countInSlot(slot) !== 0) {
      return err(`ERR Can't assign hashslot ${slot} to a different node while I still hold keys for this hash slot.`);
    }
  }
  let imported = false;
  let gaveAway = false;
  for (const slot of slots) {
    if (ctx.db.countInSlot(slot) === 0 && cluster.migrating.has(slot)) cluster.migrating.delete(slot);
    // The import is complete: claim the slot with a fresh epoch so the cluster
    // prefers our claim over the old owner's, and tell everyone at once (cluster.c).
    if (target === me && cluster.importing.has(slot)) {
      if (!imported) bus.bumpEpochWithoutConsensus();
      imported = true;
      cluster.importing.delete(slot);
    }
    if (cluster.slots[slot] === me && target !== me) gaveAway = true;
    cluster.unassignSlot(slot);
    cluster.assignSlot(slot, target);
  }
  // A master that gave away its last slot replicates the node that took it
  // (Redis 7.0, with cluster-allow-replica-migration yes).
  if (gaveAway && me.numSlots === 0 && ctx.node.config.allowReplicaMigration) bus.setMaster(target, true);
  cluster.updateHealth();
  ctx.node.saveClusterConfig();
  if (imported) bus.broadcastPong();
  return OK;
}

/**
 * CLUSTER FAILOVER [FORCE|TAKEOVER] (cluster.c clusterCommand "failover"): checks, then
 * the bus engine runs the manual failover (manual-failover.ts, failover.ts).
 */
function failover(ctx: CommandContext, args: Buffer[]): Reply {
  const { cluster, bus } = ctx.node;
  if (args.length > 3) {
    return err(`ERR unknown subcommand or wrong number of arguments for '${args[1].toString('latin1').slice(0, 128)}'. Try CLUSTER HELP.`);
  }
  const option = args.length === 3 ? args[2].toString('latin1').toLowerCase() : 'default';
  if (option !== 'default' && option !== 'force' && option !== 'takeover') return err('ERR syntax error');
  const me = cluster.myself;
  if (isMaster(me)) return err('ERR You should send CLUSTER FAILOVER to a replica');
  const master = cluster.masterOf(me);
  if (!master) return err("ERR I'm a replica but my master is unknown to me");
  if (option === 'default' && (master.flags & F.FAIL || !bus.hasLink(master))) {
    return err('ERR Master is down or failed, please use CLUSTER FAILOVER FORCE');
  }
  bus.failover.startManual(option);
  ctx.node.saveClusterConfig();
  return OK;
}

const table: Record<string, Subcommand> = {
  myid: { arity: 2, execute: (ctx) => bulk(ctx.node.cluster.myself.name) },
  nodes: { arity: 2, execute: (ctx) => bulk(clusterNodes(ctx.node.cluster, { connected: (n) => ctx.node.bus.hasLink(n) })) },
  slots: { arity: 2, execute: (ctx) => clusterSlots(ctx.node.cluster) },
  shards: { arity: 2, execute: (ctx) => clusterShards(ctx.node.cluster) },
  info: { arity: 2, execute: (ctx) => bulk(clusterInfo(ctx.node.cluster, ctx.node.bus)) },
  meet: {
    arity: -4,
    execute(ctx, args) {
      if (args.length > 5) return err('ERR syntax error');
      const ip = args[2].toString('latin1');
      const port = parseInteger(args[3]);
      const cport = args.length === 5 ? parseInteger(args[4]) : port === undefined ? undefined : port + 10000;
      if (port === undefined || cport === undefined || port < 0 || port > 65535 || cport < 0 || cport > 65535) {
        return err(`ERR Invalid base port specified: ${args[3]}`);
      }
      if (isIP(ip) === 0) return err(`ERR Invalid node address specified: ${ip}:${args[3]}`);
      ctx.node.bus.startHandshake(ip, port, cport);
      return OK;
    },
  },
  addslots: { arity: -3, execute: (ctx, args) => addOrDelSlots(ctx, args, true, false) },
  addslotsrange: { arity: -4, execute: (ctx, args) => addOrDelSlots(ctx, args, true, true) },
  delslots: { arity: -3, execute: (ctx, args) => addOrDelSlots(ctx, args, false, false) },
  delslotsrange: { arity: -4, execute: (ctx, args) => addOrDelSlots(ctx, args, false, true) },
  setslot: { arity: -4, execute: setslot },
  failover: { arity: -2, execute: failover },
  replicate: {
    arity: 3,
    execute(ctx, args) {
      const { cluster } = ctx.node;
      const me = cluster.myself;
      const n = nodeArg(ctx, args[2]);
      if (!n) return err(`ERR Unknown node ${args[2]}`);
      if (n === me) return err("ERR Can't replicate myself");
      if (n.flags & F.SLAVE) return err('ERR I can only replicate a master, not a replica.');
      if (isMaster(me) && (me.numSlots !== 0 || ctx.db.size() !== 0)) {
        return err('ERR To set a master the node must be empty and without assigned slots.');
      }
      ctx.node.bus.setMaster(n);
      cluster.updateHealth();
      ctx.node.saveClusterConfig();
      return OK;
    },
  },
  getkeysinslot: {
    arity: 4,
    execute(ctx, args) {
      const slot = parseInteger(args[2]);
      const count = parseInteger(args[3]);
      if (slot === undefined || count === undefined || slot < 0 || slot >= SLOTS || count < 0) {
        return err('ERR Invalid slot or number of keys');
      }
      return bulks(ctx.db.keysInSlot(slot, count).map((k) => Buffer.from(k, 'latin1')));
    },
  },
  countkeysinslot: {
    arity: 3,
    execute(ctx, args) {
      const slot = parseInteger(args[2]);
      if (slot === undefined || slot < 0 || slot >= SLOTS) return err('ERR Invalid slot');
      return int(ctx.db.countInSlot(slot));
    },
  },
  keyslot: { arity: 3, execute: (_ctx, args) => int(bufferHashSlot(args[2])) },
  reset: {
    arity: -2,
    execute(ctx, args) {
      const mode = args.length > 2 ? args[2].toString('latin1').toLowerCase() : 'soft';
      if (args.length > 3 || (mode !== 'soft' && mode !== 'hard')) return err('ERR syntax error');
      const { cluster, bus } = ctx.node;
      const me = cluster.myself;
      if (isMaster(me) && ctx.db.size() !== 0) return err("ERR CLUSTER RESET can't be called with master nodes containing keys");
      if (me.flags & F.SLAVE) {
        me.flags = (me.flags & ~F.SLAVE) | F.MASTER;
        me.slaveof = null;
        ctx.db.flush();
      }
      for (let s = 0; s < SLOTS; s++) cluster.unassignSlot(s);
      cluster.importing.clear();
      cluster.migrating.clear();
      for (const n of [...cluster.nodes.values()]) if (n !== me) bus.deleteNode(n);
      if (mode === 'hard') {
        cluster.currentEpoch = 0n;
        cluster.lastVoteEpoch = 0n;
        me.configEpoch = 0n;
        cluster.rename(me, randomNodeName());
      }
      cluster.dirty = true;
      cluster.updateHealth();
      ctx.node.saveClusterConfig();
      return OK;
    },
  },
  forget: {
    arity: 3,
    execute(ctx, args) {
      const { cluster, bus } = ctx.node;
      const n = nodeArg(ctx, args[2]);
      if (!n) return err(`ERR Unknown node ${args[2]}`);
      if (n === cluster.myself) return err("ERR I tried hard but I can't forget myself...");
      if (cluster.myself.flags & F.SLAVE && cluster.myself.slaveof === n.name) return err("ERR Can't forget my master!");
      bus.forget(n);
      cluster.updateHealth();
      ctx.node.saveClusterConfig();
      return OK;
    },
  },
  saveconfig: {
    arity: 2,
    execute(ctx) {
      ctx.node.cluster.dirty = true;
      ctx.node.saveClusterConfig();
      return OK;
    },
  },
  bumpepoch: {
    arity: 2,
    execute(ctx) {
      const bumped = ctx.node.bus.bumpEpochWithoutConsensus();
      ctx.node.saveClusterConfig();
      return status(`${bumped ? 'BUMPED' : 'STILL'} ${ctx.node.cluster.myself.configEpoch}`);
    },
  },
  'set-config-epoch': {
    arity: 3,
    execute(ctx, args) {
      const { cluster } = ctx.node;
      const epoch = parseInteger(args[2]);
      if (epoch === undefined || epoch < 0) return err(`ERR Invalid config epoch specified: ${args[2]}`);
      if (cluster.nodes.size > 1) {
        return err('ERR The user can assign a config epoch only when the node does not know any other node.');
      }
      if (cluster.myself.configEpoch !== 0n) return err('ERR Node config epoch is already non-zero');
      cluster.myself.configEpoch = BigInt(epoch);
      if (cluster.currentEpoch < BigInt(epoch)) cluster.currentEpoch = BigInt(epoch);
      cluster.dirty = true;
      ctx.node.saveClusterConfig();
      return OK;
    },
  },
  'count-failure-reports': {
    arity: 3,
    execute(ctx, args) {
      const n = nodeArg(ctx, args[2]);
      if (!n) return err(`ERR Unknown node ${args[2]}`);
      return int(n.failReports.size);
    },
  },
  help: {
    arity: 2,
    execute: () =>
      array(
        [
          'CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
          'ADDSLOTS, ADDSLOTSRANGE, BUMPEPOCH, COUNT-FAILURE-REPORTS, COUNTKEYSINSLOT,',
          'DELSLOTS, DELSLOTSRANGE, FAILOVER, FORGET, GETKEYSINSLOT, INFO, KEYSLOT, MEET, MYID,',
          'NODES, REPLICATE, RESET, SAVECONFIG, SET-CONFIG-EPOCH, SETSLOT, SHARDS, SLOTS.',
        ].map(status),
      ),
  },
};

export const clusterCommands: CommandSpec[] = [
  {
    name: 'cluster',
    arity: -2,
    flags: ['admin', 'stale'],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    execute: (ctx, args) => dispatchSubcommand('cluster', table, ctx, args),
  },
  {
    name: 'asking',
    arity: 1,
    flags: ['fast'],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    execute(ctx) {
      ctx.client.asking = true;
      return OK;
    },
  },
  {
    name: 'readonly',
    arity: 1,
    flags: ['fast', 'loading', 'stale'],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    execute(ctx) {
      ctx.client.readonly = true;
      return OK;
    },
  },
  {
    name: 'readwrite',
    arity: 1,
    flags: ['fast', 'loading', 'stale'],
    firstKey: 0,
    lastKey: 0,
    step: 0,
    execute(ctx) {
      ctx.client.readonly = false;
      return OK;
    },
  },
];
