import type { CommandContext, ClientState, CommandSpec } from '../commands/types.js';
import type { CommandRegistry } from '../commands/registry.js';
import { arityOk } from '../commands/registry.js';
import { type Reply, err } from '../resp/reply.js';
import type { Keyspace } from '../store/keyspace.js';
import type { ClusterState } from '../topology/state.js';
import type { NodeServices } from './services.js';
import type { NodeStats } from './stats.js';
import { commandKeys, routeCommand } from './routing.js';
import { F } from '../topology/node-flags.js';

export interface DispatcherDeps {
  registry: CommandRegistry;
  cluster: ClusterState;
  db: Keyspace;
  services: NodeServices;
  stats: NodeStats;
  /** Keys a MIGRATE is moving right now (node/migrate.ts): commands on them wait. */
  keyLocks?: { readonly busy: boolean; waitForKeys(keys: string[]): Promise<unknown> | undefined };
  /**
   * Source-based migration out of this node (node/migrate-out.ts): while `active`,
   * commands on the moving slots may be held (its pause), and a write that succeeded is
   * offered to `afterWrite`, which forwards it when its group was copied. Idle: one
   * boolean read per command.
   */
  outbound?: {
    readonly active: boolean;
    hold(spec: CommandSpec, args: Buffer[]): Promise<void> | undefined;
    afterWrite(spec: CommandSpec, args: Buffer[], reply: Reply): void;
  };
  /** Replication (cluster/replication): the stream of writes, and the failover write pause. */
  replication?: {
    propagate(name: string, args: Buffer[], reply: Reply, clientId: number): void;
    writesPaused(): Promise<void> | undefined;
    /** A replica loading its master's snapshot. */
    readonly loading: boolean;
  };
  /** The destination of a Rocksteady migration (node/rocksteady-dest.ts): keys not pulled yet get -TRYAGAIN. */
  rocksteady?: {
    readonly active: boolean;
    gate(name: string, args: Buffer[], keys: Buffer[]): Reply | null;
    wrote(keys: Buffer[]): void;
  };
}

/**
 * From a decoded request to a reply: look up, check arity, route (MOVED/ASK/...),
 * execute, count. Mirrors server.c processCommand's order of checks so that the same
 * bad request gets the same error as from Redis.
 */
export class Dispatcher {
  constructor(private readonly deps: DispatcherDeps) {}

  dispatch(client: ClientState, args: Buffer[]): Reply | Promise<Reply> {
    const { registry, cluster, db, services, stats } = this.deps;
    const rawName = args[0].toString('latin1');
    const spec = registry.lookup(rawName);
    if (!spec) {
      client.asking = false; // resetClient clears ASKING for rejected commands too
      stats.rejectedCalls++;
      return this.fail(unknownCommand(rawName, args));
    }
    if (!arityOk(spec, args.length)) {
      client.asking = false;
      stats.rejectedCalls++;
      return this.fail(err(`ERR wrong number of arguments for '${spec.name}' command`));
    }
    // processCommand: while a replica loads its master's snapshot only `loading` commands run.
    if (this.deps.replication?.loading && !spec.flags.includes('loading')) {
      return this.fail(err('LOADING Redis is loading the dataset in memory'));
    }
    const locks = this.deps.keyLocks;
    if (locks?.busy && spec.name !== 'migrate') {
      const wait = locks.waitForKeys(commandKeys(spec, args).map((k) => k.toString('latin1')));
      // Decide routing only once the move is over: the key may be gone (ASK) by then.
      if (wait) return wait.then(() => this.dispatch(client, args));
    }
    const out = this.deps.outbound;
    if (out?.active) {
      // The handover: wait, then route afresh (the slot has a new owner by then: -MOVED).
      const held = out.hold(spec, args);
      if (held) return held.then(() => this.dispatch(client, args));
    }
    // Rocksteady at the destination: before routing, since it owns the slots already.
    const rocksteady = this.deps.rocksteady?.active ? this.deps.rocksteady : undefined;
    const gatedKeys = rocksteady ? commandKeys(spec, args) : undefined;
    const refused = gatedKeys && rocksteady!.gate(spec.name, args, gatedKeys);
    if (refused) {
      client.asking = false;
      return this.fail(refused);
    }
    const redirect = routeCommand(cluster, spec, args, client, (key) => db.exists(key.toString('latin1'), services.now()));
    if (redirect) {
      if (spec.name !== 'asking') client.asking = false;
      return this.fail(redirect);
    }
    const repl = this.deps.replication;
    const isWrite = spec.flags.includes('write');
    // Writes without keys (FLUSHALL) are not redirected: a replica refuses them (processCommand).
    if (isWrite && cluster.myself.flags & F.SLAVE) return this.fail(err("READONLY You can't write against a read only replica."));
    if (repl && isWrite) {
      // Manual failover: writes wait until the pause ends (networking.c PAUSE_WRITE).
      const paused = repl.writesPaused();
      if (paused) return paused.then(() => this.dispatch(client, args));
    }
    client.lastCommand = spec.name;
    const ctx: CommandContext = { client, db, node: services };
    const started = performance.now();
    const reply = spec.execute(ctx, args);
    if (spec.name !== 'asking') client.asking = false;
    if (reply instanceof Promise) {
      return reply.then((r) => {
        if (gatedKeys && isWrite && r.t !== 'error') rocksteady!.wrote(gatedKeys);
        if (repl && isWrite) repl.propagate(spec.name, args, r, client.id);
        if (isWrite && out?.active) out.afterWrite(spec, args, r);
        return this.count(spec.name, started, r);
      });
    }
    if (gatedKeys && isWrite && reply.t !== 'error') rocksteady!.wrote(gatedKeys);
    // call(): a write that succeeded goes to the replicas, in execution order.
    if (repl && isWrite) repl.propagate(spec.name, args, reply, client.id);
    // In the same turn as the write: the forward keeps its place among the copy's RESTOREs.
    if (isWrite && out?.active) out.afterWrite(spec, args, reply);
    return this.count(spec.name, started, reply);
  }

  /**
   * A command of the master's replication stream, on a replica: no routing (the master
   * decided), no pause, no reply (networking.c: the master client gets none), counted
   * like any command.
   */
  applyFromMaster(client: ClientState, args: Buffer[]): void {
    const spec = this.deps.registry.lookup(args[0].toString('latin1'));
    if (!spec || !arityOk(spec, args.length)) return;
    const started = performance.now();
    const reply = spec.execute({ client, db: this.deps.db, node: this.deps.services }, args);
    if (reply instanceof Promise) void reply.then((r) => this.count(spec.name, started, r));
    else this.count(spec.name, started, reply);
  }

  private count(name: string, started: number, reply: Reply): Reply {
    const failed = reply.t === 'error';
    this.deps.stats.countCommand(name, Math.round((performance.now() - started) * 1000), failed);
    if (failed) this.deps.stats.countError(reply.v);
    return reply;
  }

  private fail(reply: Reply): Reply {
    if (reply.t === 'error') this.deps.stats.countError(reply.v);
    return reply;
  }
}

/** server.c processCommand: the first arguments are quoted, up to 128 bytes in all. */
export function unknownCommand(rawName: string, args: Buffer[]): Reply {
  let shown = '';
  for (let i = 1; i < args.length && shown.length < 128; i++) {
    shown += `'${args[i].toString('latin1').slice(0, 128 - shown.length)}' `;
  }
  return err(`ERR unknown command '${rawName.slice(0, 128)}', with args beginning with: ${shown}`);
}
