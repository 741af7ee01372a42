import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, callText, sleep, waitFor } from '../cluster/launcher/admin.js';
import { checkHistory } from '../migration/linearizability.js';
import { keysFor } from '../migration/keys.js';
import { runMigration } from '../migration/run.js';
import { parseSlotRange } from '../migration/slots.js';
import { VersionedWorkload } from '../migration/versioned-workload.js';
import { type TestCluster, startCluster } from './support/local-cluster.js';
import { type RunningController, startController } from '../controller/start.js';
import { runCli } from './support/run-cli.js';

/*
 * The `redis` protocol (SETSLOT IMPORTING/MIGRATING, MIGRATE batches, ASK, SETSLOT NODE)
 * on a kvnetlab 3P-0R cluster under `up` (proxies in front, rows to JSON lines), with a
 * versioned read/write workload through ioredis running during the move. Ports 19001-19006.
 */
const RANGE = parseSlotRange('0-249');

function client(c: TestCluster): Cluster {
  return new Cluster(c.seeds, { redisOptions: { connectTimeout: 2000 }, scaleReads: 'master', retryDelayOnMoved: 5, retryDelayOnTryAgain: 20, retryDelayOnClusterDown: 100, maxRedirections: 32 });
}

/** Sum of the proxies' rows for one channel (traffic.jsonl under the run directory). */
function channelBytes(dir: string, channel: string): number {
  let total = 0;
  for (const d of readdirSync(dir).filter((x) => x.startsWith('proxy-'))) {
    let text = '';
    try {
      text = readFileSync(join(dir, d, 'traffic.jsonl'), 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      if (!line) continue;
      const row = JSON.parse(line) as { table?: string; channel?: string; bytes?: number; row?: { channel: string; bytes: number } };
      const r = row.row ?? row;
      if (r.channel === channel) total += r.bytes ?? 0;
    }
  }
  return total;
}

describe('migration, redis protocol', () => {
  let c: TestCluster;
  let redis: Cluster;
  beforeAll(async () => {
    c = await startCluster({ primaries: 3, replicas: 0, basePort: 19001 });
    redis = client(c);
  }, 90_000);
  afterAll(async () => {
    redis?.disconnect();
    await c?.stop();
  });

  it('migrate redis: every key exists once afterwards with its latest value; no stale read, no lost acknowledged write; the move is channel migration at the proxies', async () => {
    const [src, dst] = c.state.nodes.filter((n) => n.role === 'master');
    const keys = [...keysFor(RANGE, 300, 'lin:'), ...keysFor(RANGE, 50, 'lin:', false)];
    const wl = new VersionedWorkload(redis, { keys, writers: 6, readers: 6, writePauseMs: 1, maxOps: 200_000, valueBytes: 64 });
    await wl.load();
    wl.start();
    await sleep(300);
    const out = await runMigration({ from: { host: '127.0.0.1', port: src!.port }, to: { host: '127.0.0.1', port: dst!.port }, slots: RANGE, protocol: 'redis', batchKeys: 10 });
    await sleep(300);
    const history = await wl.stop();
    const finals = await wl.finals();

    console.log(`redis protocol: ${out.ms} ms, ${out.keys} keys, ${out.batches} batches; ${history.reads.length} reads, ${history.writes.length} writes, errors ${JSON.stringify([...history.errors])}`);
    expect(out.groups).toEqual({ 'not-migrated': 0, ongoing: 0, migrated: 250 });
    expect(out.keys).toBeGreaterThanOrEqual(300);
    const violations = checkHistory(history.writes, history.reads, finals);
    expect(violations.slice(0, 5)).toEqual([]);
    expect(history.reads.length).toBeGreaterThan(1000);
    // Exactly once: the range's keys are on the destination only, the others where they were.
    const count = async (port: number, slot: number) => {
      const r = await call('127.0.0.1', port, ['CLUSTER', 'COUNTKEYSINSLOT', slot]);
      return r.t === 'int' ? r.v : -1;
    };
    const inRange = keysFor(RANGE, 300, 'lin:');
    const { keyHashSlot } = await import('../cluster/store/slot.js');
    const slots = [...new Set(inRange.map(keyHashSlot))];
    let onDest = 0;
    for (const s of slots) {
      expect(await count(src!.port, s)).toBe(0);
      onDest += await count(dst!.port, s);
    }
    expect(onDest).toBe(300);
    const nodes = await callText('127.0.0.1', src!.port, ['CLUSTER', 'NODES']);
    expect(nodes).not.toMatch(/\[\d+-[<>]-/); // no slot left MIGRATING/IMPORTING
    // The proxies filed MIGRATE and the coordinator under `migration` (flushed every 100 ms).
    await waitFor('migration rows', 5000, async () => channelBytes(c.dir, 'migration') > 300 * 64);
  }, 120_000);

  it('kvnetlab event migrate: the controller runs the move as an event with a copy phase, detail {protocol, from, to, slots, keys}, and refuses bad requests', async () => {
    const [src, dst] = c.state.nodes.filter((n) => n.role === 'master');
    const ctl: RunningController = await startController({ runDir: c.dir, port: 0, runId: 'mig', sink: null, log: () => {} });
    try {
      const keys = keysFor(parseSlotRange('1000-1099'), 40, 'ev:');
      for (const k of keys) await redis.set(k, 'v');
      const r = await runCli(['event', 'migrate', '--from', String(src!.port), '--to', String(dst!.port), '--slots', '1000-1099', '--protocol', 'redis', '--json', '--dir', c.dir]);
      expect(r.code, r.stderr + r.stdout).toBe(0);
      const ev = JSON.parse(r.stdout) as { kind: string; state: string; detail: Record<string, unknown>; phases: Array<{ kind: string; state: string }> };
      expect(ev).toMatchObject({ kind: 'migrate', state: 'ok', detail: { protocol: 'redis', from: src!.id, to: dst!.id, slots: '1000-1099' } });
      expect(ev.detail.keys).toBeGreaterThanOrEqual(40); // and the first test's keys outside 0-999 that hash here
      expect(ev.phases.map((p) => `${p.kind} ${p.state}`)).toEqual(['copy ok']);
      for (const k of keys) expect(await redis.get(k)).toBe('v');
      const bad: Array<[string[], RegExp]> = [
        [['--from', String(src!.port), '--to', String(dst!.port), '--slots', '1000-1099'], /BAD_STATE.*NOT_OWNER/], // moved already
        [['--from', String(dst!.port), '--to', String(src!.port), '--slots', '9-5'], /BAD_PARAMS/],
        [['--from', String(dst!.port), '--to', String(src!.port)], /BAD_PARAMS/], // no --slots
        [['--from', String(src!.port), '--to', String(src!.port), '--slots', '2000-2001'], /BAD_PARAMS.*SAME_NODE/],
        [['--from', String(dst!.port), '--to', String(src!.port), '--slots', '1000-1001', '--protocol', 'paxos'], /BAD_PARAMS/],
        // Fulva's clients must follow the move: the controller says where it runs instead of moving data they do not know of.
        [['--from', String(dst!.port), '--to', String(src!.port), '--slots', '1000-1001', '--protocol', 'fulva'], /BAD_PARAMS.*needs its clients to follow the move.*kvnetlab run migration/],
      ];
      for (const [args, want] of bad) {
        const b = await runCli(['event', 'migrate', ...args, '--dir', c.dir]);
        expect(b.code, args.join(' ')).toBe(1);
        expect(b.stderr + b.stdout).toMatch(want);
      }
    } finally {
      await ctl.close();
    }
  }, 120_000);
});
