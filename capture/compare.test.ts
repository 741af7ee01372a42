import { describe, expect, it } from 'vitest';
import { checkRun, formatCheck } from './compare.js';

/** A store answering the two queries of checkRun with fixed rows (JSONEachRow). */
const store = (traffic: object[], events: object[]) => ({
  query: async (sql: string) => (sql.includes('FROM events') ? events : traffic).map((r) => JSON.stringify(r)).join('\n'),
});

describe('kvnetlab check', () => {
  it('check: lines up proxy and capture per node and channel with the difference and header overhead', async () => {
    const report = await checkRun(
      store(
        [
          { node: 'n1', channel: 'bus', source: 'capture', bytes: '2568', frames: '2', wire: '2700', retrans: '0' },
          { node: 'n1', channel: 'bus', source: 'proxy', bytes: '2568', frames: '1', wire: '0', retrans: '0' },
          { node: 'n1', channel: 'client', source: 'capture', bytes: '1014', frames: '4', wire: '1280', retrans: '1' },
          { node: 'n1', channel: 'client', source: 'proxy', bytes: '1000', frames: '0', wire: '0', retrans: '0' },
        ],
        [{ status: 'ok', detail: JSON.stringify({ iface: 'lo', kernel: { received: 10, dropped: 0 }, totals: { missingBytes: 0 } }) }],
      ),
      'run-1',
    );
    expect(report.lines).toEqual([
      { node: 'n1', channel: 'bus', proxyBytes: 2568, captureBytes: 2568, diff: 0, frames: 2, wireBytes: 2700, retransmits: 0, overheadPct: (132 / 2568) * 100 },
      { node: 'n1', channel: 'client', proxyBytes: 1000, captureBytes: 1014, diff: 14, frames: 4, wireBytes: 1280, retransmits: 1, overheadPct: (266 / 1014) * 100 },
    ]);
    const text = formatCheck('run-1', report);
    expect(text).toMatch(/n1\s+client\s+1,000\s+1,014\s+\+14\s+4\s+1,280\s+1\s+26\.2/);
    expect(text).toMatch(/total\s+3,568\s+3,582\s+\+14/);
    expect(text).toMatch(/capture on lo \(ok\): kernel: 10 packets received by the filter, 0 dropped; 0 stream bytes missed/);
  });

  it('check: a run without a capture says so', async () => {
    const text = formatCheck('r', await checkRun(store([], []), 'r'));
    expect(text).toMatch(/no capture in this run/);
  });
});
