import type { KvClient, OpTally } from './connect.js';

/**
 * --verify: remember every write, read every written key back at the end, and count
 * acknowledged writes that are gone (lost) or overwritten by something we never wrote
 * (stale). Writes to the same (key, field) that overlapped in time leave any of their
 * values as a legal final state, and a write that failed may or may not have been
 * applied; both are accepted, so a report of loss is never a race of our own making.
 *
 *   per (key, field): pending writes, the values of the current overlap epoch, and the
 *   accepted final values once the epoch closes (pending back to 0).
 */
interface Entry {
  pending: number;
  epoch: Buffer[];
  epochAcked: boolean;
  accepted: Buffer[];
  everAcked: boolean;
}

export interface WriteWatcher {
  begin(key: string, field: string): void;
  end(key: string, field: string, value: Buffer, acked: boolean): void;
}

export interface VerifyReport {
  keys: number;
  /** (key, field) pairs with at least one acknowledged write. */
  checked: number;
  acknowledged_writes: number;
  lost: number;
  stale: number;
  /** Keys whose read-back failed (error reply, connection): neither lost nor proven. */
  unreadable: number;
}

/** The field name used for plain string values. */
export const STRING_FIELD = '';

export class Verifier implements WriteWatcher {
  private readonly keys = new Map<string, Map<string, Entry>>();
  private acked = 0;

  private entry(key: string, field: string): Entry {
    let fields = this.keys.get(key);
    if (!fields) this.keys.set(key, (fields = new Map()));
    let e = fields.get(field);
    if (!e) fields.set(field, (e = { pending: 0, epoch: [], epochAcked: false, accepted: [], everAcked: false }));
    return e;
  }

  begin(key: string, field: string): void {
    const e = this.entry(key, field);
    if (e.pending === 0) {
      e.epoch = [];
      e.epochAcked = false;
    }
    e.pending++;
  }

  end(key: string, field: string, value: Buffer, acked: boolean): void {
    const e = this.entry(key, field);
    e.pending--;
    e.epoch.push(value);
    if (acked) {
      this.acked++;
      e.epochAcked = true;
      e.everAcked = true;
    }
    if (e.pending === 0) e.accepted = e.epochAcked ? e.epoch : [...e.accepted, ...e.epoch];
  }

  async check(client: KvClient): Promise<VerifyReport> {
    const r: VerifyReport = { keys: this.keys.size, checked: 0, acknowledged_writes: this.acked, lost: 0, stale: 0, unreadable: 0 };
    const tally: OpTally = { moved: 0, ask: 0, retries: 0 };
    for (const [key, fields] of this.keys) {
      let stored: Map<string, Buffer>;
      try {
        stored = fields.has(STRING_FIELD) ? await readString(client, key, tally) : await readHash(client, key, tally);
      } catch {
        r.unreadable++;
        continue;
      }
      for (const [field, e] of fields) {
        if (!e.everAcked) continue;
        r.checked++;
        const v = stored.get(field);
        if (v === undefined) r.lost++;
        else if (!e.accepted.some((a) => a.equals(v))) r.stale++;
      }
    }
    return r;
  }
}

async function readString(client: KvClient, key: string, tally: OpTally): Promise<Map<string, Buffer>> {
  const v = (await client.call('get', [key], tally)) as Buffer | null;
  return v === null ? new Map() : new Map([[STRING_FIELD, v]]);
}

async function readHash(client: KvClient, key: string, tally: OpTally): Promise<Map<string, Buffer>> {
  const reply = (await client.call('hgetall', [key], tally)) as Buffer[] | Record<string, Buffer>;
  const m = new Map<string, Buffer>();
  if (Array.isArray(reply)) for (let i = 0; i + 1 < reply.length; i += 2) m.set(reply[i]!.toString(), reply[i + 1]!);
  else for (const [f, v] of Object.entries(reply)) m.set(f, v);
  return m;
}
