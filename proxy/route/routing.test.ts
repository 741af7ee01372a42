import type { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { RequestDecoder } from '../../cluster/resp/request-decoder.js';
import { MemorySink } from '../../telemetry/local-sinks.js';
import type { TrafficRow } from '../../telemetry/rows.js';
import { duplexPair } from '../../test/support/duplex-pair.js';
import { NodeProxy } from '../node-proxy.js';

/*
 * The proxy's routing on in-memory pairs (STYLE.md 2):
 *   client end <-pair-> [proxy] <-pair-> node (fake)
 *                          └─────<-pair-> destination (fake, through "its proxy")
 * Keys: K0 in slot 0, K1 in slot 1, KA in slot 9000 (outside the migration 0-2).
 */
const K0 = 'k596';
const K1 = 'k37999';
const KA = 'k52280';

const cmd = (...args: string[]) => `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('');
const bulk = (v: string | null) => (v === null ? '$-1\r\n' : `$${Buffer.byteLength(v)}\r\n${v}\r\n`);
const settle = async () => {
  for (let i = 0; i < 8; i++) await new Promise((r) => setImmediate(r));
};

/** A node that answers GET, SET, APPEND, ECHO, ASKING from a map; with `manual`, replies wait for release(). */
class FakeNode {
  readonly store = new Map<string, string>();
  readonly seen: string[] = [];
  manual = false;
  private readonly queue: string[] = [];
  constructor(readonly end: Duplex) {
    const dec = new RequestDecoder({ onCommand: (a) => this.run(a.map((x) => x.toString())), onError: (e) => { throw e; } });
    end.on('data', (c: Buffer) => dec.write(c));
  }
  release(n = Infinity): void {
    while (n-- > 0 && this.queue.length) this.end.write(this.queue.shift()!);
  }
  private run([name, ...a]: string[]): void {
    this.seen.push([name, ...a].join(' '));
    const n = name!.toUpperCase();
    let r: string;
    if (n === 'GET') r = bulk(this.store.get(a[0]!) ?? null);
    else if (n === 'SET') (this.store.set(a[0]!, a[1]!), (r = '+OK\r\n'));
    else if (n === 'APPEND') (this.store.set(a[0]!, (this.store.get(a[0]!) ?? '') + a[1]), (r = `:${this.store.get(a[0]!)!.length}\r\n`));
    else if (n === 'ECHO') r = bulk(a[0]!);
    else if (n === 'ASKING') r = '+OK\r\n';
    else r = `-ERR unknown command '${name}'\r\n`;
    this.queue.push(r);
    if (!this.manual) this.release();
  }
}

function rig() {
  const sink = new MemorySink();
  const nodes: FakeNode[] = [];
  const dests: FakeNode[] = [];
  /** The proxy's ends of its destination connections (a pair carries no close: tests fail them here). */
  const destSides: Duplex[] = [];
  const destStore = new Map<string, string>();
  const dead = { dest: false };
  const proxy = new NodeProxy({
    runId: 'r', nodeName: 'src', publicAddress: '127.0.0.1:7001', sink, flushEveryMs: 0,
    connectUpstream: () => {
      const [mine, node] = duplexPair();
      const n = new FakeNode(node);
      n.store.set(KA, 'va').set(K0, 'old0').set(K1, 'old1');
      nodes.push(n);
      return mine;
    },
    connectDest: () => {
      const [mine, dest] = duplexPair();
      if (dead.dest) {
        setImmediate(() => mine.destroy(new Error('connect ECONNREFUSED')));
        return mine;
      }
      const d = new FakeNode(dest);
      (d as { store: Map<string, string> }).store.clear();
      for (const [k, v] of destStore) d.store.set(k, v);
      dests.push(d);
      destSides.push(mine);
      return mine;
    },
  });
  const connect = () => {
    const [client, proxyEnd] = duplexPair();
    proxy.handle('client', proxyEnd, '127.0.0.1', 40000 + nodes.length);
    const got: Buffer[] = [];
    client.on('data', (c: Buffer) => got.push(c));
    return { client, proxyEnd, node: nodes[nodes.length - 1]!, got: () => Buffer.concat(got).toString() };
  };
  const control = connect();
  const ctl = async (...args: string[]) => {
    const before = control.got().length;
    control.client.write(cmd('KVNETLAB.PROXY', 'MIGRATION', ...args));
    await settle();
    return control.got().slice(before);
  };
  return { proxy, sink, nodes, dests, destSides, dead, destStore, connect, ctl, control };
}

describe('proxy routing (route/) on in-memory pairs', () => {
  it('proxy route: without a migration a pipeline split at every byte reaches the node byte for byte behind the first-command gate, counted once', async () => {
    const pipeline = cmd('HELLO', '3') + cmd('GET', KA) + cmd('SET', K1, 'x'.repeat(300)) + 'PING\r\n';
    for (let cut = 1; cut < pipeline.length; cut += 7) {
      const r = rig();
      const c = r.connect();
      const atNode: Buffer[] = [];
      c.node.end.on('data', (b: Buffer) => atNode.push(b));
      c.client.write(pipeline.slice(0, cut));
      await settle();
      c.client.write(pipeline.slice(cut));
      await settle();
      expect(Buffer.concat(atNode).toString()).toBe(pipeline);
      const rows = r.proxy.tick(true) as TrafficRow[];
      const received = rows.filter((x) => x.direction === 'received' && x.channel === 'client').reduce((n, x) => n + x.bytes, 0);
      expect(received).toBe(Buffer.byteLength(pipeline));
    }
  });

  it('proxy route: a pipeline split at every byte gets every reply in command order: node, destination, double read (the destination wins unless nil), a held command after its group migrated', async () => {
    const pipeline = cmd('GET', KA) + cmd('SET', K0, 'v0') + cmd('GET', K0) + cmd('GET', K1) + cmd('APPEND', K0, 'x') + cmd('GET', KA) + cmd('GET', K1);
    const expected = bulk('va') + '+OK\r\n' + bulk('v0') + bulk('new1') + ':3\r\n' + bulk('va') + bulk('new1');
    for (let cut = 1; cut < pipeline.length; cut += 1) {
      const r = rig();
      r.destStore.set(K1, 'new1');
      expect(await r.ctl('OPEN', '127.0.0.1', '7002', '0-2')).toBe('+OK\r\n');
      expect(await r.ctl('GROUP', '0', 'ongoing')).toBe('+OK\r\n');
      expect(await r.ctl('GROUP', '1', 'ongoing')).toBe('+OK\r\n');
      expect(await r.ctl('GROUP', '1', 'migrated')).toBe('+OK\r\n');
      const c = r.connect();
      c.client.write(pipeline.slice(0, cut));
      await settle();
      c.client.write(pipeline.slice(cut));
      await settle();
      // APPEND on the ongoing group waits (and GET KA behind it): only the first four are answered.
      expect(c.got()).toBe(bulk('va') + '+OK\r\n' + bulk('v0') + bulk('new1'));
      expect(await r.ctl('GROUP', '0', 'migrated')).toBe('+OK\r\n');
      await settle();
      expect(c.got()).toBe(expected);
      expect(c.node.seen).toEqual([`GET ${KA}`, `GET ${K0}`, `GET ${KA}`]);
      expect(r.dests[0]!.seen).toEqual(['ASKING', `SET ${K0} v0`, 'ASKING', `GET ${K0}`, 'ASKING', `GET ${K1}`, 'ASKING', `APPEND ${K0} x`, 'ASKING', `GET ${K1}`]);
    }
  });

  it('proxy route: a SET with a TTL on an ongoing group waits until the group is migrated (an expired key would come back with the copy)', async () => {
    const r = rig();
    expect(await r.ctl('OPEN', '127.0.0.1', '7002', '0-2')).toBe('+OK\r\n');
    expect(await r.ctl('GROUP', '0', 'ongoing')).toBe('+OK\r\n');
    const c = r.connect();
    c.client.write(cmd('SET', K0, 'v', 'PX', '5'));
    await settle();
    expect(c.got()).toBe('');
    expect(r.dests[0]?.seen ?? []).toEqual([]);
    expect(await r.ctl('GROUP', '0', 'migrated')).toBe('+OK\r\n');
    await settle();
    expect(c.got()).toBe('+OK\r\n');
    expect(r.dests[0]!.seen).toEqual(['ASKING', `SET ${K0} v PX 5`]);
    expect(c.node.seen).toEqual([]);
  });

  it('proxy route: a connection taken over mid-life gets the replies to its raw commands first; OPEN answers once they are through', async () => {
    const r = rig();
    r.destStore.set(K1, 'new1');
    const c = r.connect();
    c.node.manual = true;
    c.client.write(cmd('GET', KA) + cmd('GET', K1).slice(0, 7)); // the second command is cut: the switch waits for its end
    await settle();
    r.control.client.write(cmd('KVNETLAB.PROXY', 'MIGRATION', 'OPEN', '127.0.0.1', '7002', '0-2'));
    await settle();
    c.client.write(cmd('GET', K1).slice(7) + cmd('SET', K1, 'late'));
    await settle();
    r.control.client.write(cmd('KVNETLAB.PROXY', 'MIGRATION', 'GROUP', '1', 'ongoing'));
    await settle();
    expect(r.control.got()).toBe(''); // OPEN waits for the raw replies, GROUP behind it
    c.node.release();
    await settle();
    expect(r.control.got()).toBe('+OK\r\n+OK\r\n');
    // The raw GET K1 went to the node before the switch, the marker after it; SET K1 (its
    // group not moving yet) to the node too, and GROUP 1 ongoing waited for its reply.
    expect(c.node.seen.slice(0, 2)).toEqual([`GET ${KA}`, `GET ${K1}`]);
    expect(c.node.seen[2]).toMatch(/^ECHO kvnetlab-route-/);
    expect(c.node.seen[3]).toBe(`SET ${K1} late`);
    expect(c.got()).toBe(bulk('va') + bulk('old1') + '+OK\r\n');
    expect(r.dests).toEqual([]);
  });

  it('proxy route: SUBSCRIBE waits for the replies owed, then the connection is a raw relay for good (its replies are a stream)', async () => {
    const r = rig();
    r.destStore.set(K1, 'new1');
    await r.ctl('OPEN', '127.0.0.1', '7002', '0-2');
    await r.ctl('GROUP', '1', 'ongoing');
    await r.ctl('GROUP', '1', 'migrated');
    const c = r.connect();
    c.client.write(cmd('GET', K1) + cmd('SUBSCRIBE', 'ch'));
    await settle();
    expect(c.node.seen).toEqual(['SUBSCRIBE ch']);
    c.node.end.write('>3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n');
    await settle();
    expect(c.got()).toBe(bulk('new1') + "-ERR unknown command 'SUBSCRIBE'\r\n" + '>3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n');
    expect(JSON.parse((await r.ctl('STATUS')).split('\r\n')[1]!)).toMatchObject({ open: true, routed: 0 });
  });

  it('proxy route: GROUP ongoing answers once the commands of its slot already at the node are answered', async () => {
    const r = rig();
    await r.ctl('OPEN', '127.0.0.1', '7002', '0-2');
    const c = r.connect();
    c.node.manual = true;
    c.client.write(cmd('SET', K0, 'a'));
    await settle();
    const before = r.control.got().length;
    r.control.client.write(cmd('KVNETLAB.PROXY', 'MIGRATION', 'GROUP', '0', 'ongoing'));
    await settle();
    expect(r.control.got().slice(before)).toBe('');
    c.node.release();
    await settle();
    expect(r.control.got().slice(before)).toBe('+OK\r\n');
    expect(c.got()).toBe('+OK\r\n');
  });

  it('proxy route: a dead destination answers routed commands with an error; after CLOSE the connection is a raw relay again', async () => {
    const r = rig();
    await r.ctl('OPEN', '127.0.0.1', '7002', '0-2');
    await r.ctl('GROUP', '1', 'ongoing');
    await r.ctl('GROUP', '1', 'migrated');
    const c = r.connect();
    c.client.write(cmd('GET', K1));
    await settle();
    r.dead.dest = true;
    r.destSides[0]!.destroy(new Error('ECONNRESET'));
    await settle();
    c.client.write(cmd('GET', K1));
    await settle();
    expect(c.got()).toMatch(/^\$-1\r\n-ERR kvnetlab proxy: migration destination 127\.0\.0\.1:7002 unreachable/);
    expect(await r.ctl('CLOSE')).toBe('+OK\r\n');
    const n = c.got().length;
    c.client.write(cmd('GET', K1));
    await settle();
    expect(c.got().slice(n)).toBe(bulk('old1'));
    expect(c.node.seen.at(-1)).toBe(`GET ${K1}`);
    expect(JSON.parse((await r.ctl('STATUS')).split('\r\n')[1]!)).toMatchObject({ open: false, routed: 0 });
  });

  it('proxy route: a coordinator that closes while OPEN still waits for a connection leaves no migration open', async () => {
    const r = rig();
    const c = r.connect();
    c.client.write(cmd('GET', KA).slice(0, 5)); // mid-command: OPEN waits for its end
    await settle();
    r.control.client.write(cmd('KVNETLAB.PROXY', 'MIGRATION', 'OPEN', '127.0.0.1', '7002', '0-2'));
    await settle();
    expect(r.proxy.routes.current()).toBeDefined();
    r.control.proxyEnd.destroy();
    await settle();
    expect(r.proxy.routes.current()).toBeUndefined();
    c.client.write(cmd('GET', KA).slice(5));
    await settle();
    expect(c.got()).toBe(bulk('va'));
  });

  it('proxy route: the control connection never reaches the node, its bytes are channel migration, and its close closes the migration', async () => {
    const r = rig();
    expect(await r.ctl('GROUP', '1', 'ongoing')).toMatch(/^-ERR no migration is open/);
    await r.ctl('OPEN', '127.0.0.1', '7002', '0-2');
    expect(await r.ctl('OPEN', '127.0.0.1', '7002', '0-2')).toMatch(/^-ERR a migration to 127\.0\.0\.1:7002 is open already/);
    expect(r.control.node.seen).toEqual([]);
    r.control.proxyEnd.destroy();
    await settle();
    expect(r.proxy.routes.current()).toBeUndefined();
    const rows = r.proxy.tick(true) as TrafficRow[];
    expect(new Set(rows.map((x) => x.channel))).toEqual(new Set(['migration']));
    expect(rows.reduce((n, x) => n + x.bytes, 0)).toBeGreaterThan(100);
  });
});
