/**
 * The floor of any capture through `cap`: the same device, filter and ring as
 * `kvnetlab capture`, a listener that only counts packets. bench:capture runs it beside
 * the real capture to show how much of the CPU per packet is the binding's own
 * (pcap_dispatch per packet, one JS call per packet) and how much is decoding and
 * attribution. Prints "counted N" on SIGTERM.
 *
 *   node dist/bench/cap-floor.js <filter> [bufferMiB]
 */
import { openDevice } from '../capture/device.js';

const filter = process.argv[2] ?? 'tcp';
let n = 0;
const dev = openDevice({ iface: 'lo', filter, bufferBytes: Number(process.argv[3] ?? 256) * 1024 * 1024, onPacket: () => void n++ });
process.stdout.write('capturing\n');
process.on('SIGTERM', () => {
  dev.close();
  process.stdout.write(`counted ${n}\n`);
  process.exit(0);
});
