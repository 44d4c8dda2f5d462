// Where the rows a sampling reservoir holds are in the file, until it is final: each row's byte offset,
// length and line, replaced with the row in its slot. Once the whole file has been scanned, the rows the
// reader did not parse on the way are read back by position, in file order. Memory follows the rows kept
// (a few numbers each), and the read-back touches only the parts of the file that hold them: nearby rows
// share one read, distant ones each get their own.
import type { ByteReader } from './dataset';
import { DataError } from './errors';

/** Rows closer than this share one read: reading the bytes between them costs less than another read call. */
const SHARED_READ_GAP = 64 * 1024;

export class KeptRows {
  private slots = 0;
  private offset = new Float64Array(0);
  private length = new Int32Array(0);
  private line = new Float64Array(0);

  constructor(private readonly capacity: number) {}

  /** Puts the row at file bytes [offset, offset + length) (line `line`) in `slot`, replacing what it held. */
  put(slot: number, offset: number, length: number, line: number): void {
    if (slot >= this.slots) this.growSlots(slot + 1);
    this.offset[slot] = offset;
    this.length[slot] = length;
    this.line[slot] = line;
  }

  /** Where the row in `slot` starts in the file. */
  offsetOf(slot: number): number {
    return this.offset[slot];
  }

  /** `slots` ordered by where their rows are in the file. */
  inFileOrder(slots: Int32Array): Int32Array {
    const order = sortedByKey(Float64Array.from(slots, (slot) => this.offset[slot]), slots.length);
    return order.map((i) => slots[i]);
  }

  /**
   * Reads the rows of `slots` (in file order) back from `reader` and calls `fn` with each one's bytes, in
   * turn. Reads at least `windowBytes` at a time (more for a longer row); `file` names the file if it has
   * shrunk since it was scanned.
   */
  readBack(reader: ByteReader, windowBytes: number, file: string, slots: Int32Array, fn: (slot: number, bytes: Uint8Array, start: number, end: number, line: number) => void): void {
    const { offset, length, line } = this;
    const n = slots.length;
    let buf = new Uint8Array(Math.max(windowBytes, 1));
    for (let i = 0; i < n; ) {
      const first = slots[i];
      const from = offset[first];
      if (length[first] > buf.length) buf = new Uint8Array(length[first]);
      // the rows after it that fit in the buffer and are near enough to share the read
      let end = from + length[first];
      let j = i + 1;
      for (; j < n; j++) {
        const s = slots[j];
        if (offset[s] - end > SHARED_READ_GAP || offset[s] + length[s] - from > buf.length) break;
        end = offset[s] + length[s];
      }
      readFully(reader, buf.subarray(0, end - from), from, file, line[first]);
      for (; i < j; i++) {
        const s = slots[i];
        fn(s, buf, offset[s] - from, offset[s] - from + length[s], line[s]);
      }
    }
  }

  private growSlots(needed: number): void {
    const slots = Math.min(this.capacity, Math.max(needed, 2 * this.slots, 1024));
    const grow = <T extends Float64Array | Int32Array>(a: T, b: T): T => {
      b.set(a);
      return b;
    };
    this.offset = grow(this.offset, new Float64Array(slots));
    this.length = grow(this.length, new Int32Array(slots));
    this.line = grow(this.line, new Float64Array(slots));
    this.slots = slots;
  }
}

const RADIX_BITS = 16;
const RADIX = 2 ** RADIX_BITS;

/**
 * Indices 0..n-1 ordered by their (distinct, non-negative integer) keys: a least-significant-digit radix
 * sort, as many 16-bit passes as the largest key needs, each a stable counting sort.
 */
export function sortedByKey(keys: Float64Array, n: number): Int32Array {
  let max = 0;
  for (let i = 0; i < n; i++) if (keys[i] > max) max = keys[i];
  let order = Int32Array.from({ length: n }, (_, i) => i);
  let next = new Int32Array(n);
  const count = new Int32Array(RADIX);
  for (let scale = 1; scale <= max; scale *= RADIX) {
    count.fill(0);
    for (let i = 0; i < n; i++) count[Math.floor(keys[i] / scale) % RADIX]++;
    for (let d = 0, at = 0; d < RADIX; d++) {
      const c = count[d];
      count[d] = at;
      at += c;
    }
    for (let i = 0; i < n; i++) {
      const k = order[i];
      next[count[Math.floor(keys[k] / scale) % RADIX]++] = k;
    }
    [order, next] = [next, order];
  }
  return order;
}

/** Fills `into` from `position`; the file must still hold those bytes. */
function readFully(reader: ByteReader, into: Uint8Array, position: number, file: string, line: number): void {
  for (let at = 0; at < into.length; ) {
    const n = reader.readAt(into.subarray(at), position + at);
    if (n <= 0) throw new DataError(`${file} became shorter while it was read; load it again`, ['data', 'source'], { file, line, column: 1 });
    at += n;
  }
}
