import { parseSlotTokens } from '../cluster/store/slot-tokens.js';
import { parseClusterNodes } from '../controller/cluster.js';
import { MigrationError } from './errors.js';
import { GroupTable } from './group-state.js';
import { type Endpoint, type NodeLink, RespNodeLink } from './node-link.js';
import { type MigrationContext, type MigrationProtocol, type MigrationTally, type ProtocolName } from './protocol.js';
import { checkProtocolName, protocolByName } from './protocols.js';
import { type SlotRange, formatRange, slotsOf } from './slots.js';

export interface MigrationOptions {
  /** The source and destination masters: any address that reaches them (their proxies under `up`). */
  from: { host: string; port: number };
  to: { host: string; port: number };
  slots: SlotRange;
  protocol: ProtocolName;
  batchKeys?: number;
  timeoutMs?: number;
  /** The controller's Event.phase; default: a plain timed call. */
  phase?: MigrationContext['phase'];
  log?: (line: string) => void;
  /** Readers of the group states (the proxy router, a Fulva client) subscribe here before the move starts. */
  groups?: GroupTable;
  afterGroup?: (slot: number) => Promise<void>;
  /** Rate limit: a pause after each group (migrations are paced to spare the foreground load). */
  groupPauseMs?: number;
  /** Protocols that need a cooperating element (proxy, fulva) get it from the caller. */
  protocolImpl?: MigrationProtocol;
}

/** The event's detail (kind `migrate`): what moved, by which protocol. */
export interface MigrationResult extends MigrationTally {
  protocol: ProtocolName;
  from: string;
  to: string;
  slots: string;
  groups: Record<string, number>;
  ms: number;
}

/**
 * Moves `slots` from one master to another with the chosen protocol. Checks first that
 * the source owns every slot of the range (NOT_OWNER) and learns every master's id and
 * address from the source's CLUSTER NODES. On failure the protocol's `abort` runs
 * before the error is rethrown, so the groups it did not finish stay with the source.
 */
export async function runMigration(o: MigrationOptions): Promise<MigrationResult> {
  checkProtocolName(o.protocol);
  const impl = o.protocolImpl ?? protocolByName(o.protocol);
  const timeoutMs = o.timeoutMs ?? 5000;
  const log = o.log ?? (() => undefined);
  const started = Date.now();
  const probe = new RespNodeLink({ id: '', ...o.from }, timeoutMs);
  let links: NodeLink[] = [];
  try {
    const reply = await probe.call(['CLUSTER', 'NODES']);
    const lines = parseClusterNodes(reply.t === 'bulk' && reply.v ? reply.v.toString() : '');
    const me = lines.find((l) => l.flags.includes('myself'))!;
    const destLine = lines.find((l) => addrPort(l.addr) === o.to.port && l.role === 'master');
    if (!destLine) throw new MigrationError('STEP_FAILED', `no master at port ${o.to.port} in the source's CLUSTER NODES`);
    if (destLine.id === me.id) throw new MigrationError('SAME_NODE', 'source and destination are the same node');
    const owned = new Set(parseSlotTokens(me.slots.filter((s) => !s.startsWith('['))) ?? []);
    const missing = slotsOf(o.slots).filter((s) => !owned.has(s));
    if (missing.length) throw new MigrationError('NOT_OWNER', `the source does not own ${missing.length} slot(s) of ${formatRange(o.slots)}, e.g. ${missing[0]}`);
    const link = (id: string, port: number) => new RespNodeLink({ id, host: o.from.host, port }, timeoutMs);
    const source = link(me.id, o.from.port);
    const dest = link(destLine.id, o.to.port);
    const others = lines.filter((l) => l.role === 'master' && l.id !== me.id && l.id !== destLine.id && !l.flags.includes('fail') && !l.flags.includes('noaddr')).map((l) => link(l.id, addrPort(l.addr)));
    links = [source, dest, ...others];
    const groups = o.groups ?? new GroupTable(slotsOf(o.slots), log);
    const tally: MigrationTally = { keys: 0, forwarded: 0, batches: 0 };
    const ctx: MigrationContext = {
      source, dest, others, groups, tally, timeoutMs, log,
      batchKeys: o.batchKeys ?? 100,
      groupPauseMs: o.groupPauseMs ?? 0,
      phase: o.phase ?? ((_name, fn) => fn({})),
      afterGroup: async (slot) => {
        if (o.groupPauseMs) await new Promise((r) => setTimeout(r, o.groupPauseMs));
        await o.afterGroup?.(slot);
      },
    };
    try {
      await impl.run(ctx);
    } catch (e) {
      await impl.abort(ctx, e);
      throw e;
    }
    return { protocol: o.protocol, from: me.id, to: destLine.id, slots: formatRange(o.slots), ...tally, groups: groups.counts(), ms: Date.now() - started };
  } finally {
    probe.close();
    for (const l of links) l.close();
  }
}

/** `ip:port@cport[,hostname]` -> port. */
function addrPort(addr: string): number {
  return Number(addr.split('@')[0]!.split(':').pop());
}

export type { Endpoint };
