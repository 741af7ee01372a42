import type { Reply } from '../resp/reply.js';
import { MIGRATION_CLIENT_NAME } from '../../proxy/session.js';
import { PeerClient } from './peer-client.js';

/**
 * A connection to a node for migration traffic (Rocksteady's pulls between nodes, the
 * coordinator's RespNodeLink in migration/node-link.ts): opened lazily (again after a
 * failure), and named `kvnetlab-migration` before anything else, so the peer's proxy
 * files every byte of it under channel `migration` (proxy/session.ts).
 */
export class MigrationLink {
  private peer: PeerClient | undefined;

  constructor(private readonly host: string, private readonly port: number, private readonly timeoutMs: number) {}

  /** One command; I/O failures throw (PeerIoError), error replies are returned. */
  async call(args: Array<string | number | Buffer>): Promise<Reply> {
    if (!this.peer || this.peer.broken) {
      this.peer?.close();
      this.peer = new PeerClient(this.host, this.port, this.timeoutMs);
      const [r, reply] = await this.peer.pipeline([['CLIENT', 'SETNAME', MIGRATION_CLIENT_NAME], args], this.timeoutMs);
      if (r!.t === 'error') throw new Error(`CLIENT SETNAME: ${r!.v}`);
      return reply!;
    }
    const [reply] = await this.peer.pipeline([args], this.timeoutMs);
    return reply!;
  }

  close(): void {
    this.peer?.close();
    this.peer = undefined;
  }
}
