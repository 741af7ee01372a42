import type { KvNode } from '../../cluster/node/node.js';
import { encodeCommand } from '../../cluster/resp/encode.js';
import { ReplyDecoder } from '../../cluster/resp/reply-decoder.js';
import type { Reply } from '../../cluster/resp/reply.js';
import { duplexPair } from './duplex-pair.js';

/**
 * A client of an in-process node over an in-memory stream: `call(...args)` sends one
 * command and resolves with its reply, in order (commands unit tests).
 */
export function nodeClient(node: KvNode): (...args: Array<string | number | Buffer>) => Promise<Reply> {
  const [ours, theirs] = duplexPair();
  node.handleClient(theirs);
  const replies: Reply[] = [];
  const waiting: Array<() => void> = [];
  const decoder = new ReplyDecoder({ onReply: (r) => (replies.push(r), waiting.shift()?.()), onError: (e) => { throw e; } });
  ours.on('data', (c: Buffer) => decoder.write(c));
  return async (...args) => {
    const done = new Promise<void>((r) => waiting.push(r));
    ours.write(encodeCommand(args));
    await done;
    return replies.shift()!;
  };
}
