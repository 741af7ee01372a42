/**
 * The floor of a TCP relay in Node.js on this machine: `a.pipe(b); b.pipe(a)` with
 * nothing counted. bench:proxy runs it beside kvnetlab's proxy and HAProxy, so the
 * report separates what node:net costs a relay from what the proxy's counting costs.
 *
 *   node dist/bench/relay-floor.js <listen port> <upstream port> --relay-port <listen port>
 */
import net from 'node:net';

const [listenPort, upstreamPort] = process.argv.slice(2, 4).map(Number);

net
  .createServer({ noDelay: true, allowHalfOpen: true }, (down) => {
    const up = net.connect({ port: upstreamPort, host: '127.0.0.1', noDelay: true, allowHalfOpen: true });
    down.pipe(up).pipe(down);
    const kill = () => {
      down.destroy();
      up.destroy();
    };
    down.on('error', kill);
    up.on('error', kill);
  })
  .listen({ port: listenPort, host: '127.0.0.1', backlog: 511 });
