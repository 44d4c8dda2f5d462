// The common case of a streamed CSV row, parsed straight from its bytes in one pass: unquoted ASCII cells
// holding plain decimal numbers (and a class name). Anything else (quotes, non-ASCII text, an empty or odd
// cell, a wrong cell count) makes it decline, and the row takes the text path, which gives the same values
// and the positioned errors. Numbers use Clinger's fast path: an integer mantissa below 2^53 times or
// divided by an exact power of ten up to 10^22 is one correctly rounded operation, so the result equals
// Number(text); numbers with more digits or a larger exponent are converted from their text.
import { cellNumber } from './tabular';

const COMMA = 44;
const SPACE = 32;
const TAB = 9;
const QUOTE = 34;
const DOT = 46;
const PLUS = 43;
const MINUS = 45;
const ZERO = 48;
const NINE = 57;
const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));
const MAX_DIGITS = 15;
/** Longer cells take the text path (and String.fromCharCode's argument list stays short). */
const MAX_CELL = 64;

export class FastRowParser {
  /** Per column: the feature index it fills, or -1 for the target. */
  private readonly role: Int32Array;
  private readonly names = new Map<number, string>();
  /** Offset of the target cell in the last parsed row. */
  private targetAt = 0;
  /** The number the last `number` call read, and where it stopped. */
  private value = 0;
  private pos = 0;

  constructor(
    private readonly width: number,
    features: number[],
    private readonly target: number,
  ) {
    this.role = new Int32Array(width).fill(-1);
    features.forEach((c, j) => (this.role[c] = j));
  }

  /**
   * Writes the row's features to x[offset..] and returns its target (a number for regression, the class
   * name for classification), or null when the row must take the text path.
   */
  parse(bytes: Uint8Array, start: number, end: number, x: Float64Array, offset: number, regression: boolean): number | string | null {
    let target: number | string = 0;
    let i = start;
    for (let col = 0; ; col++) {
      if (col === this.width) return null;
      while (i < end && (bytes[i] === SPACE || bytes[i] === TAB)) i++;
      if (col === this.target) this.targetAt = i - start;
      if (col === this.target && !regression) {
        const from = i;
        let last = i;
        for (; i < end; i++) {
          const b = bytes[i];
          if (b === COMMA) break;
          if (b === QUOTE || b >= 127 || (b < SPACE && b !== TAB)) return null;
          if (b !== SPACE && b !== TAB) last = i + 1;
        }
        if (last === from || last - from > MAX_CELL) return null;
        target = this.className(bytes, from, last);
      } else {
        if (!this.number(bytes, i, end)) return null;
        i = this.pos;
        while (i < end && (bytes[i] === SPACE || bytes[i] === TAB)) i++;
        if (i < end && bytes[i] !== COMMA) return null;
        const j = this.role[col];
        if (j >= 0) x[offset + j] = this.value;
        else target = this.value;
      }
      if (i >= end) return col === this.width - 1 ? target : null;
      i++; // the comma
    }
  }

  /** Where the last parsed row's target cell starts, as a 0-based offset from the row's start. */
  get targetStart(): number {
    return this.targetAt;
  }

  /** Reads a plain decimal number at bytes[from..] into `value` and `pos`; false when there is none. */
  private number(bytes: Uint8Array, from: number, end: number): boolean {
    let i = from;
    let negative = false;
    if (i < end && (bytes[i] === PLUS || bytes[i] === MINUS)) negative = bytes[i++] === MINUS;
    let mantissa = 0;
    let digits = 0;
    let significant = 0;
    let scale = 0;
    let dot = false;
    for (; i < end; i++) {
      const b = bytes[i];
      if (b >= ZERO && b <= NINE) {
        digits++;
        if (significant > 0 || b !== ZERO) significant++;
        mantissa = mantissa * 10 + (b - ZERO);
        if (dot) scale--;
      } else if (b === DOT && !dot) dot = true;
      else break;
    }
    if (digits === 0) return false;
    if (i < end && (bytes[i] === 69 || bytes[i] === 101)) {
      i++;
      let expNegative = false;
      if (i < end && (bytes[i] === PLUS || bytes[i] === MINUS)) expNegative = bytes[i++] === MINUS;
      const expFrom = i;
      let exp = 0;
      for (; i < end && bytes[i] >= ZERO && bytes[i] <= NINE; i++) if (exp < 1e6) exp = exp * 10 + (bytes[i] - ZERO);
      if (i === expFrom) return false;
      scale += expNegative ? -exp : exp;
    }
    this.pos = i;
    if (significant > MAX_DIGITS || scale > 22 || scale < -22) {
      if (i - from > MAX_CELL) return false;
      this.value = cellNumber(String.fromCharCode(...bytes.subarray(from, i)));
      return this.value === this.value; // not NaN
    }
    const v = scale >= 0 ? mantissa * POW10[scale] : mantissa / POW10[-scale];
    this.value = negative ? -v : v;
    return true;
  }

  /** Class names are few and short: looked up by a hash of their bytes, so most rows allocate no string. */
  private className(bytes: Uint8Array, from: number, to: number): string {
    let h = 0x811c9dc5;
    for (let i = from; i < to; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
    const key = (h >>> 0) * 64 + (to - from);
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
