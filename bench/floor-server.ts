/**
 * The I/O floor of a Node.js TCP server on this machine: answers every request with
 * `+OK` without parsing, storing or routing anything. bench:node runs it beside the
 * kvnetlab node and redis-server, so the report shows how much of the gap to Redis is
 * node:net itself and how much is kvnetlab's own work.
 *
 * A request is counted at each `*` that starts a line; enough for redis-benchmark's
 * SET/GET traffic, whose keys and values never start a line with `*`.
 */
import net from 'node:net';

const port = Number(process.argv[2]);
const OK = Buffer.from('+OK\r\n');

net
  .createServer({ noDelay: true }, (socket) => {
    let lineStart = true;
    socket.on('data', (chunk: Buffer) => {
      let requests = 0;
      for (let i = 0; i < chunk.length; i++) {
        const c = chunk[i];
        if (lineStart && c === 0x2a) requests++;
        lineStart = c === 0x0a;
      }
      if (requests > 0) socket.write(requests === 1 ? OK : Buffer.concat(Array(requests).fill(OK)));
    });
  })
  .listen({ port, host: '127.0.0.1', backlog: 511 });
