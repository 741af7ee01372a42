import net from 'node:net';

/**
 * The only place that knows TCP: the node and the bus take Duplex streams
 * (STYLE.md 2). A large backlog, because fifty clients connecting at once must not
 * stall (DESIGN.md: socat's default of 5 does).
 */
export function listenTcp(
  host: string,
  port: number,
  onSocket: (s: net.Socket) => void,
  opts: { allowHalfOpen?: boolean } = {},
): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer({ noDelay: true, allowHalfOpen: opts.allowHalfOpen ?? false }, onSocket);
    server.once('error', reject);
    server.listen({ host, port, backlog: 511 }, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

export function connectTcp(host: string, port: number): net.Socket {
  const socket = net.connect({ host, port });
  socket.setNoDelay(true);
  return socket;
}

export function closeServer(server: net.Server | undefined): Promise<void> {
  return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
}
