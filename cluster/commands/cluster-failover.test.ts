/**
 * CLUSTER FAILOVER and SETSLOT NODE's demotion on a running in-process node (ephemeral
 * ports), checked against cluster.c clusterCommand's texts. The other cluster node is a
 * table entry with a closed address, so the bus never reaches it: what a master that
 * went away looks like.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KvNode } from '../node/node.js';
import { defaultConfig } from '../node/config.js';
import { PeerClient } from '../node/peer-client.js';
import type { Reply } from '../resp/reply.js';
import { F } from '../topology/node-flags.js';
import { newClusterNode } from '../topology/cluster-node.js';

/** Nothing listens there (this helper's port range): connects are refused. */
const CLOSED_PORT = 22198;
const OTHER = 'b'.repeat(40);

const text = (r: Reply): string => (r.t === 'bulk' && r.v ? r.v.toString() : r.t === 'status' || r.t === 'error' ? r.v : JSON.stringify(r));

describe('CLUSTER FAILOVER and SETSLOT NODE on an in-process node', () => {
  let dir: string;
  let node: KvNode;
  let peer: PeerClient;
  const call = async (...args: Array<string | number>): Promise<string> => text((await peer.pipeline([args], 5000))[0]);

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kvnetlab-failover-cmd-'));
    node = new KvNode(defaultConfig({ port: 0, busPort: 0, dir }));
    await node.start();
    peer = new PeerClient('127.0.0.1', node.listeningPorts()[0], 2000);
    node.cluster.add(newClusterNode({ name: OTHER, flags: F.MASTER, ip: '127.0.0.1', port: CLOSED_PORT, cport: CLOSED_PORT + 10000 }));
  });
  afterEach(async () => {
    peer.close();
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('cluster failover: Redis 7.0 errors for a master, a bad option, too many arguments, an unreachable master', async () => {
    expect(await call('CLUSTER', 'FAILOVER')).toBe('ERR You should send CLUSTER FAILOVER to a replica');
    expect(await call('CLUSTER', 'FAILOVER', 'NOW')).toBe('ERR syntax error');
    expect(await call('CLUSTER', 'FAILOVER', 'FORCE', 'x')).toBe("ERR unknown subcommand or wrong number of arguments for 'FAILOVER'. Try CLUSTER HELP.");
    expect(await call('CLUSTER', 'REPLICATE', OTHER)).toBe('OK');
    // No bus link to the master: only FORCE or TAKEOVER may proceed.
    expect(await call('CLUSTER', 'FAILOVER')).toBe('ERR Master is down or failed, please use CLUSTER FAILOVER FORCE');
    expect(node.bus.failover.manual.state).toBe('none');
    expect(await call('CLUSTER', 'FAILOVER', 'force')).toBe('OK');
    expect(node.bus.failover.manual.state).toBe('ready');
  });

  it('cluster failover: TAKEOVER turns the replica into the master of its old master\'s slots at once, with a new epoch in nodes.conf', async () => {
    const other = node.cluster.lookup(OTHER)!;
    other.configEpoch = 3n;
    node.cluster.currentEpoch = 3n;
    for (let s = 0; s < 16384; s++) node.cluster.assignSlot(s, other);
    expect(await call('CLUSTER', 'REPLICATE', OTHER)).toBe('OK');
    expect(await call('CLUSTER', 'FAILOVER', 'TAKEOVER')).toBe('OK');
    const nodes = await call('CLUSTER', 'NODES');
    const mine = nodes.split('\n').find((l) => l.includes('myself'))!;
    expect(mine).toMatch(/ myself,master - 0 \d+ 4 connected 0-16383$/);
    expect(await call('CLUSTER', 'INFO')).toContain('cluster_current_epoch:4\r\n');
  });

  it('cluster setslot node: a master giving away its last slot becomes a replica of the new owner (unless replica migration is off)', async () => {
    expect(await call('CLUSTER', 'ADDSLOTS', 5, 6)).toBe('OK');
    expect(await call('CONFIG', 'SET', 'cluster-allow-replica-migration', 'no')).toBe('OK');
    expect(await call('CLUSTER', 'SETSLOT', 5, 'NODE', OTHER)).toBe('OK');
    expect(await call('CLUSTER', 'SETSLOT', 6, 'NODE', OTHER)).toBe('OK');
    let mine = (await call('CLUSTER', 'NODES')).split('\n').find((l) => l.includes('myself'))!;
    expect(mine).toContain('myself,master -');
    // Give one back, then move it away again with migration allowed.
    expect(await call('CLUSTER', 'SETSLOT', 6, 'NODE', node.cluster.myself.name)).toBe('OK');
    expect(await call('CONFIG', 'SET', 'cluster-allow-replica-migration', 'yes')).toBe('OK');
    expect(await call('CLUSTER', 'SETSLOT', 6, 'NODE', OTHER)).toBe('OK');
    mine = (await call('CLUSTER', 'NODES')).split('\n').find((l) => l.includes('myself'))!;
    expect(mine).toContain(`myself,slave ${OTHER}`);
  });

  it('config: the failover options read and write with Redis names and yes/no values', async () => {
    expect(await peer.pipeline([['CONFIG', 'GET', 'cluster-replica-*']], 5000)).toEqual([
      {
        t: 'array',
        v: ['cluster-replica-validity-factor', '10', 'cluster-replica-no-failover', 'no'].map((s) => ({ t: 'bulk', v: Buffer.from(s) })),
      },
    ]);
    expect(await call('CONFIG', 'SET', 'cluster-replica-no-failover', 'maybe')).toMatch(/^ERR .*argument must be 'yes' or 'no'/);
    expect(await call('CONFIG', 'SET', 'cluster-replica-no-failover', 'YES')).toBe('OK');
    expect(await call('CONFIG', 'SET', 'cluster-replica-validity-factor', '0')).toBe('OK');
    expect(node.config.replicaNoFailover).toBe(true);
    expect(node.config.replicaValidityFactor).toBe(0);
  });
});
