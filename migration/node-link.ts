import { MigrationLink } from '../cluster/node/migration-link.js';
import { PeerIoError } from '../cluster/node/peer-client.js';
import type { Reply } from '../cluster/resp/reply.js';
import { MigrationError } from './errors.js';

/** A node as a migration sees it: its cluster id and public (proxy) address. */
export interface Endpoint {
  id: string;
  host: string;
  port: number;
}

/** What a protocol calls on a node (narrow: fakes in unit tests, STYLE.md 9). */
export interface NodeLink {
  readonly ep: Endpoint;
  /** One command; an error reply throws STEP_FAILED, an I/O failure NODE_UNREACHABLE. */
  call(args: Array<string | number | Buffer>): Promise<Reply>;
  close(): void;
}

/**
 * One RESP connection from the coordinator to a node (cluster/node/migration-link.ts:
 * opened lazily, named `kvnetlab-migration` first), so every control byte of a migration
 * (SETSLOT, GETKEYSINSLOT, MIGRATE) counts as migration traffic at the node's proxy.
 * Error replies and I/O failures become MigrationErrors.
 */
export class RespNodeLink implements NodeLink {
  private readonly link: MigrationLink;

  constructor(readonly ep: Endpoint, timeoutMs: number) {
    this.link = new MigrationLink(ep.host, ep.port, timeoutMs);
  }

  async call(args: Array<string | number | Buffer>): Promise<Reply> {
    const what = `${args.slice(0, 3).map(String).join(' ')} on ${this.ep.host}:${this.ep.port}`;
    let reply: Reply;
    try {
      reply = await this.link.call(args);
    } catch (e) {
      if (e instanceof PeerIoError) throw new MigrationError('NODE_UNREACHABLE', `${what}: ${e.message}`);
      throw e;
    }
    if (reply.t === 'error') throw new MigrationError('STEP_FAILED', `${what}: ${reply.v}`);
    return reply;
  }

  close(): void {
    this.link.close();
  }
}

/** Bulk strings of an array reply (GETKEYSINSLOT). */
export function bulkList(r: Reply): Buffer[] {
  if (r.t !== 'array' || !r.v) return [];
  return r.v.flatMap((x) => (x.t === 'bulk' && x.v ? [x.v] : []));
}
