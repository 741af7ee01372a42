import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * The kernel's counters of this process's packet socket: what pcap_stats() reports
 * (libpcap pcap-linux.c: ps_recv = tp_packets, ps_drop = tp_drops, from
 * getsockopt(SOL_PACKET, PACKET_STATISTICS), which also resets them).
 *
 * cap 0.2.1 does not expose pcap_stats (binding.cc has no such method), the drops of a
 * TPACKET_V3 ring are not in the socket's sk_drops (`ss -0 -m` shows d0 while tcpdump
 * reports thousands dropped), and Node has no getsockopt. So a small python3 helper (the
 * interpreter node-gyp needed to build cap) takes a duplicate of our packet socket with
 * pidfd_getfd(2) (Linux 5.6+, root or CAP_SYS_PTRACE over our own process) and reads
 * PACKET_STATISTICS on request. Nobody else reads those counters here (cap never calls
 * pcap_stats), so their reset-on-read loses nothing: the sums are kept below.
 */
export interface KernelCounts {
  /** Packets that passed the filter, dropped ones included (the kernel adds tp_drops to tp_packets). */
  received: number;
  /** Packets the kernel dropped because the capture ring was full. */
  dropped: number;
}

const HELPER = String.raw`
import ctypes, json, os, socket, struct, sys
pid = int(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
# pidfd_open 434, pidfd_getfd 438: the same numbers on x86_64 and arm64 (unified table).
pidfd = libc.syscall(434, pid, 0)
if pidfd < 0:
    print(json.dumps({"error": "pidfd_open: " + os.strerror(ctypes.get_errno())}), flush=True); sys.exit(1)
def packet_sockets():
    inodes = {l.split()[-1] for l in open('/proc/net/packet').read().splitlines()[1:]}
    found = []
    for fd in os.listdir('/proc/%d/fd' % pid):
        try: target = os.readlink('/proc/%d/fd/%s' % (pid, fd))
        except OSError: continue
        if target.startswith('socket:[') and target[8:-1] in inodes:
            n = libc.syscall(438, pidfd, int(fd), 0)
            if n < 0:
                print(json.dumps({"error": "pidfd_getfd: " + os.strerror(ctypes.get_errno())}), flush=True); sys.exit(1)
            found.append(socket.socket(fileno=n))
    return found
# Ready before the capture opens its socket (python's start-up CPU is then not taken
# from the first packets); the socket is looked for at the first request.
print(json.dumps({"ready": True}), flush=True)
socks = []
for _ in sys.stdin:
    if not socks:
        socks = packet_sockets()
    if not socks:
        print(json.dumps({"error": "no packet socket in process %d" % pid}), flush=True); sys.exit(1)
    r = d = 0
    for s in socks:
        raw = s.getsockopt(263, 6, 12)  # SOL_PACKET, PACKET_STATISTICS, struct tpacket_stats_v3
        a, b = struct.unpack('II', raw[:8])
        r += a; d += b
    print(json.dumps({"received": r, "dropped": d}), flush=True)
`;

export class PcapStats {
  private readonly totals: KernelCounts = { received: 0, dropped: 0 };
  private waiting: Array<(line: string | undefined) => void> = [];
  private child?: ChildProcess;
  /** Why the counters are not available, if they are not. */
  unavailable?: string;

  private constructor() {}

  /** Starts the helper on `pid` (this process), before the capture opens its socket; it finds the socket at the first read. */
  static async start(pid = process.pid, python = 'python3'): Promise<PcapStats> {
    const s = new PcapStats();
    let child: ChildProcess;
    try {
      child = spawn(python, ['-c', HELPER, String(pid)], { stdio: ['pipe', 'pipe', 'pipe'] });
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
    const hello = first ? (JSON.parse(first) as { ready?: boolean; error?: string }) : undefined;
    if (!hello?.ready) {
      s.unavailable ??= hello?.error ?? `${python} helper exited: ${stderr.trim() || 'no output'}`;
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
    const c = JSON.parse(line) as KernelCounts & { error?: string };
    if (c.error) {
      this.unavailable = c.error;
      return undefined;
    }
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
