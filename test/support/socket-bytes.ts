import { execFileSync } from 'node:child_process';

/** One TCP socket as `ss -tinp` reports it, with kernel byte counters (tcp_info). */
export interface SocketSample {
  local: string;
  peer: string;
  localPort: number;
  peerPort: number;
  pid: number;
  bytesAcked: number;
  bytesReceived: number;
}

/**
 * Reads every established TCP socket on 127.0.0.1 with its owner and byte counters.
 * The kernel's counters are independent of both the TS nodes and redis-server, so
 * the same method measures both clusters: what "counted the same way" means in the
 * idle-fidelity test.
 */
export function sampleSockets(): SocketSample[] {
  const out = execFileSync('ss', ['-tinpH', 'state', 'established'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const samples: SocketSample[] = [];
  // ss prints a socket line, then its tcp_info on the next (indented) line.
  const lines = out.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const head = lines[i].trim().split(/\s+/);
    if (head.length < 4) continue;
    const local = head[2];
    const peer = head[3];
    const pidMatch = /pid=(\d+)/.exec(lines[i]);
    const info = lines[i + 1] ?? '';
    const acked = /bytes_acked:(\d+)/.exec(info);
    const received = /bytes_received:(\d+)/.exec(info);
    if (!pidMatch) continue;
    samples.push({
      local,
      peer,
      localPort: Number(local.slice(local.lastIndexOf(':') + 1)),
      peerPort: Number(peer.slice(peer.lastIndexOf(':') + 1)),
      pid: Number(pidMatch[1]),
      bytesAcked: acked ? Number(acked[1]) : 0,
      bytesReceived: received ? Number(received[1]) : 0,
    });
  }
  return samples;
}

/**
 * Bytes each process sent on sockets touching one of `ports`, between two samples.
 * A socket opened in between counts from zero; one closed in between is lost, which is
 * why callers also check `changedSockets` is 0 (idle links must stay up).
 */
export function bytesSentBetween(before: SocketSample[], after: SocketSample[], pids: Set<number>, ports: Set<number>): Map<number, number> {
  const key = (s: SocketSample) => `${s.pid} ${s.local} ${s.peer}`;
  const base = new Map(before.map((s) => [key(s), s.bytesAcked]));
  const sent = new Map<number, number>();
  for (const s of after) {
    if (!pids.has(s.pid) || !(ports.has(s.localPort) || ports.has(s.peerPort))) continue;
    sent.set(s.pid, (sent.get(s.pid) ?? 0) + s.bytesAcked - (base.get(key(s)) ?? 0));
  }
  return sent;
}

/** Bus sockets of `pids` present in one sample but not the other: links dropped or reopened. */
export function changedSockets(before: SocketSample[], after: SocketSample[], pids: Set<number>, ports: Set<number>): number {
  const ours = (xs: SocketSample[]) =>
    new Set(xs.filter((s) => pids.has(s.pid) && (ports.has(s.localPort) || ports.has(s.peerPort))).map((s) => `${s.pid} ${s.local} ${s.peer}`));
  const a = ours(before);
  const b = ours(after);
  let changed = 0;
  for (const k of a) if (!b.has(k)) changed++;
  for (const k of b) if (!a.has(k)) changed++;
  return changed;
}
