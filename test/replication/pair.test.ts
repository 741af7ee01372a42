import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, waitFor } from '../../cluster/launcher/admin.js';
import { PeerClient } from '../../cluster/node/peer-client.js';
import { type ReplPair, info, startPair } from '../support/repl-pair.js';

/** Ports 22001-22010 (helper "replication" range). */
describe('replication: one master, one replica (in-process, real TCP)', () => {
  let pair: ReplPair;
  beforeAll(async () => {
    pair = await startPair(22001, 22002);
  }, 30_000);
  afterAll(async () => {
    await pair?.stop();
  });

  it('replication: data written on the master is readable on the replica with READONLY', async () => {
    await call('127.0.0.1', pair.masterPort, ['SET', 'k1', 'v1']);
    await call('127.0.0.1', pair.masterPort, ['HSET', 'h1', 'f', 'x']);
    const peer = new PeerClient('127.0.0.1', pair.replicaPort, 2000);
    try {
      await waitFor('k1 on the replica', 5000, async () => pair.replica.db.exists('k1', Date.now()));
      const [ro, got, hgot, moved, flush] = await peer.pipeline([['READONLY'], ['GET', 'k1'], ['HGET', 'h1', 'f'], ['SET', 'k1', 'no'], ['FLUSHALL']], 2000);
      expect(flush).toEqual({ t: 'error', v: "READONLY You can't write against a read only replica." });
      expect(ro).toEqual({ t: 'status', v: 'OK' });
      expect(got.v?.toString()).toBe('v1');
      expect(hgot.v?.toString()).toBe('x');
      expect(moved.t === 'error' && moved.v.startsWith(`MOVED `) && moved.v.endsWith(`127.0.0.1:${pair.masterPort}`)).toBe(true);
    } finally {
      peer.close();
    }
  });

  it('replication: offsets agree after writes, and INFO shows the replica online', async () => {
    const peer = new PeerClient('127.0.0.1', pair.masterPort, 2000);
    try {
      const replies = await peer.pipeline([...Array.from({ length: 100 }, (_, i) => ['SET', `key:${i}`, `value:${i}`]), ['WAIT', 1, 2000]], 5000);
      // WAIT counts the replicas that acknowledged this client's writes (REPLCONF GETACK/ACK).
      expect(replies[100]).toEqual({ t: 'int', v: 1 });
    } finally {
      peer.close();
    }
    const m = await info(pair.masterPort);
    const r = await info(pair.replicaPort);
    expect(m.role).toBe('master');
    expect(m.connected_slaves).toBe('1');
    expect(m.slave0).toMatch(new RegExp(`^ip=127\\.0\\.0\\.1,port=${pair.replicaPort},state=online,offset=\\d+,lag=\\d+$`));
    expect(r.role).toBe('slave');
    expect(r.master_replid).toBe(m.master_replid);
    expect(r.master_repl_offset).toBe(m.master_repl_offset);
    expect(r.slave_repl_offset).toBe(m.master_repl_offset);
    expect(pair.replica.db.size()).toBe(pair.master.db.size());
  });

  it('replication: pauseWrites holds writes of normal clients until resumeWrites, reads go on', async () => {
    pair.master.replication.pauseWrites(Date.now() + 10_000);
    const writer = new PeerClient('127.0.0.1', pair.masterPort, 2000);
    try {
      let done = false;
      const pending = writer.pipeline([['SET', 'paused', '1']], 5000).then((r) => {
        done = true;
        return r;
      });
      const reader = new PeerClient('127.0.0.1', pair.masterPort, 2000);
      const [got] = await reader.pipeline([['GET', 'k1']], 2000);
      reader.close();
      expect(got.v?.toString()).toBe('v1');
      await new Promise((r) => setTimeout(r, 300));
      expect(done).toBe(false);
      expect(pair.master.db.exists('paused', Date.now())).toBe(false);
      pair.master.replication.resumeWrites();
      expect(await pending).toEqual([{ t: 'status', v: 'OK' }]);
      await waitFor('paused write replicated', 5000, async () => pair.replica.db.exists('paused', Date.now()));
    } finally {
      writer.close();
    }
  });

  it('replication: a key found expired on the master reaches the replica as a DEL', async () => {
    const dels = () => pair.replica.stats.commands.get('del')?.calls ?? 0;
    const before = dels();
    await call('127.0.0.1', pair.masterPort, ['SET', 'short', 'lived', 'PX', '30']);
    await new Promise((r) => setTimeout(r, 80));
    expect(await call('127.0.0.1', pair.masterPort, ['GET', 'short'])).toEqual({ t: 'bulk', v: null });
    await waitFor('DEL applied on the replica', 5000, async () => dels() === before + 1);
    expect(pair.replica.db.size()).toBe(pair.master.db.size());
  });

  it('replication: an idle link carries a REPLCONF ACK about every second and no stream bytes between PINGs', async () => {
    const acks = () => pair.master.stats.commands.get('replconf')?.calls ?? 0;
    const out0 = pair.master.replication.outputBytes;
    const acks0 = acks();
    await new Promise((r) => setTimeout(r, 3200));
    const sent = pair.master.replication.outputBytes - out0;
    // DESIGN.md anchor: 35 B/s replica->master (ACKs), 1.4 B/s master->replica (a 14-byte PING every 10 s).
    expect(acks() - acks0).toBeGreaterThanOrEqual(2);
    expect(acks() - acks0).toBeLessThanOrEqual(5);
    expect([0, 14]).toContain(sent);
  });
});
