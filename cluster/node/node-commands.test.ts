import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KvNode } from './node.js';
import { defaultConfig } from './config.js';
import { ReplyDecoder } from '../resp/reply-decoder.js';
import { encodeCommand } from '../resp/encode.js';
import type { Reply } from '../resp/reply.js';
import { duplexPair } from '../../test/support/duplex-pair.js';

/** A connection to an in-process node over an in-memory stream: raw bytes in, replies out. */
function connect(node: KvNode) {
  const [ours, theirs] = duplexPair();
  node.handleClient(theirs);
  const replies: Reply[] = [];
  const raw: Buffer[] = [];
  const waiting: Array<() => void> = [];
  const decoder = new ReplyDecoder({ onReply: (r) => (replies.push(r), waiting.shift()?.()), onError: (e) => { throw e; } });
  ours.on('data', (c: Buffer) => (raw.push(c), decoder.write(c)));
  return {
    raw,
    async call(...args: Array<string | number>): Promise<Reply> {
      const done = new Promise<void>((r) => waiting.push(r));
      ours.write(encodeCommand(args));
      await done;
      return replies.shift()!;
    },
  };
}

const text = (r: Reply) => (r.t === 'bulk' && r.v ? r.v.toString() : r.t === 'status' || r.t === 'error' ? r.v : JSON.stringify(r));

