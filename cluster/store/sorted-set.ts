/**
 * A sorted set: member -> score map plus a skiplist ordered by (score, member), a port of
 * Redis' zskiplist (t_zset.c: zslInsert, zslDeleteNode, zslGetRank, zslGetElementByRank,
 * zsl{First,Last}InRange). Spans on every forward link make rank queries O(log n).
 *
 *   level 2: HEAD ---------------------------> c -------------> null
 *   level 1: HEAD ----------> b -------------> c ------> d ---> null
 *   level 0: HEAD --> a ----> b ----> c -----> c' ----> d ---> null   (backward links on level 0)
 *
 * Order: by score, then by member bytes (memcmp, shorter prefix first). Members are latin1
 * strings, so JS `<` on them compares byte values, exactly like Redis' sdscmp.
 */

const MAX_LEVEL = 32; // ZSKIPLIST_MAXLEVEL
const P = 0.25; // ZSKIPLIST_P

interface SkipNode {
  member: string;
  score: number;
  backward: SkipNode | null;
  forward: Array<SkipNode | null>;
  span: number[];
}

/** A score interval; `minex`/`maxex` mark exclusive ends ("(1.5" in ZRANGEBYSCORE). */
export interface ScoreRange {
  min: number;
  max: number;
  minex: boolean;
  maxex: boolean;
}

/** One end of a lex range: '-' and '+' are the unbounded ends, else '[' inclusive or '(' exclusive. */
export type LexBound = { kind: 'min' } | { kind: 'max' } | { kind: 'value'; value: string; exclusive: boolean };

export interface LexRange {
  min: LexBound;
  max: LexBound;
}

export interface RangeOptions {
  reverse?: boolean;
  /** Elements to skip first (ZRANGEBYSCORE ... LIMIT offset count). Negative: nothing. */
  offset?: number;
  /** At most this many; negative means all. */
  count?: number;
}

/** ZADD's flags (t_zset.c ZADD_IN_*). */
export interface ZaddFlags {
  nx?: boolean;
  xx?: boolean;
  gt?: boolean;
  lt?: boolean;
  incr?: boolean;
}

/**
 * What zsetAdd did: `added`, `updated` (score changed), `unchanged` (processed, same
 * score), `nop` (refused by NX/XX/GT/LT) or `nan` (INCR produced NaN; nothing changed).
 */
export type ZaddOutcome = 'added' | 'updated' | 'unchanged' | 'nop' | 'nan';

export type ZEntry = [member: string, score: number];

function newNode(level: number, score: number, member: string): SkipNode {
  return {
    member,
    score,
    backward: null,
    forward: new Array<SkipNode | null>(level).fill(null),
    span: new Array<number>(level).fill(0),
  };
}

function randomLevel(): number {
  let level = 1;
  while (level < MAX_LEVEL && Math.random() < P) level++;
  return level;
}

/** True when (s1, m1) sorts before (s2, m2). */
function before(s1: number, m1: string, s2: number, m2: string): boolean {
  return s1 < s2 || (s1 === s2 && m1 < m2);
}

export const gteMin = (v: number, r: ScoreRange): boolean => (r.minex ? v > r.min : v >= r.min);
export const lteMax = (v: number, r: ScoreRange): boolean => (r.maxex ? v < r.max : v <= r.max);

function lexGteMin(v: string, b: LexBound): boolean {
  if (b.kind === 'min') return true;
  if (b.kind === 'max') return false;
  return b.exclusive ? v > b.value : v >= b.value;
}

function lexLteMax(v: string, b: LexBound): boolean {
  if (b.kind === 'max') return true;
  if (b.kind === 'min') return false;
  return b.exclusive ? v < b.value : v <= b.value;
}

