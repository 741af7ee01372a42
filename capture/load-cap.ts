import { createRequire } from 'node:module';
import { CaptureError } from './errors.js';

/**
 * The part of the `cap` package (libpcap binding, an optionalDependency) that capture
 * uses. cap 0.2.1 hands each packet to 'packet' as (captured length, truncated) into the
 * one Buffer given to open(); it has no pcap_stats (see pcap-stats.ts).
 */
export interface CapHandle {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  close(): void;
  on(event: 'packet', listener: (nbytes: number, truncated: boolean) => void): unknown;
}
export interface CapModule {
  Cap: new () => CapHandle;
}

/** How to get capture working, printed whenever it is not. */
export const CAPTURE_HOWTO = [
  'kvnetlab capture needs the optional npm package `cap` built against libpcap:',
  '  1. install libpcap headers: `apt-get install libpcap-dev` (Debian/Ubuntu; `dnf install libpcap-devel` on Fedora)',
  '  2. build the addon: `npm rebuild cap` (it needs python3, make and a C++ compiler, as node-gyp does)',
  '  3. capture as root, or give node the capture capabilities:',
  '     `sudo setcap cap_net_raw,cap_net_admin+eip $(which node)`  (CAP_NET_RAW opens the packet socket)',
].join('\n');

export type CapLoader = () => unknown;

/** Node's own require, resolved from this file: loads node_modules/cap at runtime only. */
const nodeRequire: CapLoader = () => createRequire(import.meta.url)('cap');

/**
 * Loads `cap` lazily, so that kvnetlab installs and runs without it and only `capture`
 * needs it. `load` is injectable: a missing addon cannot be produced for real on a
 * machine that has it (the one mock the capture tests use).
 */
export function loadCap(load: CapLoader = nodeRequire): CapModule {
  let mod: unknown;
  try {
    mod = load();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const what =
      err.code === 'MODULE_NOT_FOUND'
        ? 'the npm package `cap` is not installed (it is optional: `npm install` skips it when it cannot be built)'
        : `the npm package \`cap\` is installed but its native addon does not load (${err.message.split('\n')[0]}); libpcap (libpcap0.8) may be missing or the addon was built for another Node`;
    throw new CaptureError('CAPTURE_NO_ADDON', `${what}\n${CAPTURE_HOWTO}`);
  }
  if (typeof (mod as Partial<CapModule>)?.Cap !== 'function') {
    throw new CaptureError('CAPTURE_NO_ADDON', `the npm package \`cap\` loaded but has no Cap class\n${CAPTURE_HOWTO}`);
  }
  return mod as CapModule;
}

/** libpcap's reason for refusing a device, with what to do about it. */
export function openFailure(device: string, e: unknown): CaptureError {
  const msg = e instanceof Error ? e.message : String(e);
  const perm = /permission|not permitted|EPERM|socket: Operation/i.test(msg);
  const hint = perm
    ? 'capturing needs root or CAP_NET_RAW: run as root, or `sudo setcap cap_net_raw,cap_net_admin+eip $(which node)`'
    : `check the interface name (\`ip link\`; loopback is \`lo\`)`;
  return new CaptureError('CAPTURE_OPEN_FAILED', `libpcap cannot capture on ${device}: ${msg}\n${hint}`);
}
