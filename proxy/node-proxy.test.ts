import type { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { encodeBusMessage } from '../cluster/bus/codec.js';
import { loadFixture } from '../cluster/bus/fixtures/fixtures.js';
import { busHeader } from '../cluster/bus/message.js';
import type { TrafficRow } from '../telemetry/rows.js';
import { duplexPair } from '../test/support/duplex-pair.js';
import type { ListenerKind } from './names.js';
import { NodeProxy } from './node-proxy.js';
import { MemorySink } from '../telemetry/local-sinks.js';

/** Lets stream events ('data', 'end', 'close') of in-memory pairs run. */
const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

const bulk = (...args: string[]) => `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('');

/**
 * A proxy on in-memory pairs with a fake clock:
 *   client end <-pair-> [proxy] <-pair-> node end
 */
function rig(nodeName?: string) {
  let t = 1_000_000;
  const sink = new MemorySink();
  const nodes: Duplex[] = [];
  const proxySides: Duplex[] = [];
  const proxy = new NodeProxy({
    runId: 'r1',
    nodeName,
    publicAddress: '127.0.0.1:30001',
    connectUpstream: () => {
      const [mine, node] = duplexPair();
      proxySides.push(mine);
      nodes.push(node);
      return mine;
    },
    sink,
    now: () => t,
    flushEveryMs: 0,
  });
  const connect = (kind: ListenerKind, port: number) => {
    const [client, proxyEnd] = duplexPair();
    proxy.handle(kind, proxyEnd, '127.0.0.1', port);
    return { client, downstream: proxyEnd, node: nodes[nodes.length - 1], upstream: proxySides[proxySides.length - 1] };
  };
  const received = (d: Duplex) => {
    const chunks: Buffer[] = [];
    d.on('data', (c: Buffer) => chunks.push(c));
    return () => Buffer.concat(chunks);
  };
  return {
    proxy,
    sink,
    connect,
    received,
    advance: (ms: number) => (t += ms),
    rows: () => sink.rows('traffic') as TrafficRow[],
  };
}

const sum = (rows: readonly TrafficRow[], f: (r: TrafficRow) => boolean) => rows.filter(f).reduce((n, r) => n + r.bytes, 0);

describe('proxy core on in-memory duplex pairs', () => {
  it('proxy: counts client bytes per direction in 100 ms buckets and flushes them on the tick, not on close', async () => {
    const r = rig('n'.repeat(40));
    const { client, node } = r.connect('client', 5000);
    const atNode = r.received(node);
    const atClient = r.received(client);
    client.write(bulk('SET', 'k', 'v'));
    await settle();
    node.write('+OK\r\n');
    await settle();
    r.advance(100);
    client.write(bulk('GET', 'k'));
    await settle();
    expect(atNode().toString()).toBe(bulk('SET', 'k', 'v') + bulk('GET', 'k'));
    expect(atClient().toString()).toBe('+OK\r\n');
    expect(r.proxy.tick()).toHaveLength(2); // the first bucket has ended; the second has not
    expect(r.rows().map((x) => [x.ts_ms, x.direction, x.bytes, x.channel, x.peer, x.node])).toEqual([
      [1_000_000, 'sent', 5, 'client', '127.0.0.1:5000', 'n'.repeat(40)],
      [1_000_000, 'received', bulk('SET', 'k', 'v').length, 'client', '127.0.0.1:5000', 'n'.repeat(40)],
    ]);
    r.advance(100);
    r.proxy.tick();
    expect(r.rows().at(-1)).toMatchObject({ ts_ms: 1_000_100, direction: 'received', bytes: bulk('GET', 'k').length, messages: 0, msg_type: '' });
  });

  it('proxy: a replica handshake makes the connection replication, its earlier bytes included, named by the peer bus header', async () => {
    const r = rig();
    // A peer's bus connection teaches the proxy: sender "b…b" announces client port 30004.
    const bus = r.connect('bus', 41000);
    const ping = encodeBusMessage({ header: busHeader({ type: 0, sender: 'b'.repeat(40), port: 30004 }), body: { kind: 'raw', count: 0, extensions: 0, data: Buffer.alloc(0) } });
    bus.client.write(ping);
    const repl = r.connect('client', 42000);
    repl.client.write(bulk('PING'));
    await settle();
    r.advance(100);
    expect(r.proxy.tick().filter((x) => x.channel !== 'bus')).toEqual([]); // undecided: held
    repl.node.write('+PONG\r\n');
    repl.client.write(bulk('REPLCONF', 'listening-port', '30004'));
    await settle();
    r.advance(100);
    r.proxy.tick();
    const rows = r.rows().filter((x) => x.channel === 'replication');
    expect(rows.every((x) => x.peer === 'b'.repeat(40))).toBe(true);
    expect(sum(rows, (x) => x.direction === 'received')).toBe(bulk('PING').length + bulk('REPLCONF', 'listening-port', '30004').length);
    expect(sum(rows, (x) => x.direction === 'sent')).toBe(7);
    expect(r.rows().some((x) => x.channel === 'client')).toBe(false);
  });

  it('proxy: MIGRATE connections (RESTORE-ASKING) and the migration coordinator (CLIENT SETNAME kvnetlab-migration) are channel migration', async () => {
    const r = rig();
    const restore = bulk('RESTORE-ASKING', 'k', '0', 'payload');
    const migrate = r.connect('client', 42001);
    migrate.client.write(bulk('AUTH', 'pw') + restore);
    const coord = r.connect('client', 42002);
    coord.client.write(bulk('HELLO', '3') + bulk('client', 'setname', 'kvnetlab-migration') + bulk('CLUSTER', 'GETKEYSINSLOT', '5', '100')); // as ioredis 6 opens
    const plain = r.connect('client', 42003);
    plain.client.write(bulk('CLIENT', 'SETNAME', 'app') + bulk('GET', 'k'));
    await settle();
    migrate.node.write('+OK\r\n+OK\r\n');
    await settle();
    r.advance(100);
    r.proxy.tick();
    const mig = r.rows().filter((x) => x.channel === 'migration');
    expect(sum(mig.filter((x) => x.peer.endsWith(':42001')), (x) => x.direction === 'received')).toBe(bulk('AUTH', 'pw').length + restore.length);
    expect(sum(mig.filter((x) => x.peer.endsWith(':42001')), (x) => x.direction === 'sent')).toBe(10);
    expect(sum(mig.filter((x) => x.peer.endsWith(':42002')), (x) => x.direction === 'received')).toBe(bulk('HELLO', '3').length + bulk('client', 'setname', 'kvnetlab-migration').length + bulk('CLUSTER', 'GETKEYSINSLOT', '5', '100').length);
    expect(r.rows().filter((x) => x.channel === 'client').every((x) => x.peer.endsWith(':42003'))).toBe(true);
  });

  it('proxy: counts bus bytes and messages per message type, the peer and node named by their frames', async () => {
    const r = rig();
    const { client, node } = r.connect('bus', 41000);
    const atNode = r.received(node);
    const ping = loadFixture('ping-6nodes');
    const pong = loadFixture('pong-6nodes');
    const fail = loadFixture('fail');
    client.write(Buffer.concat([ping, fail]));
    node.write(pong);
    await settle();
    r.advance(100);
    r.proxy.tick();
    expect(atNode().equals(Buffer.concat([ping, fail]))).toBe(true);
    const by = (dir: string, t: string) => r.rows().find((x) => x.direction === dir && x.msg_type === t);
    expect(by('received', 'PING')).toMatchObject({ bytes: 2568, messages: 1, peer: ping.subarray(40, 80).toString(), channel: 'bus' });
    expect(by('received', 'FAIL')).toMatchObject({ bytes: fail.length, messages: 1 });
    expect(by('sent', 'PONG')).toMatchObject({ bytes: 2568, messages: 1, node: pong.subarray(40, 80).toString() });
  });

  it('proxy: malformed bus bytes are relayed untouched and counted as unknown', async () => {
    const r = rig('n'.repeat(40));
    const { client, node } = r.connect('bus', 41000);
    const atNode = r.received(node);
    const ping = loadFixture('ping-6nodes');
    const garbage = Buffer.from('RCmX this is not a frame'.repeat(100));
    const stream = Buffer.concat([ping, garbage, ping]);
    for (let i = 0; i < stream.length; i += 777) client.write(stream.subarray(i, i + 777));
    client.end();
    await settle();
    r.advance(100);
    r.proxy.tick();
    expect(atNode().equals(stream)).toBe(true);
    const rows = r.rows();
    expect(sum(rows, (x) => x.msg_type === 'PING')).toBe(ping.length);
    expect(sum(rows, (x) => x.msg_type === 'unknown')).toBe(garbage.length + ping.length);
    expect(sum(rows, () => true)).toBe(stream.length);
  });

  it('proxy: relays a half-close: after the client FIN the node still answers and the client reads it', async () => {
    const r = rig('n'.repeat(40));
    const { client, node } = r.connect('client', 5000);
    const atClient = r.received(client);
    let nodeSawEnd = false;
    node.on('end', () => (nodeSawEnd = true));
    node.resume();
    client.end(bulk('GET', 'k'));
    await settle();
    expect(nodeSawEnd).toBe(true);
    node.write('$1\r\nv\r\n');
    node.end();
    await settle();
    expect(atClient().toString()).toBe('$1\r\nv\r\n');
    expect(r.proxy.stats().open).toBe(0);
  });

  it('proxy: an upstream that dies closes the downstream and its counts are still flushed', async () => {
    const r = rig('n'.repeat(40));
    const { client, downstream, node, upstream } = r.connect('client', 5000);
    node.resume();
    // (An in-memory pair does not carry a close to the client end; over TCP the destroy is a FIN/RST.)
    let downstreamClosed = false;
    downstream.on('close', () => (downstreamClosed = true));
    client.write(bulk('GET', 'k'));
    await settle();
    upstream.destroy(new Error('ECONNRESET'));
    await settle();
    expect(downstreamClosed).toBe(true);
    r.advance(100);
    r.proxy.tick();
    expect(sum(r.rows(), (x) => x.direction === 'received')).toBe(bulk('GET', 'k').length);
    expect(r.proxy.stats()).toEqual({ sessions: 0, open: 0, bufferedBytes: 0 });
  });
});
