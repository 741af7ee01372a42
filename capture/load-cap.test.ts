import { describe, expect, it } from 'vitest';
import { openDevice } from './device.js';
import { CaptureError } from './errors.js';
import { loadCap } from './load-cap.js';

/*
 * The one mock of the capture tests: a missing or broken `cap` addon cannot be produced
 * for real on a machine that has it built, so the loader is injected.
 */
const missing = () => {
  const e = new Error("Cannot find module 'cap'") as NodeJS.ErrnoException;
  e.code = 'MODULE_NOT_FOUND';
  throw e;
};

describe('capture without the cap addon', () => {
  it('capture: says the package is missing and how to get it (libpcap-dev, npm rebuild cap, root or CAP_NET_RAW)', () => {
    let err: unknown;
    try {
      loadCap(missing);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CaptureError);
    const e = err as CaptureError;
    expect(e.code).toBe('CAPTURE_NO_ADDON');
    expect(e.message).toMatch(/`cap` is not installed/);
    expect(e.message).toMatch(/apt-get install libpcap-dev/);
    expect(e.message).toMatch(/npm rebuild cap/);
    expect(e.message).toMatch(/setcap cap_net_raw,cap_net_admin\+eip \$\(which node\)/);
  });

  it('capture: an addon that does not load (libpcap.so gone) is told apart from a missing package', () => {
    const broken = () => {
      throw new Error('libpcap.so.0.8: cannot open shared object file: No such file or directory');
    };
    expect(() => loadCap(broken)).toThrow(/installed but its native addon does not load \(libpcap\.so\.0\.8: cannot open shared object file/);
  });

  it('capture: opening a device goes through the same loader, so nothing else is needed to run without cap', () => {
    expect(() => openDevice({ iface: 'lo', filter: 'tcp', bufferBytes: 1 << 20, onPacket: () => undefined, load: missing })).toThrow(CaptureError);
  });

  it('capture: the real addon loads here (built against libpcap-dev)', () => {
    expect(typeof loadCap().Cap).toBe('function');
  });
});
