import net from 'node:net';
import { ProxyError } from './errors.js';
import type { ListenerKind } from './names.js';
import type { NodeProxy } from './node-proxy.js';

/**
 * The only part of the proxy that knows TCP: two listeners (client port, bus port) that
 * hand accepted sockets to the core, and the upstream dialer the core calls.
 *
 * Backlog 511 (Redis' tcp-backlog default): socat's 5 stalls 50 clients connecting at
 * once (DESIGN.md). allowHalfOpen on both sides so a FIN is relayed, not answered.
 * TCP_NODELAY on both sides, as Redis sets it on its own sockets: the proxy must not add
 * Nagle delays the direct path does not have.
 */
export const LISTEN_BACKLOG = 511;

export interface Upstream {
  host: string;
  port: number;
  busPort: number;
}

export function tcpUpstream(u: Upstream): (kind: ListenerKind) => net.Socket {
  return (kind) => {
    const s = net.connect({ host: u.host, port: kind === 'bus' ? u.busPort : u.port, allowHalfOpen: true, noDelay: true });
    return s;
  };
}

export interface Listeners {
  clientPort: number;
  busPort?: number;
  close(): Promise<void>;
}

async function listenOne(proxy: NodeProxy, kind: ListenerKind, host: string, port: number): Promise<net.Server> {
  const server = net.createServer({ allowHalfOpen: true, noDelay: true, pauseOnConnect: false }, (socket) => {
    proxy.handle(kind, socket, socket.remoteAddress ?? '?', socket.remotePort ?? 0);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new ProxyError('LISTEN_FAILED', `cannot listen on ${host}:${port} (${kind}): ${e.code ?? e.message}`)));
    server.listen({ host, port, backlog: LISTEN_BACKLOG }, () => resolve());
  });
  return server;
}

/** Listen for the client port and (unless busPort is undefined) the bus port. Port 0 picks one. */
export async function listenProxy(proxy: NodeProxy, host: string, clientPort: number, busPort?: number): Promise<Listeners> {
  const servers: net.Server[] = [];
  try {
    servers.push(await listenOne(proxy, 'client', host, clientPort));
    if (busPort !== undefined) servers.push(await listenOne(proxy, 'bus', host, busPort));
  } catch (e) {
    for (const s of servers) s.close();
    throw e;
  }
  const portOf = (s: net.Server) => (s.address() as net.AddressInfo).port;
  return {
    clientPort: portOf(servers[0]),
    busPort: servers[1] ? portOf(servers[1]) : undefined,
    close: () => Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r())))).then(() => undefined),
  };
}
