import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, sleep, waitFor } from '../../cluster/launcher/admin.js';
import { PeerClient } from '../../cluster/node/peer-client.js';
import { type ReplPair, info, startPair } from '../support/repl-pair.js';

/** Ports 22011-22012. The dataset: 3000 keys of ~1 KiB plus a hash, a zset and a TTL key. */
const KEYS = 3000;
const VALUE = 'x'.repeat(1000);

async function fill(port: number, from: number, to: number, value = VALUE): Promise<void> {
  const peer = new PeerClient('127.0.0.1', port, 2000);
  try {
    for (let i = from; i < to; i += 500) {
      const cmds: Array<Array<string | number>> = [];
      for (let j = i; j < Math.min(to, i + 500); j++) cmds.push(['SET', `key:${j}`, value]);
      const replies = await peer.pipeline(cmds, 10_000);
      const errors = replies.filter((r) => r.t === 'error');
      if (errors.length > 0) throw new Error(`fill: ${JSON.stringify(errors[0])}`);
    }
  } finally {
    peer.close();
  }
}

const stat = async (port: number, name: string) => Number((await info(port, 'stats'))[name]);
const replOut = (port: number) => stat(port, 'total_net_repl_output_bytes');

async function caughtUp(pair: ReplPair): Promise<void> {
  await waitFor('replica caught up', 20_000, async () => {
    const [m, r] = [await info(pair.masterPort), await info(pair.replicaPort)];
    return r.master_link_status === 'up' && r.slave_repl_offset === m.master_repl_offset;
  });
}

describe('replication: full and partial resynchronization', () => {
  let pair: ReplPair;
  beforeAll(async () => {
    pair = await startPair(22011, 22012);
    await call('127.0.0.1', pair.masterPort, ['HSET', 'h', 'a', '1', 'b', '2']);
    await call('127.0.0.1', pair.masterPort, ['ZADD', 'z', '1.5', 'm']);
    await call('127.0.0.1', pair.masterPort, ['SET', 'ttl', 'v', 'EX', '1000']);
    await fill(pair.masterPort, 0, KEYS);
    await caughtUp(pair);
  }, 60_000);
  afterAll(async () => {
    await pair?.stop();
  });

  it('replication: a replica restarted with its snapshot resyncs partially, with bytes far below the dataset', async () => {
    const before = { ok: await stat(pair.masterPort, 'sync_partial_ok'), full: await stat(pair.masterPort, 'sync_full'), out: await replOut(pair.masterPort) };
    await pair.restartReplica({ snapshot: true });
    await fill(pair.masterPort, KEYS, KEYS + 10); // written while the replica reconnects
    await caughtUp(pair);
    const sent = (await replOut(pair.masterPort)) - before.out;
    expect(await stat(pair.masterPort, 'sync_partial_ok')).toBe(before.ok + 1);
    expect(await stat(pair.masterPort, 'sync_full')).toBe(before.full);
    expect(sent).toBeLessThan(KEYS * 1000 * 0.05);
    expect(pair.replica.db.size()).toBe(pair.master.db.size());
    expect(pair.replica.db.ttlMs('ttl', Date.now())).toBeGreaterThan(900_000);
    console.log(`partial resync after restart: ${sent} bytes master->replica (dataset ~${KEYS * 1000} B)`);
  });

  it('replication: a replica restarted without a snapshot resyncs fully', async () => {
    const before = { full: await stat(pair.masterPort, 'sync_full'), err: await stat(pair.masterPort, 'sync_partial_err'), out: await replOut(pair.masterPort) };
    await pair.restartReplica({ snapshot: false });
    await caughtUp(pair);
    const sent = (await replOut(pair.masterPort)) - before.out;
    expect(await stat(pair.masterPort, 'sync_full')).toBe(before.full + 1);
    // A fresh node still asks PSYNC with its own new history (replicationCacheMasterUsingMyself).
    expect(await stat(pair.masterPort, 'sync_partial_err')).toBe(before.err + 1);
    expect(sent).toBeGreaterThan(KEYS * 1000);
    expect(pair.replica.db.size()).toBe(pair.master.db.size());
    const peer = new PeerClient('127.0.0.1', pair.replicaPort, 2000);
    try {
      const [, h, z] = await peer.pipeline([['READONLY'], ['HGET', 'h', 'b'], ['ZSCORE', 'z', 'm']], 2000);
      expect([h.v?.toString(), z.v?.toString()]).toEqual(['2', '1.5']);
    } finally {
      peer.close();
    }
    console.log(`full resync without snapshot: ${sent} bytes master->replica`);
  });

  it('replication: with the backlog overflowed (CONFIG SET repl-backlog-size), the restarted replica resyncs fully', async () => {
    expect(await call('127.0.0.1', pair.masterPort, ['CONFIG', 'SET', 'repl-backlog-size', '16kb'])).toEqual({ t: 'status', v: 'OK' });
    await fill(pair.masterPort, 0, 1); // the resize takes effect with the next write
    expect((await info(pair.masterPort)).repl_backlog_size).toBe(String(16 * 1024));
    await caughtUp(pair);
    const before = { full: await stat(pair.masterPort, 'sync_full'), ok: await stat(pair.masterPort, 'sync_partial_ok'), out: await replOut(pair.masterPort) };
    // 100 KB of writes while the replica is down: more than the 16 KiB backlog holds.
    await pair.restartReplica({ snapshot: true, whileDown: () => fill(pair.masterPort, 0, 100, 'y'.repeat(1000)) });
    await caughtUp(pair);
    const sent = (await replOut(pair.masterPort)) - before.out;
    expect(await stat(pair.masterPort, 'sync_full')).toBe(before.full + 1);
    expect(await stat(pair.masterPort, 'sync_partial_ok')).toBe(before.ok);
    expect(pair.replica.db.get('key:99', Date.now())).toEqual({ type: 'string', value: Buffer.from('y'.repeat(1000)) });
    console.log(`full resync after backlog overflow: ${sent} bytes master->replica`);
  });

  it('replication: a dropped link resumes partially from the backlog', async () => {
    await call('127.0.0.1', pair.masterPort, ['CONFIG', 'SET', 'repl-backlog-size', '1mb']);
    await fill(pair.masterPort, 0, 1);
    const ok = await stat(pair.masterPort, 'sync_partial_ok');
    pair.replica.replication.link!.close('test: link cut');
    await fill(pair.masterPort, 5000, 5020);
    await sleep(100);
    await caughtUp(pair);
    expect(await stat(pair.masterPort, 'sync_partial_ok')).toBe(ok + 1);
    expect(pair.replica.db.exists('key:5019', Date.now())).toBe(true);
  });

  it('replication: a master restarted from its snapshot lets its replica continue partially (replid2)', async () => {
    await caughtUp(pair);
    const oldId = (await info(pair.masterPort)).master_replid;
    const offset = Number((await info(pair.masterPort)).master_repl_offset);
    await pair.restartMaster();
    const m = await info(pair.masterPort);
    expect(m.master_replid2).toBe(oldId);
    expect(m.second_repl_offset).toBe(String(offset + 1));
    await waitFor('cluster ok', 10_000, async () => pair.master.cluster.health === 'ok');
    await fill(pair.masterPort, 6000, 6005);
    await caughtUp(pair);
    expect(await stat(pair.masterPort, 'sync_partial_ok')).toBe(1);
    expect(await stat(pair.masterPort, 'sync_full')).toBe(0);
    expect((await info(pair.replicaPort)).master_replid).toBe(m.master_replid);
    expect(pair.replica.db.exists('key:6004', Date.now())).toBe(true);
  });
});
