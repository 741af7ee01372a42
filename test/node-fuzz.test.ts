import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KvNode } from '../cluster/node/node.js';
import { defaultConfig } from '../cluster/node/config.js';
import { ReplyDecoder } from '../cluster/resp/reply-decoder.js';
import type { Reply } from '../cluster/resp/reply.js';
import { duplexPair } from './support/duplex-pair.js';
import { fuzzInput } from './support/resp-corpus.js';
import { startBareNodes, type BareNodes } from './support/bare-nodes.js';
import { callText } from '../cluster/launcher/admin.js';

/** Sends one input on a fresh in-memory connection, half-closes, and collects what the node answers. */
function exchange(node: KvNode, input: Buffer): Promise<{ replies: Reply[]; malformedOutput: boolean }> {
  const [ours, theirs] = duplexPair();
  node.handleClient(theirs);
  const replies: Reply[] = [];
  let malformedOutput = false;
  const decoder = new ReplyDecoder({ onReply: (r) => replies.push(r), onError: () => (malformedOutput = true) });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node did not finish answering ${JSON.stringify(input.toString('latin1'))}`)), 5000);
    ours.on('data', (c: Buffer) => decoder.write(c));
    ours.on('end', () => {
      clearTimeout(timer);
      resolve({ replies, malformedOutput });
    });
    ours.write(input);
    ours.end();
  });
}

describe('node under malformed RESP', () => {
  let dir: string;
  let node: KvNode;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kvnetlab-fuzz-'));
    node = new KvNode(defaultConfig({ port: 0, dir }));
  });
  afterAll(async () => {
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 100,000 random and mutated inputs with replies or a protocol error, never crashes, and still answers PING', async () => {
    const inputs = fc.sample(fuzzInput, { numRuns: 100_000, seed: 20261121 });
    let protocolErrors = 0;
    let answered = 0;
    for (const input of inputs) {
      const { replies, malformedOutput } = await exchange(node, input);
      expect(malformedOutput).toBe(false);
      if (replies.some((r) => r.t === 'error' && r.v.startsWith('ERR Protocol error'))) protocolErrors++;
      if (replies.length > 0) answered++;
    }
    // Both paths were exercised: plenty of inputs were refused, plenty were served.
    expect(protocolErrors).toBeGreaterThan(1000);
    expect(answered - protocolErrors).toBeGreaterThan(1000);
    const { replies } = await exchange(node, Buffer.from('*1\r\n$4\r\nPING\r\n'));
    expect(replies).toEqual([{ t: 'status', v: 'PONG' }]);
  }, 300_000);

  it('refuses a 4 GiB bulk length before reading it', async () => {
    const { replies } = await exchange(node, Buffer.from('*1\r\n$4294967296\r\n'));
    expect(replies).toEqual([{ t: 'error', v: 'ERR Protocol error: invalid bulk length' }]);
  });

  it('holds only the bytes received for a large declared bulk, not the declared length', async () => {
    const [ours, theirs] = duplexPair();
    node.handleClient(theirs);
    const before = process.memoryUsage().arrayBuffers + process.memoryUsage().heapUsed;
    ours.write(Buffer.from('*2\r\n$3\r\nGET\r\n$500000000\r\n0123456789'));
    await new Promise((r) => setTimeout(r, 50));
    const grown = process.memoryUsage().arrayBuffers + process.memoryUsage().heapUsed - before;
    ours.destroy();
    expect(grown).toBeLessThan(50 * 1024 * 1024);
  });
});

describe('node process under malformed RESP over TCP', () => {
  let nodes: BareNodes;
  const port = 21401;
  beforeAll(async () => {
    nodes = await startBareNodes([port]);
  }, 30_000);
  afterAll(async () => nodes?.stop());

  it('survives 2,000 mutated requests on real sockets and still answers PING', async () => {
    const inputs = fc.sample(fuzzInput, { numRuns: 2000, seed: 7 });
    for (let i = 0; i < inputs.length; i += 50) {
      await Promise.all(
        inputs.slice(i, i + 50).map(
          (input) =>
            new Promise<void>((resolve) => {
              const s = net.connect(port, '127.0.0.1', () => s.end(input));
              s.on('data', () => undefined);
              s.on('close', () => resolve());
              s.on('error', () => resolve());
              s.setTimeout(5000, () => s.destroy());
            }),
        ),
      );
    }
    expect(await callText('127.0.0.1', port, ['PING'])).toBe('PONG');
  }, 120_000);
});
