import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Accepted, SeqTracker } from './seq-tracker.js';

const acc = (): Accepted => ({ skip: 0, fresh: 0, retransmit: false, gap: 0 });

describe('capture sequence tracking', () => {
  it('capture: in-order segments are all new, across the 32-bit wrap', () => {
    const t = new SeqTracker();
    expect(t.accept(0xfffffff0, 0, true, false, acc())).toMatchObject({ fresh: 0, retransmit: false });
    expect(t.accept(0xfffffff1, 100, false, false, acc())).toMatchObject({ fresh: 100, skip: 0, retransmit: false, gap: 0 });
    expect(t.accept((0xfffffff1 + 100) >>> 0, 50, false, true, acc())).toMatchObject({ fresh: 50, retransmit: false });
    expect(t.missing).toBe(0);
  });

  it('capture: a resent segment is a retransmission with nothing new; a partial one yields its new tail', () => {
    const t = new SeqTracker();
    t.accept(1000, 0, true, false, acc());
    t.accept(1001, 100, false, false, acc());
    expect(t.accept(1001, 100, false, false, acc())).toMatchObject({ fresh: 0, retransmit: true });
    expect(t.accept(1051, 100, false, false, acc())).toMatchObject({ skip: 50, fresh: 50, retransmit: true });
    expect(t.accept(1000, 0, true, false, acc())).toMatchObject({ retransmit: true, fresh: 0 });
  });

  it('capture: a skipped segment is a hole (missed by the capture) until a late segment fills it', () => {
    const t = new SeqTracker();
    t.accept(0, 0, true, false, acc());
    expect(t.accept(201, 100, false, false, acc())).toMatchObject({ fresh: 100, gap: 200 });
    expect(t.missing).toBe(200);
    expect(t.accept(51, 50, false, false, acc())).toMatchObject({ fresh: 50, retransmit: false });
    expect(t.missing).toBe(150);
    expect(t.filled).toBe(50);
  });

  it('capture: bare ACKs and a mid-stream start count nothing', () => {
    const t = new SeqTracker();
    expect(t.accept(5000, 10, false, false, acc())).toMatchObject({ fresh: 10 });
    expect(t.accept(5010, 0, false, false, acc())).toMatchObject({ fresh: 0, retransmit: false, gap: 0 });
    expect(t.expects(5010)).toBe(true);
  });

  it('capture: however a stream is cut and resent, the new bytes add up to the stream once', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 40 }), fc.array(fc.boolean(), { maxLength: 40 }), (isn, sizes, resend) => {
        const t = new SeqTracker();
        t.accept(isn, 0, true, false, acc());
        let off = 1;
        let fresh = 0;
        let retrans = 0;
        sizes.forEach((n, i) => {
          fresh += t.accept((isn + off) >>> 0, n, false, false, acc()).fresh;
          if (resend[i]) {
            const a = t.accept((isn + off) >>> 0, n, false, false, acc());
            fresh += a.fresh;
            if (a.retransmit) retrans++;
          }
          off += n;
        });
        expect(fresh).toBe(sizes.reduce((a, b) => a + b, 0));
        expect(retrans).toBe(resend.slice(0, sizes.length).filter(Boolean).length);
        expect(t.missing).toBe(0);
      }),
    );
  });
});
