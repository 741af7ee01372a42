import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { TrafficRow } from '../telemetry/rows.js';
import { type Listeners, listenProxy, tcpUpstream } from './listen.js';
import { NodeProxy } from './node-proxy.js';
import { MemorySink } from '../telemetry/local-sinks.js';

/** The proxy over real TCP on port 0: upstream server <- proxy <- client. */
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serve(onConn: (s: net.Socket) => void): Promise<number> {
  const server = net.createServer({ allowHalfOpen: true }, onConn);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return (server.address() as net.AddressInfo).port;
}

async function proxyTo(port: number): Promise<{ proxy: NodeProxy; sink: MemorySink; listeners: Listeners }> {
  const sink = new MemorySink();
  const proxy = new NodeProxy({ runId: 't', nodeName: 'n'.repeat(40), publicAddress: 'x', connectUpstream: tcpUpstream({ host: '127.0.0.1', port, busPort: port }), sink });
  const listeners = await listenProxy(proxy, '127.0.0.1', 0);
  cleanups.push(async () => {
    const closing = listeners.close();
    await proxy.close();
    await closing;
  });
  return { proxy, sink, listeners };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const total = (rows: readonly TrafficRow[], dir: string) => rows.filter((r) => r.direction === dir).reduce((n, r) => n + r.bytes, 0);

describe('proxy over TCP', () => {
  it('proxy: a client that stops reading holds the proxy to a bounded buffer and stalls the sender', async () => {
    const TOTAL = 128 * 1024 * 1024;
    const CHUNK = Buffer.alloc(256 * 1024, 0x61);
    let written = 0;
    const port = await serve((s) => {
      const pump = () => {
        while (written < TOTAL) {
          written += CHUNK.length;
          if (!s.write(CHUNK)) return void s.once('drain', pump);
        }
        s.end();
      };
      s.resume();
      pump();
    });
    const { proxy, sink, listeners } = await proxyTo(port);
    const client = net.connect({ port: listeners.clientPort, host: '127.0.0.1' });
    client.pause(); // never reads for a while
    await sleep(1500);
    const stalledAt = written;
    const held = proxy.stats().bufferedBytes;
    expect(stalledAt).toBeLessThan(TOTAL / 2); // the sender saw backpressure through the proxy
    expect(held).toBeLessThan(1024 * 1024); // the proxy itself holds at most about one chunk per side
    await sleep(300);
    expect(written).toBe(stalledAt); // and it stays stalled
    let got = 0;
    client.on('data', (c: Buffer) => (got += c.length));
    client.resume();
    await new Promise((r) => client.on('end', r));
    client.end();
    expect(got).toBe(TOTAL);
    await sleep(250);
    expect(total(sink.rows('traffic'), 'sent')).toBe(TOTAL);
  }, 30_000);

  it('proxy: relays a FIN one way while data still flows the other way', async () => {
    const port = await serve((s) => {
      const got: Buffer[] = [];
      s.on('data', (c: Buffer) => got.push(c));
      s.on('end', () => {
        // The client has half-closed; the node answers after it.
        s.write(`got ${Buffer.concat(got).length} bytes`);
        setTimeout(() => s.end(' bye'), 50);
      });
    });
    const { listeners } = await proxyTo(port);
    const client = net.connect({ port: listeners.clientPort, host: '127.0.0.1', allowHalfOpen: true });
    const chunks: Buffer[] = [];
    client.on('data', (c: Buffer) => chunks.push(c));
    client.end('x'.repeat(1000));
    await new Promise((r) => client.on('end', r));
    expect(Buffer.concat(chunks).toString()).toBe('got 1000 bytes bye');
  });

  it('proxy: a node that is not listening closes the client connection at once', async () => {
    const dead = await serve(() => undefined);
    await new Promise((r) => setTimeout(r, 10));
    const { proxy, listeners } = await proxyTo(dead);
    await cleanups.shift()!(); // close the server: the port now refuses
    const client = net.connect({ port: listeners.clientPort, host: '127.0.0.1' });
    client.on('error', () => undefined);
    await new Promise((r) => client.on('close', r));
    await sleep(50);
    expect(proxy.stats().open).toBe(0);
  });
});
