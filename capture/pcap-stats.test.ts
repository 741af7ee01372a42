import { createConnection, createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { openDevice } from './device.js';
import { PcapStats, packetSocketFds } from './pcap-stats.js';

/* The kernel's counters of a real capture socket (root and the cap addon, as in CI). */
describe('capture kernel counters', () => {
  it('capture: reads PACKET_STATISTICS of the capture socket: every packet that passed the filter, none dropped', async () => {
    const server = createServer((s) => s.pipe(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const before = new Set(packetSocketFds());
    let seen = 0;
    const dev = openDevice({ iface: 'lo', filter: `tcp and port ${port}`, bufferBytes: 8 << 20, onPacket: () => void seen++ });
    const stats = await PcapStats.start(packetSocketFds().find((fd) => !before.has(fd)));
    try {
      expect(stats.unavailable).toBeUndefined();
      // Until libpcap installs the filter the socket takes every packet on lo (libpcap
      // drains them): the counters from here on are the filtered traffic only.
      await new Promise((r) => setTimeout(r, 100));
      const start = (await stats.read())!;
      const seen0 = seen;
      const c = createConnection(port, '127.0.0.1');
      await new Promise<void>((r) => c.once('connect', () => r()));
      for (let i = 0; i < 20; i++) {
        c.write('x'.repeat(100));
        await new Promise((r) => c.once('data', r));
      }
      c.end();
      await new Promise((r) => c.once('close', r));
      await new Promise((r) => setTimeout(r, 200));
      const k = await stats.read();
      // Loopback hands the socket each packet twice (leaving and arriving); libpcap keeps one.
      expect({ received: k!.received - start.received, dropped: k!.dropped }).toEqual({ received: 2 * (seen - seen0), dropped: 0 });
      expect(seen - seen0).toBeGreaterThanOrEqual(40);
      // Counters reset on read in the kernel; the sums stay.
      expect(await stats.read()).toEqual(k);
    } finally {
      stats.close();
      dev.close();
      server.close();
    }
  });

  it('capture: without python3 the counters are unavailable, with the reason', async () => {
    const stats = await PcapStats.start(0, 'no-such-python3');
    expect(stats.unavailable).toMatch(/cannot start no-such-python3: spawn no-such-python3 ENOENT/);
    expect(await stats.read()).toBeUndefined();
  });
});
