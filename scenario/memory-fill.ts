import { Redis } from 'ioredis';
import { keyHashSlot } from '../cluster/store/slot.js';
import { ScenarioError } from './errors.js';

/** The paper's memtier values: 4096 B each, so 1 MiB = 256 keys. */
export const FILL_VALUE_BYTES = 4096;
const KEYS_PER_MIB = (1024 * 1024) / FILL_VALUE_BYTES;
/** SETs per pipeline, pipelines in flight per master: bounded memory, no per-command round trip. */
const BATCH = 128;
const IN_FLIGHT = 4;

export interface FillOptions {
  host: string;
  /** Any node's public (proxy) port: CLUSTER SLOTS is asked there. */
  seedPort: number;
  mib: number;
  timeoutMs: number;
  progress?: (done: number, total: number) => void;
}

/** Which master port serves each slot (CLUSTER SLOTS: [first, last, [host, port, id], replicas...]). */
async function slotOwners(host: string, port: number): Promise<Int32Array> {
  const c = new Redis({ host, port, lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await c.connect();
    const ranges = (await c.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number]]>;
    const owner = new Int32Array(16384).fill(-1);
    for (const [first, last, master] of ranges) owner.fill(master[1], first, last + 1);
    return owner;
  } finally {
    c.disconnect();
  }
}

/**
 * Writes `mib` MiB of 4096 B values (keys `fill:<n>`) straight to the masters that own
 * them, pipelined BATCH at a time with IN_FLIGHT batches per master. The bytes pass the
 * proxies (client and replication channels) before the warm-up starts, so the analysis
 * never counts them. Returns the number of keys written.
 */
export async function fillMemory(o: FillOptions): Promise<number> {
  const total = Math.round(o.mib * KEYS_PER_MIB);
  if (total === 0) return 0;
  const owner = await slotOwners(o.host, o.seedPort);
  const byPort = new Map<number, string[]>();
  for (let n = 0; n < total; n++) {
    const key = `fill:${n}`;
    const port = owner[keyHashSlot(key)]!;
    if (port < 0) throw new ScenarioError('UNAVAILABLE', `slot of ${key} has no master (CLUSTER SLOTS)`);
    let keys = byPort.get(port);
    if (!keys) byPort.set(port, (keys = []));
    keys.push(key);
  }
  const value = Buffer.alloc(FILL_VALUE_BYTES, 'x');
  const deadline = Date.now() + o.timeoutMs;
  let done = 0;
  const perMaster = async (port: number, keys: string[]) => {
    const c = new Redis({ host: o.host, port, lazyConnect: true, maxRetriesPerRequest: 3 });
    await c.connect();
    try {
      let next = 0;
      const worker = async () => {
        while (next < keys.length) {
          if (Date.now() > deadline) throw new ScenarioError('TIMEOUT', `memory fill: ${done}/${total} keys after ${o.timeoutMs} ms`);
          const batch = keys.slice(next, next + BATCH);
          next += batch.length;
          const p = c.pipeline();
          for (const k of batch) p.set(k, value);
          const replies = (await p.exec()) ?? [];
          const failed = replies.find(([err]) => err);
          if (failed) throw new ScenarioError('UNAVAILABLE', `memory fill: SET on port ${port} failed: ${failed[0]!.message}`);
          done += batch.length;
          o.progress?.(done, total);
        }
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    } finally {
      c.disconnect();
    }
  };
  await Promise.all([...byPort].map(([port, keys]) => perMaster(port, keys)));
  return done;
}