describe('server and CLUSTER commands on an in-process node', () => {
  let dir: string;
  let node: KvNode;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kvnetlab-cmd-'));
    node = new KvNode(defaultConfig({ port: 7000, dir }));
  });
  afterEach(async () => {
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('node: unknown commands and wrong arity answer with Redis 7.0 texts', async () => {
    const c = connect(node);
    expect(await c.call('FOO', 'a', 'b')).toEqual({ t: 'error', v: "ERR unknown command 'FOO', with args beginning with: 'a' 'b' " });
    expect(await c.call('GET')).toEqual({ t: 'error', v: "ERR wrong number of arguments for 'get' command" });
    expect(await c.call('CLUSTER', 'NOPE')).toEqual({ t: 'error', v: "ERR unknown subcommand 'NOPE'. Try CLUSTER HELP." });
    expect(await c.call('CLUSTER', 'MEET', '127.0.0.1')).toEqual({ t: 'error', v: "ERR wrong number of arguments for 'cluster|meet' command" });
  });

  it('node: keys are CLUSTERDOWN until slots are assigned, then served', async () => {
    const c = connect(node);
    expect(await c.call('SET', 'foo', 'bar')).toEqual({ t: 'error', v: 'CLUSTERDOWN Hash slot not served' });
    expect(await c.call('CLUSTER', 'ADDSLOTSRANGE', 0, 16383)).toEqual({ t: 'status', v: 'OK' });
    expect(await c.call('SET', 'foo', 'bar')).toEqual({ t: 'status', v: 'OK' });
    expect(text(await c.call('GET', 'foo'))).toBe('bar');
    expect(text(await c.call('CLUSTER', 'INFO'))).toContain('cluster_state:ok\r\n');
  });

  it('node: ADDSLOTS, DELSLOTS and SETSLOT refuse what Redis refuses', async () => {
    const c = connect(node);
    await c.call('CLUSTER', 'ADDSLOTS', 1, 2);
    expect(await c.call('CLUSTER', 'ADDSLOTS', 2)).toEqual({ t: 'error', v: 'ERR Slot 2 is already busy' });
    expect(await c.call('CLUSTER', 'ADDSLOTS', 5, 5)).toEqual({ t: 'error', v: 'ERR Slot 5 specified multiple times' });
    expect(await c.call('CLUSTER', 'ADDSLOTS', 16384)).toEqual({ t: 'error', v: 'ERR Invalid or out of range slot' });
    expect(await c.call('CLUSTER', 'DELSLOTS', 9)).toEqual({ t: 'error', v: 'ERR Slot 9 is already unassigned' });
    expect(await c.call('CLUSTER', 'ADDSLOTSRANGE', 10, 3)).toEqual({ t: 'error', v: 'ERR start slot number 10 is greater than end slot number 3' });
    expect(await c.call('CLUSTER', 'SETSLOT', 9, 'MIGRATING', 'f'.repeat(40))).toEqual({ t: 'error', v: "ERR I'm not the owner of hash slot 9" });
    expect(await c.call('CLUSTER', 'SETSLOT', 1, 'IMPORTING', 'f'.repeat(40))).toEqual({ t: 'error', v: "ERR I'm already the owner of hash slot 1" });
    expect(await c.call('CLUSTER', 'SETSLOT', 1, 'NODE', 'f'.repeat(40))).toEqual({ t: 'error', v: `ERR Unknown node ${'f'.repeat(40)}` });
    expect(await c.call('CLUSTER', 'REPLICATE', node.cluster.myself.name)).toEqual({ t: 'error', v: "ERR Can't replicate myself" });
    expect(await c.call('CLUSTER', 'FORGET', node.cluster.myself.name)).toEqual({ t: 'error', v: "ERR I tried hard but I can't forget myself..." });
  });

  it('node: every change of the cluster state is in nodes.conf before the reply', async () => {
    const c = connect(node);
    await c.call('CLUSTER', 'SET-CONFIG-EPOCH', 7);
    await c.call('CLUSTER', 'ADDSLOTSRANGE', 0, 99);
    const conf = readFileSync(join(dir, 'nodes.conf'), 'utf8');
    expect(conf).toContain(`${node.cluster.myself.name} 127.0.0.1:7000@17000 myself,master - 0 0 7 connected 0-99`);
    expect(conf).toContain('vars currentEpoch 7 lastVoteEpoch 0');
    expect(await c.call('CLUSTER', 'SET-CONFIG-EPOCH', 8)).toEqual({ t: 'error', v: 'ERR Node config epoch is already non-zero' });
    // An open migration survives a restart too.
    node.cluster.add({ ...node.cluster.myself, name: 'a'.repeat(40), flags: 1, failReports: new Map(), numSlots: 0 });
    await c.call('CLUSTER', 'SETSLOT', 5, 'MIGRATING', 'a'.repeat(40));
    expect(readFileSync(join(dir, 'nodes.conf'), 'utf8')).toContain(`[5->-${'a'.repeat(40)}]`);
    await c.call('CLUSTER', 'SETSLOT', 5, 'STABLE');
    expect(readFileSync(join(dir, 'nodes.conf'), 'utf8')).not.toContain('[5->-');
  });

  it('node: after QUIT nothing more is executed, even input that arrives later', async () => {
    const [ours, theirs] = duplexPair();
    node.handleClient(theirs);
    await connect(node).call('CLUSTER', 'ADDSLOTSRANGE', 0, 16383);
    let got = '';
    ours.on('data', (d: Buffer) => (got += d.toString()));
    ours.write(encodeCommand(['QUIT']));
    await new Promise((r) => setTimeout(r, 20));
    ours.write(encodeCommand(['SET', 'afterquit', '1']));
    await new Promise((r) => setTimeout(r, 20));
    expect(got).toBe('+OK\r\n');
    expect(await connect(node).call('EXISTS', 'afterquit')).toEqual({ t: 'int', v: 0 });
  });

  it('node: CLUSTER SLOTS, SHARDS and NODES carry the announced address, not the bound one', async () => {
    await node.stop();
    node = new KvNode(defaultConfig({ port: 7000, dir, announceHost: '127.0.0.9', announcePort: 9000, announceBusPort: 19000 }));
    const c = connect(node);
    await c.call('CLUSTER', 'ADDSLOTSRANGE', 0, 16383);
    expect(text(await c.call('CLUSTER', 'NODES'))).toContain('127.0.0.9:9000@19000 myself,master');
    const slots = await c.call('CLUSTER', 'SLOTS');
    expect(slots).toEqual({
      t: 'array',
      v: [{ t: 'array', v: [{ t: 'int', v: 0 }, { t: 'int', v: 16383 }, { t: 'array', v: [{ t: 'bulk', v: Buffer.from('127.0.0.9') }, { t: 'int', v: 9000 }, { t: 'bulk', v: Buffer.from(node.cluster.myself.name) }, { t: 'array', v: [] }] }] }],
    });
    expect(JSON.stringify(await c.call('CLUSTER', 'SHARDS'))).toContain(JSON.stringify(Buffer.from('127.0.0.9')));
    // Hash tags: only the part between { and } is hashed (cluster.c keyHashSlot).
    expect(await c.call('CLUSTER', 'KEYSLOT', '{user1000}.following')).toEqual(await c.call('CLUSTER', 'KEYSLOT', 'user1000'));
  });

  it('node: INFO uses Redis section titles and field names, and counts network bytes', async () => {
    const c = connect(node);
    await c.call('PING');
    const info = text(await c.call('INFO'));
    for (const title of ['# Server', '# Clients', '# Memory', '# Stats', '# Replication', '# Cluster', '# Keyspace']) expect(info).toContain(`${title}\r\n`);
    for (const field of ['redis_version:7.0.15', 'redis_mode:cluster', 'tcp_port:7000', 'connected_clients:1', 'used_memory:', 'role:master', 'cluster_enabled:1']) {
      expect(info).toContain(field);
    }
    const input = Number(/total_net_input_bytes:(\d+)/.exec(info)![1]);
    const output = Number(/total_net_output_bytes:(\d+)/.exec(info)![1]);
    // PING (14 B) + INFO (14 B) in; +PONG (7 B) out before INFO's reply was counted.
    expect(input).toBe(14 + 14);
    expect(output).toBe(7);
    expect(text(await c.call('INFO', 'cluster'))).toBe('# Cluster\r\ncluster_enabled:1\r\n');
  });

  it('node: HELLO 3 switches to RESP3 maps, CLIENT SETNAME/GETNAME/ID/LIST, CONFIG GET/SET', async () => {
    const c = connect(node);
    await c.call('HELLO', 3);
    const tail = Buffer.concat(c.raw).toString('latin1');
    expect(tail.startsWith('%7\r\n')).toBe(true);
    expect(await c.call('CLIENT', 'SETNAME', 'bad name')).toEqual({ t: 'error', v: 'ERR Client names cannot contain spaces, newlines or special characters.' });
    expect(await c.call('CLIENT', 'SETNAME', 'loadgen')).toEqual({ t: 'status', v: 'OK' });
    expect(text(await c.call('CLIENT', 'GETNAME'))).toBe('loadgen');
    expect(text(await c.call('CLIENT', 'LIST'))).toMatch(/^id=\d+ .* name=loadgen .* resp=3\n$/);
    expect(await c.call('CONFIG', 'SET', 'cluster-node-timeout', 5000)).toEqual({ t: 'status', v: 'OK' });
    expect(node.config.nodeTimeout).toBe(5000);
    const got = await c.call('CONFIG', 'GET', 'cluster-node-timeout');
    expect(got.t).toBe('map');
    expect(await c.call('CONFIG', 'SET', 'port', 1)).toEqual({ t: 'error', v: "ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable config" });
    expect(await c.call('SELECT', 1)).toEqual({ t: 'error', v: 'ERR SELECT is not allowed in cluster mode' });
  });
});
