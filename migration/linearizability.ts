/**
 * A check of single-key linearizability for a workload with one writer per key that
 * writes versions 1, 2, 3, ... in order (each SET waits for the previous one's reply):
 *
 *   write v:  [start ........ ack]          acknowledged at `ack` (or never: ack = Infinity)
 *   read:           [start .... end] -> v'  saw version v' (0 = key missing)
 *
 *   stale read:   v' < the highest version acknowledged before the read started
 *   phantom read: v' > the highest version whose write had started before the read ended
 *   lost write:   the final read of a key < its highest acknowledged version
 *
 * With one writer per key and in-order writes, these bounds are exactly linearizability
 * for a register (every write is a point between its start and ack; a read must return
 * the last write before its own point).
 */
export interface WriteOp {
  key: string;
  version: number;
  start: number;
  /** Infinity when the reply never came (error, timeout): the write may or may not have happened. */
  ack: number;
}

export interface ReadOp {
  key: string;
  start: number;
  end: number;
  version: number;
}

export interface Violation {
  kind: 'stale-read' | 'phantom-read' | 'lost-write';
  key: string;
  detail: string;
}

export function checkHistory(writes: WriteOp[], reads: ReadOp[], finals: Map<string, number>): Violation[] {
  const byKey = new Map<string, WriteOp[]>();
  for (const w of writes) {
    const list = byKey.get(w.key) ?? [];
    list.push(w);
    byKey.set(w.key, list);
  }
  for (const list of byKey.values()) list.sort((a, b) => a.version - b.version);
  const out: Violation[] = [];
  for (const r of reads) {
    const list = byKey.get(r.key) ?? [];
    let acked = 0;
    let started = 0;
    for (const w of list) {
      if (w.ack < r.start) acked = Math.max(acked, w.version);
      if (w.start <= r.end) started = Math.max(started, w.version);
    }
    if (r.version < acked) out.push({ kind: 'stale-read', key: r.key, detail: `read ${r.version} at ${r.start}-${r.end}, ${acked} acknowledged before` });
    else if (r.version > started) out.push({ kind: 'phantom-read', key: r.key, detail: `read ${r.version} at ${r.start}-${r.end}, only ${started} written` });
  }
  for (const [key, list] of byKey) {
    const acked = list.filter((w) => w.ack !== Infinity).reduce((m, w) => Math.max(m, w.version), 0);
    const last = list.reduce((m, w) => Math.max(m, w.version), 0);
    const seen = finals.get(key) ?? 0;
    if (seen < acked || seen > last) out.push({ kind: 'lost-write', key, detail: `final ${seen}, acknowledged ${acked}, last written ${last}` });
  }
  return out;
}