/** -1, 0, 1 comparing two lex bounds, '-' below everything and '+' above (sdscmplex). */
function cmpLexBound(a: LexBound, b: LexBound): number {
  const rank = (x: LexBound) => (x.kind === 'min' ? 0 : x.kind === 'value' ? 1 : 2);
  if (rank(a) !== rank(b)) return rank(a) - rank(b);
  if (a.kind !== 'value' || b.kind !== 'value') return 0;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

export class SortedSet {
  private readonly dict = new Map<string, number>();
  private readonly header: SkipNode = newNode(MAX_LEVEL, 0, '');
  private tail: SkipNode | null = null;
  private level = 1;
  /** Nodes in the skiplist (equals dict.size between operations). */
  private length = 0;
  /** Sum of member lengths, for the memory estimate (value.ts). */
  private members = 0;

  get card(): number {
    return this.dict.size;
  }

  get memberBytes(): number {
    return this.members;
  }

  score(member: string): number | undefined {
    return this.dict.get(member);
  }

  has(member: string): boolean {
    return this.dict.has(member);
  }

  /** Sets a member's score, adding it if absent. */
  set(member: string, score: number): 'added' | 'updated' | 'unchanged' {
    const cur = this.dict.get(member);
    if (cur === undefined) {
      this.insertNode(score, member);
      this.dict.set(member, score);
      this.members += member.length;
      return 'added';
    }
    if (cur === score) return 'unchanged';
    this.deleteByKey(cur, member);
    this.insertNode(score, member);
    this.dict.set(member, score);
    return 'updated';
  }

  /**
   * t_zset.c zsetAdd: one element of ZADD/ZINCRBY. With `incr`, `score` is the increment.
   * Returns the outcome and the member's score afterwards (undefined when absent).
   */
  add(member: string, score: number, flags: ZaddFlags = {}): { outcome: ZaddOutcome; score: number | undefined } {
    const cur = this.dict.get(member);
    if (cur !== undefined) {
      if (flags.nx) return { outcome: 'nop', score: cur };
      let next = score;
      if (flags.incr) {
        next = cur + score;
        if (Number.isNaN(next)) return { outcome: 'nan', score: cur };
      }
      if ((flags.gt && next <= cur) || (flags.lt && next >= cur)) return { outcome: 'nop', score: cur };
      return { outcome: this.set(member, next), score: next };
    }
    if (flags.xx) return { outcome: 'nop', score: undefined };
    this.set(member, score);
    return { outcome: 'added', score };
  }

  remove(member: string): boolean {
    const cur = this.dict.get(member);
    if (cur === undefined) return false;
    this.deleteByKey(cur, member);
    this.dict.delete(member);
    this.members -= member.length;
    return true;
  }

  /** 0-based rank, from the lowest score (or the highest with `reverse`). */
  rank(member: string, reverse = false): number | undefined {
    const score = this.dict.get(member);
    if (score === undefined) return undefined;
    const r = this.rankOf(score, member);
    return reverse ? this.card - r : r - 1;
  }

  /** Members by 0-based inclusive rank interval, already clamped by the caller to [0, card). */
  rangeByRank(start: number, end: number, reverse = false): ZEntry[] {
    const out: ZEntry[] = [];
    if (start > end || start >= this.card) return out;
    let node = this.byRank(reverse ? this.card - start : start + 1);
    for (let n = end - start + 1; node && n > 0; n--) {
      out.push([node.member, node.score]);
      node = reverse ? node.backward : node.forward[0];
    }
    return out;
  }

  rangeByScore(range: ScoreRange, opts: RangeOptions = {}): ZEntry[] {
    const node = opts.reverse ? this.lastInRange(range) : this.firstInRange(range);
    const inRange = opts.reverse ? (n: SkipNode) => gteMin(n.score, range) : (n: SkipNode) => lteMax(n.score, range);
    return this.walk(node, inRange, opts);
  }

  rangeByLex(range: LexRange, opts: RangeOptions = {}): ZEntry[] {
    const node = opts.reverse ? this.lastInLex(range) : this.firstInLex(range);
    const inRange = opts.reverse ? (n: SkipNode) => lexGteMin(n.member, range.min) : (n: SkipNode) => lexLteMax(n.member, range.max);
    return this.walk(node, inRange, opts);
  }

  /** ZCOUNT: from the ranks of the first and last elements in range, O(log n). */
  count(range: ScoreRange): number {
    const first = this.firstInRange(range);
    if (!first) return 0;
    const last = this.lastInRange(range)!;
    return this.rankOf(last.score, last.member) - this.rankOf(first.score, first.member) + 1;
  }

  removeRangeByScore(range: ScoreRange): number {
    return this.removeAll(this.rangeByScore(range));
  }

  removeRangeByRank(start: number, end: number): number {
    return this.removeAll(this.rangeByRank(start, end));
  }

  /** All elements in order. */
  *entries(): IterableIterator<ZEntry> {
    for (let n = this.header.forward[0]; n; n = n.forward[0]) yield [n.member, n.score];
  }

  private removeAll(entries: ZEntry[]): number {
    for (const [m] of entries) this.remove(m);
    return entries.length;
  }

  private walk(start: SkipNode | null, inRange: (n: SkipNode) => boolean, opts: RangeOptions): ZEntry[] {
    const out: ZEntry[] = [];
    const offset = opts.offset ?? 0;
    if (offset < 0) return out; // genericZrangebyscoreCommand: `while (ln && offset--)` eats the whole set.
    let limit = opts.count ?? -1;
    let node = start;
    for (let skip = offset; node && skip > 0; skip--) node = opts.reverse ? node.backward : node.forward[0];
    while (node && limit !== 0 && inRange(node)) {
      out.push([node.member, node.score]);
      limit--;
      node = opts.reverse ? node.backward : node.forward[0];
    }
    return out;
  }

  private insertNode(score: number, member: string): void {
    const update = new Array<SkipNode>(MAX_LEVEL);
    const rank = new Array<number>(MAX_LEVEL);
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      rank[i] = i === this.level - 1 ? 0 : rank[i + 1];
      for (let f = x.forward[i]; f && before(f.score, f.member, score, member); f = x.forward[i]) {
        rank[i] += x.span[i];
        x = f;
      }
      update[i] = x;
    }
    const level = randomLevel();
    if (level > this.level) {
      for (let i = this.level; i < level; i++) {
        rank[i] = 0;
        update[i] = this.header;
        this.header.span[i] = this.length;
      }
      this.level = level;
    }
    const node = newNode(level, score, member);
    for (let i = 0; i < level; i++) {
      node.forward[i] = update[i].forward[i];
      update[i].forward[i] = node;
      node.span[i] = update[i].span[i] - (rank[0] - rank[i]);
      update[i].span[i] = rank[0] - rank[i] + 1;
    }
    for (let i = level; i < this.level; i++) update[i].span[i]++;
    node.backward = update[0] === this.header ? null : update[0];
    if (node.forward[0]) node.forward[0].backward = node;
    else this.tail = node;
    this.length++;
  }

  /** zslDelete: unlink the node holding (score, member). `dict` is updated by the caller. */
  private deleteByKey(score: number, member: string): void {
    const update = new Array<SkipNode>(MAX_LEVEL);
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let f = x.forward[i]; f && before(f.score, f.member, score, member); f = x.forward[i]) x = f;
      update[i] = x;
    }
    const node = x.forward[0];
    if (!node || node.score !== score || node.member !== member) throw new Error('sorted-set: skiplist and dict disagree');
    for (let i = 0; i < this.level; i++) {
      if (update[i].forward[i] === node) {
        update[i].span[i] += node.span[i] - 1;
        update[i].forward[i] = node.forward[i];
      } else {
        update[i].span[i] -= 1;
      }
    }
    if (node.forward[0]) node.forward[0].backward = node.backward;
    else this.tail = node.backward;
    while (this.level > 1 && this.header.forward[this.level - 1] === null) this.level--;
    this.length--;
  }

  /** zslGetRank: 1-based rank of an element known to be present. */
  private rankOf(score: number, member: string): number {
    let rank = 0;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let f = x.forward[i]; f && (f.score < score || (f.score === score && f.member <= member)); f = x.forward[i]) {
        rank += x.span[i];
        x = f;
      }
      if (x !== this.header && x.member === member) return rank;
    }
    return 0;
  }

  /** zslGetElementByRank, 1-based. */
  private byRank(rank: number): SkipNode | null {
    let traversed = 0;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let f = x.forward[i]; f && traversed + x.span[i] <= rank; f = x.forward[i]) {
        traversed += x.span[i];
        x = f;
      }
      if (traversed === rank) return x;
    }
    return null;
  }

  /** zslIsInRange: is some element possibly inside, and is the range itself non-empty? */
  private mayHaveScores(r: ScoreRange): boolean {
    if (r.min > r.max || (r.min === r.max && (r.minex || r.maxex))) return false;
    const first = this.header.forward[0];
    return !!this.tail && !!first && gteMin(this.tail.score, r) && lteMax(first.score, r);
  }

  private firstInRange(r: ScoreRange): SkipNode | null {
    if (!this.mayHaveScores(r)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let f = x.forward[i]; f && !gteMin(f.score, r); f = x.forward[i]) x = f;
    }
    const node = x.forward[0];
    return node && lteMax(node.score, r) ? node : null;
  }

  private lastInRange(r: ScoreRange): SkipNode | null {
    if (!this.mayHaveScores(r)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let f = x.forward[i]; f && lteMax(f.score, r); f = x.forward[i]) x = f;
    }
    return x !== this.header && gteMin(x.score, r) ? x : null;
  }

  private mayHaveLex(r: LexRange): boolean {
    const c = cmpLexBound(r.min, r.max);
    const exclusive = (r.min.kind === 'value' && r.min.exclusive) || (r.max.kind === 'value' && r.max.exclusive);
    if (c > 0 || (c === 0 && exclusive)) return false;
    const first = this.header.forward[0];
    return !!this.tail && !!first && lexGteMin(this.tail.member, r.min) && lexLteMax(first.member, r.max);
  }

  private firstInLex(r: LexRange): SkipNode | null {
    if (!this.mayHaveLex(r)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let f = x.forward[i]; f && !lexGteMin(f.member, r.min); f = x.forward[i]) x = f;
    }
    const node = x.forward[0];
    return node && lexLteMax(node.member, r.max) ? node : null;
  }

  private lastInLex(r: LexRange): SkipNode | null {
    if (!this.mayHaveLex(r)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let f = x.forward[i]; f && lexLteMax(f.member, r.max); f = x.forward[i]) x = f;
    }
    return x !== this.header && lexGteMin(x.member, r.min) ? x : null;
  }
}
