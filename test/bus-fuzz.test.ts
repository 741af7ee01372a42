import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBareNodes, type BareNodes } from './support/bare-nodes.js';
import { callText, fields } from '../cluster/launcher/admin.js';
import { isAlive } from '../cluster/launcher/processes.js';
import { HDR, GOSSIP_ENTRY_LEN, BUS_HEADER_LEN, GOSSIP, IP_FIELD_LEN } from '../cluster/bus/constants.js';

const FIXTURES = join(import.meta.dirname, '..', 'cluster', 'bus', 'fixtures');
/** Single frames captured from redis-server 7.0.15 (see the fixtures' README). */
const frames = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.bin') && !f.startsWith('stream-'))
  .map((f) => readFileSync(join(FIXTURES, f)));

/** A bus port nothing listens on: what every mutated frame names as its address. */
const NOWHERE_PORT = 9;

/**
 * Mutations that keep every address on loopback and every port on a closed one: after
 * mutating, the sender IP/ports and each gossip entry's IP/ports are stamped back, so
 * no frame can make the node dial anything outside 127.0.0.0/8, nor a live cluster of
 * someone else's on this machine.
 */
function keepLoopback(frame: Buffer): Buffer {
  const ip = Buffer.alloc(IP_FIELD_LEN);
  ip.write('127.0.0.1');
  const stamp = (ipAt: number, portAt: number, cportAt: number) => {
    if (frame.length >= ipAt + IP_FIELD_LEN) ip.copy(frame, ipAt);
    if (frame.length >= portAt + 2) frame.writeUInt16BE(NOWHERE_PORT, portAt);
    if (frame.length >= cportAt + 2) frame.writeUInt16BE(NOWHERE_PORT, cportAt);
  };
  stamp(HDR.myip, HDR.port, HDR.cport);
  for (let at = BUS_HEADER_LEN; at + GOSSIP_ENTRY_LEN <= frame.length; at += GOSSIP_ENTRY_LEN) {
    stamp(at + GOSSIP.ip, at + GOSSIP.port, at + GOSSIP.cport);
  }
  return frame;
}

const mutated = fc
  .tuple(
    fc.constantFrom(...frames),
    fc.array(
      fc.oneof(
        fc.record({ op: fc.constant('flip'), at: fc.nat(), v: fc.integer({ min: 0, max: 255 }) }),
        fc.record({ op: fc.constant('truncate'), at: fc.nat(), v: fc.constant(0) }),
        fc.record({ op: fc.constant('totlen'), at: fc.constant(0), v: fc.integer({ min: 0, max: 0xffffffff }) }),
        fc.record({ op: fc.constant('type'), at: fc.constant(0), v: fc.integer({ min: 0, max: 0xffff }) }),
        fc.record({ op: fc.constant('count'), at: fc.constant(0), v: fc.integer({ min: 0, max: 0xffff }) }),
      ),
      { minLength: 1, maxLength: 3 },
    ),
  )
  .map(([base, ms]) => {
    let f = Buffer.from(base);
    for (const m of ms) {
      if (m.op === 'flip' && f.length) f[m.at % f.length] = m.v;
      else if (m.op === 'truncate') f = f.subarray(0, m.at % (f.length + 1));
      else if (m.op === 'totlen' && f.length >= 8) f.writeUInt32BE(m.v, 4);
      else if (m.op === 'type' && f.length >= 14) f.writeUInt16BE(m.v, 12);
      else if (m.op === 'count' && f.length >= 16) f.writeUInt16BE(m.v, 14);
    }
    return keepLoopback(Buffer.from(f));
  });

function sendFrame(port: number, frame: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(frame));
    s.on('data', () => undefined);
    s.on('close', () => resolve());
    s.on('error', () => resolve());
    // Valid frames get a PONG and the link stays open; bad ones are dropped by the node.
    setTimeout(() => s.destroy(), 30);
  });
}

describe('node under malformed cluster bus frames', () => {
  let nodes: BareNodes;
  const port = 21501;
  beforeAll(async () => {
    nodes = await startBareNodes([port]);
    await callText('127.0.0.1', port, ['CLUSTER', 'ADDSLOTSRANGE', 0, 16383]);
  }, 30_000);
  afterAll(async () => nodes?.stop());

  it('drops 10,000 mutated frames without crashing, and still answers PING and CLUSTER INFO', async () => {
    const inputs = fc.sample(mutated, { numRuns: 10_000, seed: 42 });
    for (let i = 0; i < inputs.length; i += 100) {
      await Promise.all(inputs.slice(i, i + 100).map((f) => sendFrame(port + 10000, f)));
    }
    expect(isAlive(nodes.pids[0], `--port ${port}`)).toBe(true);
    expect(await callText('127.0.0.1', port, ['PING'])).toBe('PONG');
    const info = fields(await callText('127.0.0.1', port, ['CLUSTER', 'INFO']));
    expect(info.cluster_state).toBe('ok');
    // Some mutated frames were still valid messages the node processed.
    expect(Number(info.cluster_stats_messages_received)).toBeGreaterThan(0);
  }, 300_000);
});
