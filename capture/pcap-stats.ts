import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createInterface } from 'node:readline';

/**
 * The kernel's counters of this process's packet socket: what pcap_stats() reports
 * (libpcap pcap-linux.c: ps_recv = tp_packets, ps_drop = tp_drops, from
 * getsockopt(SOL_PACKET, PACKET_STATISTICS), which also resets them).
 *
 * cap 0.2.1 does not expose pcap_stats (binding.cc has no such method), the drops of a
 * packet ring are not in the socket's sk_drops (`ss -0 -m` shows d0 while tcpdump
 * reports thousands dropped), and Node has no getsockopt. So the socket's descriptor is
 * handed, as fd 3, to a small python3 helper (the interpreter node-gyp needed to build
 * cap), which reads PACKET_STATISTICS on request. No extra privilege: it is our own
 * descriptor, inherited. Nobody else reads those counters here (cap never calls
 * pcap_stats), so their reset-on-read loses nothing: the sums are kept below.
 */
export interface KernelCounts {
  /** Packets that passed the filter, dropped ones included (the kernel adds tp_drops to tp_packets). */
  received: number;
  /** Packets the kernel dropped because the capture ring was full. */
  dropped: number;
}

const HELPER = String.raw`
import json, socket, struct, sys
s = socket.socket(fileno=3)
print(json.dumps({"ready": True}), flush=True)
for _ in sys.stdin:
    raw = s.getsockopt(263, 6, 12)  # SOL_PACKET, PACKET_STATISTICS, struct tpacket_stats_v3
    received, dropped = struct.unpack('II', raw[:8])
    print(json.dumps({"received": received, "dropped": dropped}), flush=True)
`;

/** The packet sockets open in this process (their inodes are listed in /proc/net/packet). */
export function packetSocketFds(): number[] {
  const inodes = new Set(readFileSync('/proc/net/packet', 'utf8').trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/).pop()));
  const fds: number[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue;
    }
    const m = /^socket:\[(\d+)\]$/.exec(target);
    if (m && inodes.has(m[1])) fds.push(Number(fd));
  }
  return fds;
}

export class PcapStats {
  private readonly totals: KernelCounts = { received: 0, dropped: 0 };
  private waiting: Array<(line: string | undefined) => void> = [];
  private child?: ChildProcess;
  /** Why the counters are not available, if they are not. */
  unavailable?: string;

  private constructor() {}

  /** Starts the helper on the packet socket `fd` (opened by libpcap in this process). */
  static async start(fd: number | undefined, python = 'python3'): Promise<PcapStats> {
    const s = new PcapStats();
    if (fd === undefined) {
      s.unavailable = 'no packet socket found in /proc/self/fd';
      return s;
    }
    let child: ChildProcess;
    try {
      child = spawn(python, ['-c', HELPER], { stdio: ['pipe', 'pipe', 'pipe', fd] });
    } catch (e) {
      s.unavailable = `cannot start ${python}: ${(e as Error).message}`;
      return s;
    }
    s.child = child;
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-500)));
    child.stdin!.on('error', () => undefined);
    createInterface({ input: child.stdout! }).on('line', (line) => s.waiting.shift()?.(line));
    child.on('exit', () => {
      for (const w of s.waiting.splice(0)) w(undefined);
    });
    child.on('error', (e) => {
      s.unavailable = `cannot start ${python}: ${e.message}`;
      for (const w of s.waiting.splice(0)) w(undefined);
    });
    const first = await s.next();
    if (!first || !(JSON.parse(first) as { ready?: boolean }).ready) {
      s.unavailable ??= `${python} helper exited: ${stderr.trim().split('\n').pop() || 'no output'}`;
      s.close();
    }
    return s;
  }

  /** Reads the kernel counters (and resets them there); returns the sums since start. */
  async read(): Promise<KernelCounts | undefined> {
    if (this.unavailable || !this.child) return undefined;
    const pending = this.next();
    this.child.stdin!.write('\n');
    const line = await pending;
    if (!line) {
      this.unavailable = 'the python3 helper exited';
      return undefined;
    }
    const c = JSON.parse(line) as KernelCounts;
    this.totals.received += c.received;
    this.totals.dropped += c.dropped;
    return { ...this.totals };
  }

  close(): void {
    this.child?.stdin?.end();
    this.child?.kill();
    this.child = undefined;
  }

  private next(): Promise<string | undefined> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }
}
