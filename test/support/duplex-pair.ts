import { Duplex } from 'node:stream';

/**
 * Two connected in-memory Duplex ends (Node 20 has no stream.duplexPair): what one
 * writes the other reads. Lets a test drive a node without a socket (STYLE.md 2).
 */
export function duplexPair(): [Duplex, Duplex] {
  let a!: Duplex;
  let b!: Duplex;
  const make = (peer: () => Duplex) =>
    new Duplex({
      read() {},
      write(chunk, _enc, cb) {
        peer().push(chunk);
        cb();
      },
      final(cb) {
        peer().push(null);
        cb();
      },
    });
  a = make(() => b);
  b = make(() => a);
  return [a, b];
}
