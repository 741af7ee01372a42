import { type Reply, OK, err, status } from '../resp/reply.js';
import type { Keyspace } from '../store/keyspace.js';
import { dumpValue } from '../store/dump.js';
import type { MigrateRequest } from './services.js';
import { PeerClient, PeerIoError } from './peer-client.js';

/** Connections to MIGRATE targets are reused for 10 s, like Redis' migrate_cached_sockets. */
const CACHE_TTL_MS = 10_000;

/**
 * Moves keys to another node: DUMP each, send RESTORE-ASKING in one pipeline, delete
 * the ones the target accepted (unless COPY). Errors use Redis' texts: `IOERR ...`
 * when the target cannot be reached or does not answer in time, `ERR Target instance
 * replied with error: ...` when it refuses a key.
 */
export class Migrator {
  private readonly peers = new Map<string, PeerClient>();
  /**
   * Keys a MIGRATE is moving right now. Redis' MIGRATE blocks the whole server while it
   * talks to the target, so nothing can write a key between its DUMP and its deletion;
   * here the event loop keeps serving, so commands on these keys wait instead
   * (Dispatcher), and a write is never deleted with the copy that left before it.
   */
  private readonly inFlight = new Map<string, Promise<unknown>>();

  get busy(): boolean {
    return this.inFlight.size > 0;
  }

  /** Settles when no MIGRATE holds any of `keys`; undefined when none does. */
  waitForKeys(keys: string[]): Promise<unknown> | undefined {
    for (const k of keys) {
      const p = this.inFlight.get(k);
      if (p) return p;
    }
    return undefined;
  }

  constructor(private readonly db: Keyspace, private readonly now: () => number) {}

  migrate(req: MigrateRequest): Promise<Reply> {
    const keys = req.keys.filter((k) => !this.inFlight.has(k));
    const run = this.run({ ...req, keys });
    const settled = run.catch(() => undefined);
    for (const k of keys) this.inFlight.set(k, settled);
    void settled.then(() => {
      for (const k of keys) if (this.inFlight.get(k) === settled) this.inFlight.delete(k);
    });
    return run;
  }

  private async run(req: MigrateRequest): Promise<Reply> {
    const now = this.now();
    const batch: Array<{ key: string; cmd: Array<Buffer | string | number> }> = [];
    for (const key of req.keys) {
      const value = this.db.get(key, now);
      if (!value) continue;
      const ttl = this.db.ttlMs(key, now);
      const cmd: Array<Buffer | string | number> = ['RESTORE-ASKING', Buffer.from(key, 'latin1'), ttl > 0 ? ttl : 0, dumpValue(value)];
      if (req.replace) cmd.push('REPLACE');
      batch.push({ key, cmd });
    }
    if (batch.length === 0) return status('NOKEY');

    const commands: Array<Array<Buffer | string | number>> = [];
    if (req.auth) commands.push(req.auth.user ? ['AUTH', req.auth.user, req.auth.password] : ['AUTH', req.auth.password]);
    commands.push(...batch.map((b) => b.cmd));

    let replies: Reply[];
    try {
      replies = await this.peer(req.host, req.port, req.timeoutMs).pipeline(commands, req.timeoutMs);
    } catch (e) {
      this.drop(req.host, req.port);
      // Redis' two texts (cluster.c migrateCommand / migrateGetSocket).
      const connecting = e instanceof PeerIoError && e.code === 'PEER_CONNECT';
      return err(connecting ? 'IOERR error or timeout connecting to the client' : 'IOERR error or timeout reading to target instance');
    }
    if (req.auth) {
      const a = replies.shift()!;
      if (a.t === 'error') return err(`ERR Target instance replied with error: ${a.v}`);
    }
    let firstError: string | undefined;
    replies.forEach((r, i) => {
      if (r.t === 'error') firstError ??= r.v;
      else if (!req.copy) this.db.delete(batch[i].key);
    });
    return firstError ? err(`ERR Target instance replied with error: ${firstError}`) : OK;
  }

  private peer(host: string, port: number, timeoutMs: number): PeerClient {
    const id = `${host}:${port}`;
    const cached = this.peers.get(id);
    if (cached && !cached.broken && Date.now() - cached.lastUsed < CACHE_TTL_MS) return cached;
    cached?.close();
    const fresh = new PeerClient(host, port, timeoutMs);
    this.peers.set(id, fresh);
    return fresh;
  }

  private drop(host: string, port: number): void {
    const id = `${host}:${port}`;
    this.peers.get(id)?.close();
    this.peers.delete(id);
  }

  close(): void {
    for (const p of this.peers.values()) p.close();
    this.peers.clear();
  }
}
