import type { ProtocolError } from './errors.js';
import { type ReplyDecoderOptions, ReplyDecoder } from './reply-decoder.js';
import { type RequestDecoderOptions, RequestDecoder } from './request-decoder.js';
import type { Reply } from './reply.js';

/**
 * Helpers for the decoder tests (STYLE.md 1): the ways of cutting input into chunks,
 * and decoders run to completion over a list of chunks. No test framework here, so
 * the build can compile it like any module.
 */

/** Wire bytes written as a JS string, one char per byte ("\xff" is the byte 0xff). */
export const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');

/** The whole input as one chunk. */
export const whole = (b: Buffer): Buffer[] => [b];

/** One chunk per byte. */
export const byteByByte = (b: Buffer): Buffer[] => Array.from(b, (_, i) => b.subarray(i, i + 1));

/** Every way to cut the input in two non-empty pieces. */
export function twoPieces(b: Buffer): Buffer[][] {
  const out: Buffer[][] = [];
  for (let i = 1; i < b.length; i++) out.push([b.subarray(0, i), b.subarray(i)]);
  return out;
}

/** Cuts at the given offsets (sorted, within the input). */
export function cutAt(b: Buffer, offsets: number[]): Buffer[] {
  const out: Buffer[] = [];
  let from = 0;
  for (const at of offsets) {
    if (at > from && at < b.length) {
      out.push(b.subarray(from, at));
      from = at;
    }
  }
  out.push(b.subarray(from));
  return out;
}

export interface DecodedRequests {
  /** Arguments as latin1 strings: byte-exact and readable in a diff. */
  commands: string[][];
  error?: { code: string; message: string };
  /** bufferedBytes() after the last chunk. */
  buffered: number;
}

/** Feeds chunks to a fresh RequestDecoder and reports what came out. */
export function decodeRequests(
  chunks: Buffer[],
  opts: Partial<RequestDecoderOptions> = {},
): DecodedRequests {
  const commands: string[][] = [];
  let error: DecodedRequests['error'];
  const d = new RequestDecoder({
    ...opts,
    onCommand: (args) => commands.push(args.map((a) => a.toString('latin1'))),
    onError: (e: ProtocolError) => {
      if (error) throw new Error('onError called twice');
      error = { code: e.code, message: e.redisMessage };
    },
  });
  for (const c of chunks) d.write(c);
  return { commands, ...(error ? { error } : {}), buffered: d.bufferedBytes() };
}

export interface DecodedReplies {
  replies: Reply[];
  pushes: Reply[];
  error?: { code: string; message: string };
  buffered: number;
}

/** Feeds chunks to a fresh ReplyDecoder and reports what came out. */
export function decodeReplies(chunks: Buffer[], opts: Partial<ReplyDecoderOptions> = {}): DecodedReplies {
  const replies: Reply[] = [];
  const pushes: Reply[] = [];
  let error: DecodedReplies['error'];
  const d = new ReplyDecoder({
    ...opts,
    onReply: (r) => replies.push(r),
    // Pushes are collected apart unless the caller passes its own onPush (even undefined).
    onPush: 'onPush' in opts ? opts.onPush : (r) => pushes.push(r),
    onError: (e) => {
      if (error) throw new Error('onError called twice');
      error = { code: e.code, message: e.redisMessage };
    },
  });
  for (const c of chunks) d.write(c);
  return { replies, pushes, ...(error ? { error } : {}), buffered: d.bufferedBytes() };
}
