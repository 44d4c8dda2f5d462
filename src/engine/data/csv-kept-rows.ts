// Where the rows a sampling reservoir holds are in the file, until it is final. Most rows that enter are
// replaced later, so a row is only located when it enters (its byte offset, length and line); once the
// whole file has been scanned, the survivors are read back by position in file order and parsed. Memory
// follows the rows kept (a few numbers each), and the read-back touches only the parts of the file that
// hold them: nearby rows share one read, distant ones each get their own.
import type { ByteReader } from './dataset';
import { DataError } from './errors';

/** Rows closer than this share one read: reading the bytes between them costs less than another read call. */
const SHARED_READ_GAP = 64 * 1024;

export class KeptRows {
  private slots = 0;
  private filled = 0;
  private offset = new Float64Array(0);
  private length = new Int32Array(0);
  private line = new Float64Array(0);

  constructor(private readonly capacity: number) {}

  /** Puts the row at file bytes [offset, offset + length) (line `line`) in `slot`, replacing what it held. */
  put(slot: number, offset: number, length: number, line: number): void {
    if (slot >= this.slots) this.growSlots(slot + 1);
    if (slot >= this.filled) this.filled = slot + 1;
    this.offset[slot] = offset;
    this.length[slot] = length;
    this.line[slot] = line;
  }

  /**
   * Reads the rows back from `reader` in file order and calls `fn` with each one's bytes and line, reading
   * at least `windowBytes` at a time (more for a longer row). `file` names the file if it has shrunk since.
   */
  forEachInFileOrder(reader: ByteReader, windowBytes: number, file: string, fn: (bytes: Uint8Array, start: number, end: number, line: number) => void): void {
    const n = this.filled;
    const { offset, length, line } = this;
    const order = fileOrder(offset.subarray(0, n));
    let buf = new Uint8Array(Math.max(windowBytes, 1));
    for (let i = 0; i < n; ) {
      const first = order[i];
      const from = offset[first];
      if (length[first] > buf.length) buf = new Uint8Array(length[first]);
      // the rows after it that fit in the buffer and are near enough to share the read
      let end = from + length[first];
      let j = i + 1;
      for (; j < n; j++) {
        const s = order[j];
        if (offset[s] - end > SHARED_READ_GAP || offset[s] + length[s] - from > buf.length) break;
        end = offset[s] + length[s];
      }
      readFully(reader, buf.subarray(0, end - from), from, file, line[first]);
      for (; i < j; i++) {
        const s = order[i];
        fn(buf, offset[s] - from, offset[s] - from + length[s], line[s]);
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

/** Slots ordered by their (distinct) offsets. */
function fileOrder(offsets: Float64Array): Int32Array {
  const sorted = offsets.slice().sort();
  const order = new Int32Array(offsets.length);
  for (let slot = 0; slot < offsets.length; slot++) order[rankOf(sorted, offsets[slot])] = slot;
  return order;
}

/** The index of `value` in the ascending `sorted`, where it occurs once. */
function rankOf(sorted: Float64Array, value: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Fills `into` from `position`; the file must still hold those bytes. */
function readFully(reader: ByteReader, into: Uint8Array, position: number, file: string, line: number): void {
  for (let at = 0; at < into.length; ) {
    const n = reader.readAt(into.subarray(at), position + at);
    if (n <= 0) throw new DataError(`${file} became shorter while it was read; load it again`, ['data', 'source'], { file, line, column: 1 });
    at += n;
  }
}
