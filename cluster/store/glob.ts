/**
 * Glob matching as Redis' stringmatchlen (util.c, 7.0), used by KEYS, SCAN/HSCAN/ZSCAN
 * MATCH:
 *
 *   *      any run of bytes (also empty)       ?      exactly one byte
 *   [abc]  one of the set   [^a] / [a-z]       \x     the byte x literally
 *
 * A '[' set without ']' runs to the end of the pattern; a range written backwards ([z-a])
 * is swapped; '\' inside a set escapes the next byte. Both strings are latin1 (one char per
 * byte), so a char code is a byte and comparisons are binary. `nocase` folds ASCII only, as
 * C tolower() does in the "C" locale.
 *
 * Ported line by line from 7.0.15, including its guard against exponential patterns (once
 * a '*' has failed to match the rest at every position, no earlier '*' retries:
 * `skipLonger`, CVE-2022-36021). Later Redis also stops at 1000 nested '*'s; we keep that
 * too, because here deep recursion would overflow the JS stack. Note that "*" does not
 * match the empty string here, as in Redis; KEYS and SCAN treat a lone "*" as "all".
 */

const STAR = 42; // '*'
const QUESTION = 63; // '?'
const OPEN = 91; // '['
const CLOSE = 93; // ']'
const CARET = 94; // '^'
const BACKSLASH = 92; // '\'
const DASH = 45; // '-'

const lower = (c: number): number => (c >= 65 && c <= 90 ? c + 32 : c);

export function globMatch(pattern: string, subject: string, nocase = false): boolean {
  const state = { skipLonger: false };
  return matchFrom(pattern, 0, subject, 0, nocase, state, 0);
}

function matchFrom(
  pat: string,
  p: number,
  str: string,
  s: number,
  nocase: boolean,
  state: { skipLonger: boolean },
  nesting: number,
): boolean {
  if (nesting > 1000) return false;
  const plen = pat.length;
  const slen = str.length;
  // Out-of-range charCodeAt is NaN, which compares unequal to everything, like C's NUL.
  const pc = (i: number) => pat.charCodeAt(i);

  while (p < plen && s < slen) {
    switch (pc(p)) {
      case STAR: {
        while (p + 1 < plen && pc(p + 1) === STAR) p++;
        if (p + 1 === plen) return true;
        while (s < slen) {
          if (matchFrom(pat, p + 1, str, s, nocase, state, nesting + 1)) return true;
          if (state.skipLonger) return false;
          s++;
        }
        state.skipLonger = true;
        return false;
      }
      case QUESTION:
        s++;
        break;
      case OPEN: {
        p++;
        const not = pc(p) === CARET;
        if (not) p++;
        let match = false;
        const c = str.charCodeAt(s);
        for (;;) {
          if (pc(p) === BACKSLASH && plen - p >= 2) {
            p++;
            if (pc(p) === c) match = true;
          } else if (pc(p) === CLOSE) {
            break;
          } else if (p >= plen) {
            p--; // unterminated set: stand on the last byte so the p++ below ends the pattern
            break;
          } else if (plen - p >= 3 && pc(p + 1) === DASH) {
            let start = pc(p);
            let end = pc(p + 2);
            let ch = c;
            if (start > end) [start, end] = [end, start];
            if (nocase) {
              start = lower(start);
              end = lower(end);
              ch = lower(ch);
            }
            p += 2;
            if (ch >= start && ch <= end) match = true;
          } else if (nocase ? lower(pc(p)) === lower(c) : pc(p) === c) {
            match = true;
          }
          p++;
        }
        if (not) match = !match;
        if (!match) return false;
        s++;
        break;
      }
      case BACKSLASH:
        if (plen - p >= 2) p++;
      // falls through
      default: {
        const a = pc(p);
        const b = str.charCodeAt(s);
        if (nocase ? lower(a) !== lower(b) : a !== b) return false;
        s++;
        break;
      }
    }
    p++;
    if (s === slen) {
      while (p < plen && pc(p) === STAR) p++;
      break;
    }
  }
  return p === plen && s === slen;
}
