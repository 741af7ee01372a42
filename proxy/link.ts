import type { Duplex } from 'node:stream';

/**
 * A link joins two Duplexes and relays bytes untouched both ways (STYLE.md 7: the core
 * takes Duplexes, only listen.ts knows TCP):
 *
 *   downstream (client, replica, peer) ──chunk──> tap.fromDown ──> upstream (the node)
 *   downstream <── tap.fromUp <──chunk── upstream
 *
 * - Backpressure: when a write() returns false the other side's reader is paused until
 *   'drain', so a reader that stops reading holds at most one highWaterMark per side
 *   here; the rest stays in the kernel's socket buffers and the sender's window closes.
 * - Half-close: the sockets are allowHalfOpen; an 'end' (FIN) is relayed as end() on the
 *   other side and data keeps flowing the other way.
 * - Failure: an error, or a side closed before its read end finished (a peer killed
 *   mid-stream, a reset), destroys the other side at once.
 * The taps see each chunk once, before it is written; they count, never change it. A
 * tap may take a chunk instead (returns false): the proxy's router (route/) then writes
 * what it decides itself.
 */
export interface LinkTaps {
  /** A chunk read from downstream: bytes the node will receive. false: the tap sent it on itself (a routed connection). */
  fromDown(chunk: Buffer): boolean | void;
  /** A chunk read from upstream: bytes the node sent. false: the tap sent it on itself. */
  fromUp(chunk: Buffer): boolean | void;
  /** Both sides closed (called once). */
  closed(): void;
}

export interface Link {
  /** Bytes held in this process for the link (written but not yet taken by the kernel). */
  bufferedBytes(): number;
  destroy(): void;
}

function relay(src: Duplex, dst: Duplex, tap: (chunk: Buffer) => boolean | void): void {
  src.on('data', (chunk: Buffer) => {
    if (tap(chunk) === false) return;
    if (!dst.write(chunk)) src.pause();
  });
  dst.on('drain', () => src.resume());
  src.on('end', () => dst.end());
}

export function link(down: Duplex, up: Duplex, taps: LinkTaps): Link {
  relay(down, up, taps.fromDown);
  relay(up, down, taps.fromUp);
  let open = 2;
  const onClose = (self: Duplex, other: Duplex) => () => {
    // A side that closed before its read end finished died mid-stream (or errored):
    // nothing more can be relayed for it, so the other side goes too.
    if (!self.readableEnded || self.errored) other.destroy();
    if (--open === 0) taps.closed();
  };
  down.on('close', onClose(down, up));
  up.on('close', onClose(up, down));
  // Errors are handled by closing; without a listener they would throw.
  down.on('error', () => up.destroy());
  up.on('error', () => down.destroy());
  return {
    bufferedBytes: () => down.writableLength + up.writableLength + down.readableLength + up.readableLength,
    destroy: () => {
      down.destroy();
      up.destroy();
    },
  };
}
