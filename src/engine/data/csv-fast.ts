// The common case of a streamed CSV row, parsed straight from its bytes: unquoted ASCII cells holding plain
// decimal numbers (and a class name). Anything else (quotes, non-ASCII text, an empty or odd cell, a
// number this path cannot round exactly) makes it decline, and the row takes the text path, which gives
// the same values and the positioned errors. Numbers use Clinger's fast path: an integer mantissa below
// 2^53 times or divided by an exact power of ten up to 10^22 is one correctly rounded operation, so the
// result equals Number(text); other numbers are converted from their text.
import { cellNumber } from './tabular';

const COMMA = 44;
const SPACE = 32;
const TAB = 9;
const QUOTE = 34;
const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));
const MAX_DIGITS = 15;
/** Longer cells take the text path (and String.fromCharCode's argument list stays short). */
const MAX_CELL = 64;

/** Where each cell of the row starts and ends (trimmed); false when the row needs the text path. */
function cellBounds(bytes: Uint8Array, start: number, end: number, width: number, bounds: Int32Array): boolean {
  let col = 0;
  let i = start;
  for (;;) {
    if (col === width) return false;
    while (i < end && (bytes[i] === SPACE || bytes[i] === TAB)) i++;
    const from = i;
    let last = i; // one past the last non-blank byte
    for (; i < end; i++) {
      const b = bytes[i];
      if (b === COMMA) break;
      if (b === QUOTE || b >= 127 || (b < SPACE && b !== TAB)) return false;
      if (b !== SPACE && b !== TAB) last = i + 1;
    }
    if (last === from) return false; // an empty cell: the text path names it
    bounds[2 * col] = from;
    bounds[2 * col + 1] = last;
    col++;
    if (i >= end) return col === width;
    i++; // the comma
  }
}

/** The number in bytes [from, to), or NaN when it is not one. */
function parseNumber(bytes: Uint8Array, from: number, to: number): number {
  let i = from;
  let negative = false;
  if (bytes[i] === 43 || bytes[i] === 45) negative = bytes[i++] === 45;
  let mantissa = 0;
  let digits = 0;
  let significant = 0;
  let scale = 0;
  let dot = false;
  for (; i < to; i++) {
    const b = bytes[i];
    if (b >= 48 && b <= 57) {
      digits++;
      if (significant > 0 || b !== 48) significant++;
      mantissa = mantissa * 10 + (b - 48);
      if (dot) scale--;
    } else if (b === 46 && !dot) dot = true;
    else break;
  }
  if (digits === 0) return NaN;
  if (i < to) {
    if (bytes[i] !== 69 && bytes[i] !== 101) return NaN;
    i++;
    let expNegative = false;
    if (bytes[i] === 43 || bytes[i] === 45) expNegative = bytes[i++] === 45;
    if (i >= to) return NaN;
    let exp = 0;
    for (; i < to; i++) {
      const b = bytes[i];
      if (b < 48 || b > 57) return NaN;
      if (exp < 1e6) exp = exp * 10 + (b - 48);
    }
    scale += expNegative ? -exp : exp;
  }
  if (significant > MAX_DIGITS || scale > 22 || scale < -22) return to - from > MAX_CELL ? NaN : cellNumber(String.fromCharCode(...bytes.subarray(from, to)));
  const v = scale >= 0 ? mantissa * POW10[scale] : mantissa / POW10[-scale];
  return negative ? -v : v;
}

export class FastRowParser {
  private readonly bounds: Int32Array;
  private readonly names = new Map<number, string>();

  constructor(
    private readonly width: number,
    private readonly features: number[],
    private readonly target: number,
  ) {
    this.bounds = new Int32Array(2 * width);
  }

  /**
   * Writes the row's features to x[offset..] and returns its target (a number for regression, the class
   * name for classification), or null when the row must take the text path.
   */
  parse(bytes: Uint8Array, start: number, end: number, x: Float64Array, offset: number, regression: boolean): number | string | null {
    const b = this.bounds;
    if (!cellBounds(bytes, start, end, this.width, b)) return null;
    const features = this.features;
    for (let j = 0; j < features.length; j++) {
      const c = features[j];
      const v = parseNumber(bytes, b[2 * c], b[2 * c + 1]);
      if (v !== v) return null; // NaN
      x[offset + j] = v;
    }
    const from = b[2 * this.target];
    const to = b[2 * this.target + 1];
    if (regression) {
      const v = parseNumber(bytes, from, to);
      return v !== v ? null : v;
    }
    return to - from > MAX_CELL ? null : this.className(bytes, from, to);
  }

  /** Where the last parsed row's cell `col` starts, as a 0-based offset from the row's start. */
  cellStart(col: number, rowStart: number): number {
    return this.bounds[2 * col] - rowStart;
  }

  /** Class names are few and short: looked up by a hash of their bytes, so most rows allocate no string. */
  private className(bytes: Uint8Array, from: number, to: number): string {
    let h = 0x811c9dc5;
    for (let i = from; i < to; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
    const key = (h >>> 0) * 64 + Math.min(to - from, 63);
    const known = this.names.get(key);
    if (known !== undefined && known.length === to - from && sameBytes(known, bytes, from)) return known;
    const name = String.fromCharCode(...bytes.subarray(from, to));
    this.names.set(key, name);
    return name;
  }
}

function sameBytes(name: string, bytes: Uint8Array, from: number): boolean {
  for (let i = 0; i < name.length; i++) if (name.charCodeAt(i) !== bytes[from + i]) return false;
  return true;
}
