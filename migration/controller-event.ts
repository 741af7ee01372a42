import { type ClusterFile, type NodesLine, findNode, groupOf } from '../controller/cluster.js';
import { ControllerError, type ControllerErrorCode } from '../controller/errors.js';
import type { Event, EventLog } from '../controller/event-log.js';
import { MigrationError, type MigrationErrorCode } from './errors.js';
import type { ProtocolName } from './protocol.js';
import { protocolByName } from './protocols.js';
import { runMigration } from './run.js';
import { formatRange, parseSlotRange } from './slots.js';

/** The fields of POST /events that a `migrate` event reads. */
export interface MigrateRequestFields {
  from?: string;
  to?: string;
  slots?: string;
  protocol?: string;
  batchKeys?: number;
}

const STATUS: Record<MigrationErrorCode, ControllerErrorCode> = {
  BAD_RANGE: 'BAD_PARAMS',
  BAD_PROTOCOL: 'BAD_PARAMS',
  SAME_NODE: 'BAD_PARAMS',
  NOT_OWNER: 'BAD_STATE',
  NODE_UNREACHABLE: 'NODE_UNREACHABLE',
  STEP_FAILED: 'BAD_STATE',
  ILLEGAL_TRANSITION: 'INTERNAL',
  UNSUPPORTED_COMMAND: 'BAD_PARAMS',
};

export function asControllerError(e: unknown): unknown {
  return e instanceof MigrationError ? new ControllerError(STATUS[e.code], `${e.code}: ${e.message}`) : e;
}

/**
 * The controller's `migrate` event (one call from runner.submit): checks the request,
 * locks the groups of both masters and returns the event with its body. Detail:
 * {protocol, from, to, slots, keys, bytes, ...}; phases are the protocol's (redis: `copy`).
 * `bytes` is what the proxies file under channel `migration` (SQL on `traffic`); the
 * coordinator itself does not see MIGRATE's payload, so it is null here.
 */
export function acceptMigrate(events: EventLog, file: ClusterFile, lines: NodesLine[] | undefined, req: MigrateRequestFields, timeoutMs: number): { ev: Event; body: (ev: Event) => Promise<void> } {
  if (!req.from || !req.to || !req.slots) throw new ControllerError('BAD_PARAMS', 'migrate needs from, to and slots');
  const protocol = (req.protocol ?? 'redis') as ProtocolName;
  let slots;
  try {
    protocolByName(protocol);
    slots = parseSlotRange(req.slots);
  } catch (e) {
    throw asControllerError(e);
  }
  const from = findNode(file, req.from);
  const to = findNode(file, req.to);
  if (from.id === to.id) throw new ControllerError('BAD_PARAMS', 'SAME_NODE: from and to are the same node');
  const detail = { protocol, from: from.id, to: to.id, slots: formatRange(slots), keys: 0, bytes: null };
  const ev = events.accept('migrate', from.id, detail, [...new Set([groupOf(lines, from.id), groupOf(lines, to.id)])]);
  const body = async (e: Event) => {
    try {
      const out = await runMigration({
        from: { host: file.host, port: from.port }, to: { host: file.host, port: to.port }, slots, protocol,
        batchKeys: req.batchKeys, timeoutMs: Math.min(timeoutMs, 10_000),
        phase: (name, fn) => e.phase(name, from.id, '', fn),
        log: (l) => e.log(l),
      });
      Object.assign(e.view.detail, { keys: out.keys, batches: out.batches, forwarded: out.forwarded, groups: out.groups, ms: out.ms });
    } catch (err) {
      throw asControllerError(err);
    }
  };
  return { ev, body };
}
