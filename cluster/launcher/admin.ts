import { PeerClient } from '../node/peer-client.js';
import type { Reply } from '../resp/reply.js';

/** One admin command to a node at host:port; errors come back as typed replies, not throws. */
export async function call(host: string, port: number, args: Array<string | number | Buffer>, timeoutMs = 2000): Promise<Reply> {
  const peer = new PeerClient(host, port, timeoutMs);
  try {
    const [reply] = await peer.pipeline([args], timeoutMs);
    return reply;
  } finally {
    peer.close();
  }
}

/** The text of a bulk or status reply; throws with the error text otherwise. */
export function text(reply: Reply): string {
  if (reply.t === 'bulk' && reply.v) return reply.v.toString();
  if (reply.t === 'status') return reply.v;
  if (reply.t === 'error') throw new Error(reply.v);
  throw new Error(`unexpected reply ${JSON.stringify(reply)}`);
}

export async function callText(host: string, port: number, args: Array<string | number>): Promise<string> {
  return text(await call(host, port, args));
}

/** Parses `key:value` lines (INFO, CLUSTER INFO). */
export function fields(body: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of body.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Thrown by a `waitFor` check to stop waiting at once (a node process exited). */
export class GiveUp extends Error {}

/** Polls `check` until it returns true or the deadline passes. */
export async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>, everyMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch (e) {
      if (e instanceof GiveUp) throw e;
      // not ready yet: a node still starting refuses connections
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
