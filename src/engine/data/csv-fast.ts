// The common case of a streamed CSV row, parsed straight from its bytes in one pass: unquoted ASCII cells
// holding plain decimal numbers (and a class name). Anything else (quotes, non-ASCII text, an empty or odd
// cell, a wrong cell count) makes it decline, and the row takes the text path, which gives the same values
// and the positioned errors. Numbers use Clinger's fast path: an integer mantissa below 2^53 times or
// divided by an exact power of ten up to 10^22 is one correctly rounded operation, so the result equals
// Number(text); numbers with more digits or a larger exponent are converted from their text. The number
// loop is written out in `parse` (no helper returning two results through fields), which keeps every
// value in a register: this runs for every kept cell.
import { cellNumber } from './tabular';

const COMMA = 44;
const SPACE = 32;
const TAB = 9;
const QUOTE = 34;
const DOT = 46;
const PLUS = 43;
const MINUS = 45;
const ZERO = 48;
const LOWER_E = 101;
const POW10 = new Float64Array(Array.from({ length: 23 }, (_, i) => Number(`1e${i}`)));
/** Digits (leading zeros included) whose integer stays below 2^53. */
const MAX_DIGITS = 15;
/** Longer cells take the text path (and String.fromCharCode's argument list stays short). */
const MAX_CELL = 64;

export class FastRowParser {
  /** Per column: the feature index it fills, or -1 for the target. */
  private readonly role: Int32Array;
  private readonly names = new Map<number, string>();
  /** Offset of the target cell in the last parsed row. */
  private targetAt = 0;

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
    const { width, role } = this;
    const targetCol = this.target;
    let target: number | string = 0;
    let i = start;
    for (let col = 0; col < width; col++) {
      while (i < end && (bytes[i] === SPACE || bytes[i] === TAB)) i++;
      if (col === targetCol) this.targetAt = i - start;
      if (col === targetCol && !regression) {
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
        const from = i;
        const negative = i < end && bytes[i] === MINUS;
        if (negative || (i < end && bytes[i] === PLUS)) i++;
        let mantissa = 0;
        const intFrom = i;
        for (; i < end; i++) {
          const d = bytes[i] - ZERO;
          if (d < 0 || d > 9) break;
          mantissa = mantissa * 10 + d;
        }
        let digits = i - intFrom;
        let scale = 0;
        if (i < end && bytes[i] === DOT) {
          const fracFrom = ++i;
          for (; i < end; i++) {
            const d = bytes[i] - ZERO;
            if (d < 0 || d > 9) break;
            mantissa = mantissa * 10 + d;
          }
          scale = fracFrom - i;
          digits -= scale;
        }
        if (digits === 0) return null;
        if (i < end && (bytes[i] | 32) === LOWER_E) {
          i++;
          const expNegative = i < end && bytes[i] === MINUS;
          if (expNegative || (i < end && bytes[i] === PLUS)) i++;
          const expFrom = i;
          let exp = 0;
          for (; i < end; i++) {
            const d = bytes[i] - ZERO;
            if (d < 0 || d > 9) break;
            if (exp < 1e6) exp = exp * 10 + d;
          }
          if (i === expFrom) return null;
          scale += expNegative ? -exp : exp;
        }
        let v: number;
        if (digits > MAX_DIGITS || scale > 22 || scale < -22) {
          if (i - from > MAX_CELL) return null;
          v = cellNumber(String.fromCharCode(...bytes.subarray(from, i)));
          if (v !== v) return null; // NaN
        } else {
          v = scale >= 0 ? mantissa * POW10[scale] : mantissa / POW10[-scale];
          if (negative) v = -v;
        }
        while (i < end && (bytes[i] === SPACE || bytes[i] === TAB)) i++;
        if (i < end && bytes[i] !== COMMA) return null;
        const j = role[col];
        if (j >= 0) x[offset + j] = v;
        else target = v;
      }
      if (i >= end) return col === width - 1 ? target : null;
      i++; // the comma
    }
    return null; // more cells than the header has columns
  }

  /** Where the last parsed row's target cell starts, as a 0-based offset from the row's start. */
  get targetStart(): number {
    return this.targetAt;
  }

  /** Class names are few and short: looked up by a hash of their bytes, so most rows allocate no string. */
  className(bytes: Uint8Array, from: number, to: number): string {
    let h = 0x811c9dc5;
    for (let i = from; i < to; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
    // a small integer key: a Map hashes it without boxing (the lengths and bytes are compared below)
    const key = h & 0x3fffffff;
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
