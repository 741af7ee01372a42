/**
 * Splits one inline request line into arguments, as Redis' `sdssplitargs` (sds.c)
 * does for processInlineBuffer:
 *
 * - blanks (C isspace: space, \t \n \v \f \r) separate arguments;
 * - "double quotes" take the escapes \n \r \t \b \a, \xHH (two hex digits), and
 *   \<any other char> for that char;
 * - 'single quotes' take only \' as an escape;
 * - a quote may open in the middle of an argument (ab"cd" is abcd), but a closing
 *   quote must be followed by a blank or the end of the line, and an unclosed quote
 *   is an error.
 *
 * sdssplitargs works on a C string, so a NUL byte ends the line; RequestDecoder never
 * passes one (see its notes on NUL), but it is handled the same way here.
 *
 * Returns null for unbalanced quotes. Unquoted arguments are views of `line`.
 */
const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const DQUOTE = 0x22;
const SQUOTE = 0x27;
const BACKSLASH = 0x5c;
const LOWER_X = 0x78;

/** C isspace in the "C" locale. */
const isSpace = (c: number): boolean => c === SPACE || (c >= TAB && c <= CR);

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

function unescape(c: number): number {
  switch (c) {
    case 0x6e: return LF; // \n
    case 0x72: return CR; // \r
    case 0x74: return TAB; // \t
    case 0x62: return 0x08; // \b
    case 0x61: return 0x07; // \a
    default: return c;
  }
}

export function splitArgs(line: Buffer, start: number, end: number): Buffer[] | null {
  // Reads past `end` (or a NUL) as the C string terminator 0.
  const at = (i: number): number => (i < end ? line[i] : 0);
  const args: Buffer[] = [];
  let p = start;
  for (;;) {
    while (at(p) !== 0 && isSpace(at(p))) p++;
    if (at(p) === 0) return args;

    const tokenStart = p;
    let tokenEnd = p;
    // Stays null while the argument is plain bytes of the line (the common case).
    let bytes: number[] | null = null;
    let inDouble = false;
    let inSingle = false;
    let done = false;
    while (!done) {
      const c = at(p);
      if (inDouble) {
        const out = bytes!;
        if (c === BACKSLASH && at(p + 1) === LOWER_X && hexValue(at(p + 2)) >= 0 && hexValue(at(p + 3)) >= 0) {
          out.push(hexValue(at(p + 2)) * 16 + hexValue(at(p + 3)));
          p += 3;
        } else if (c === BACKSLASH && at(p + 1) !== 0) {
          p++;
          out.push(unescape(at(p)));
        } else if (c === DQUOTE) {
          if (at(p + 1) !== 0 && !isSpace(at(p + 1))) return null;
          done = true;
        } else if (c === 0) {
          return null;
        } else {
          out.push(c);
        }
      } else if (inSingle) {
        const out = bytes!;
        if (c === BACKSLASH && at(p + 1) === SQUOTE) {
          p++;
          out.push(SQUOTE);
        } else if (c === SQUOTE) {
          if (at(p + 1) !== 0 && !isSpace(at(p + 1))) return null;
          done = true;
        } else if (c === 0) {
          return null;
        } else {
          out.push(c);
        }
      } else {
        switch (c) {
          case SPACE:
          case LF:
          case CR:
          case TAB:
          case 0:
            done = true;
            tokenEnd = p;
            break;
          case DQUOTE:
          case SQUOTE:
            inDouble = c === DQUOTE;
            inSingle = c === SQUOTE;
            bytes = Array.from(line.subarray(tokenStart, p));
            break;
        }
      }
      // As in sds.c: step over the current char unless it is the terminator.
      if (at(p) !== 0) p++;
    }
    args.push(bytes === null ? line.subarray(tokenStart, tokenEnd) : Buffer.from(bytes));
  }
}
