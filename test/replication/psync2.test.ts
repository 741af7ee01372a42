import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, text, waitFor } from '../../cluster/launcher/admin.js';
import { KvNode } from '../../cluster/node/node.js';
import { defaultConfig } from '../../cluster/node/config.js';
import { F } from '../../cluster/topology/node-flags.js';
import { PeerClient } from '../../cluster/node/peer-client.js';
import { encodeCommand } from '../../cluster/resp/encode.js';
import { info } from '../support/repl-pair.js';

/** Ports 22021-22023: a master and two replicas, in-process, real TCP. */
const PORTS = [22021, 22022, 22023];
const stat = async (port: number, name: string) => (await info(port, 'stats'))[name];

describe('replication: PSYNC2 and the write invariant', () => {
  const nodes: KvNode[] = [];
  const dirs: string[] = [];
  beforeAll(async () => {
    for (const port of PORTS) {
      const dir = mkdtempSync(join(tmpdir(), 'kvnetlab-psync2-'));
      dirs.push(dir);
      const n = new KvNode(defaultConfig({ port, dir, nodeTimeout: 5000 }));
      await n.start();
      nodes.push(n);
    }
    await call('127.0.0.1', PORTS[0], ['CLUSTER', 'ADDSLOTSRANGE', 0, 16383]);
    for (const p of PORTS.slice(1)) await call('127.0.0.1', p, ['CLUSTER', 'MEET', '127.0.0.1', PORTS[0]]);
    await waitFor('all nodes know each other', 15_000, async () => nodes.every((n) => nodes.every((m) => n.cluster.lookup(m.cluster.myself.name))));
    for (const p of PORTS.slice(1)) text(await call('127.0.0.1', p, ['CLUSTER', 'REPLICATE', nodes[0].cluster.myself.name]));
    for (const p of PORTS.slice(1)) await waitFor('link up', 10_000, async () => (await info(p)).master_link_status === 'up');
  }, 40_000);
  afterAll(async () => {
    for (const n of nodes) await n.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('replication: the stream carries exactly the bytes of the clients\' plain SETs (ratio 1.000)', async () => {
    await call('127.0.0.1', PORTS[0], ['SET', 'warm', 'up']); // the stream's one SELECT 0 goes before this
    const peer = new PeerClient('127.0.0.1', PORTS[0], 2000);
    const offset0 = Number((await info(PORTS[0])).master_repl_offset);
    const out0 = Number(await stat(PORTS[0], 'total_net_repl_output_bytes'));
    let clientBytes = 0;
    try {
      for (let batch = 0; batch < 20; batch++) {
        const cmds = Array.from({ length: 100 }, (_, i) => ['SET', `key:${batch}:${i}`, 'v'.repeat(1 + ((batch * 37 + i) % 300))]);
        for (const c of cmds) clientBytes += encodeCommand(c).length;
        await peer.pipeline(cmds, 5000);
      }
    } finally {
      peer.close();
    }
    const streamBytes = Number((await info(PORTS[0])).master_repl_offset) - offset0;
    const sent = Number(await stat(PORTS[0], 'total_net_repl_output_bytes')) - out0;
    expect(streamBytes).toBe(clientBytes);
    // Two replicas each get the stream (plus at most a PING every 10 s).
    expect(sent - 2 * clientBytes).toBeGreaterThanOrEqual(0);
    expect(sent - 2 * clientBytes).toBeLessThanOrEqual(2 * 14);
    console.log(`SET invariant: client ${clientBytes} B, stream ${streamBytes} B, ratio ${(streamBytes / clientBytes).toFixed(3)}`);
  });

  it('replication: a promoted replica lets its old master\'s other replica continue partially (PSYNC2)', async () => {
    const [m, r1, r2] = nodes;
    await waitFor('replicas caught up', 10_000, async () => {
      const mo = (await info(PORTS[0])).master_repl_offset;
      return (await info(PORTS[1])).slave_repl_offset === mo && (await info(PORTS[2])).slave_repl_offset === mo;
    });
    const oldId = (await info(PORTS[0])).master_replid;
    const offset = Number((await info(PORTS[1])).master_repl_offset);
    // What a failover does to the topology, and nothing else: r1 becomes a master, r2 follows it.
    r1.cluster.myself.flags = (r1.cluster.myself.flags & ~F.SLAVE) | F.MASTER;
    r1.cluster.myself.slaveof = null;
    r2.cluster.myself.slaveof = r1.cluster.myself.name;
    r1.replication.reconcile();
    r2.replication.reconcile();
    await waitFor('r2 linked to r1', 10_000, async () => (await info(PORTS[2])).master_link_status === 'up' && (await info(PORTS[2])).master_port === String(PORTS[1]));
    const i1 = await info(PORTS[1]);
    expect(i1.role).toBe('master');
    expect(i1.master_replid2).toBe(oldId);
    expect(i1.second_repl_offset).toBe(String(offset + 1));
    expect(await stat(PORTS[1], 'sync_partial_ok')).toBe('1');
    expect(await stat(PORTS[1], 'sync_full')).toBe('0');
    expect((await info(PORTS[2])).master_replid).toBe(i1.master_replid);
    expect(r2.db.size()).toBe(m.db.size());
  });
});
