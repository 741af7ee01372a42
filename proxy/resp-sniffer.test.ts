import { describe, expect, it } from 'vitest';
import { RespSniffer } from './resp-sniffer.js';

const bulk = (...args: string[]) => `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('');

/** What a Redis 7.0 replica sends its master (replication.c syncWithMaster), then a 1 KiB SET as noise. */
const handshake = Buffer.from(
  bulk('PING') + bulk('REPLCONF', 'listening-port', '30004') + bulk('REPLCONF', 'capa', 'eof', 'capa', 'psync2') + bulk('PSYNC', '?', '-1') + 'PING\r\n' + bulk('SET', 'k', 'v'.repeat(1024)),
);

function sniff(stream: Buffer, cuts: number[], stopAfter = Infinity): { commands: string[][]; malformed: number } {
  const commands: string[][] = [];
  let malformed = 0;
  const s = new RespSniffer({ onCommand: (a) => commands.push(a) < stopAfter, onMalformed: () => malformed++ });
  let prev = 0;
  for (const c of [...cuts, stream.length]) {
    s.write(stream.subarray(prev, c));
    prev = c;
  }
  return { commands, malformed };
}

const expected = [['PING'], ['REPLCONF', 'listening-port', '30004'], ['REPLCONF', 'capa', 'eof'], ['PSYNC', '?', '-1'], ['PING'], ['SET', 'k', 'v'.repeat(32)]];

describe('RESP request sniffer', () => {
  it('proxy: the sniffer reads command names and first arguments of a replica handshake, whole', () => {
    expect(sniff(handshake, [])).toEqual({ commands: expected, malformed: 0 });
  });

  it('proxy: the sniffer reads the same commands fed byte by byte and split at every boundary', () => {
    expect(sniff(handshake, Array.from({ length: handshake.length - 1 }, (_, i) => i + 1))).toEqual({ commands: expected, malformed: 0 });
    for (let cut = 1; cut < handshake.length; cut++) expect(sniff(handshake, [cut]).commands).toEqual(expected);
  });

  it('proxy: the sniffer stops when told and on a stream that is not RESP', () => {
    expect(sniff(handshake, [], 2).commands).toHaveLength(2);
    expect(sniff(Buffer.from('*1\r\n#4\r\nPING\r\n'), [])).toEqual({ commands: [], malformed: 1 });
    expect(sniff(Buffer.from('*1x\r\n'), [])).toEqual({ commands: [], malformed: 1 });
  });

  it('proxy: the sniffer skips empty requests and reads inline commands', () => {
    expect(sniff(Buffer.from('*0\r\n*-1\r\n\r\nreplconf ack 10\r\n'), [3]).commands).toEqual([['replconf', 'ack', '10']]);
  });
});
