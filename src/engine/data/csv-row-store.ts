// The raw bytes of the rows a sampling reservoir holds, until it is final. Most rows that enter are
// replaced later, so they are parsed only at the end. Each reservoir slot has its own place in one buffer,
// as wide as the longest row so far: a row that replaces another overwrites it, so there is never garbage
// to compact. A longer row widens every place (the rows move once), unless it is far longer than the rows
// held: then it is kept apart, so one long line does not widen every place. Memory stays within a few
// times the bytes of the rows kept.

/** How many times the mean row a place may be widened to; a longer row is kept apart. */
const MAX_WIDTH_PER_MEAN = 4;

export class RowStore {
  private bytes = new Uint8Array(0);
  /** Bytes per place. */
  private width = 0;
  private slots = 0;
  /** Slots filled so far, and the bytes of their rows. */
  private filled = 0;
  private liveBytes = 0;
  private length = new Int32Array(0);
  private line = new Float64Array(0);
  private readonly apart = new Map<number, Uint8Array>();

  constructor(private readonly capacity: number) {}

  /** Stores bytes[start..end) (line `line`) in `slot`, replacing what the slot held. */
  put(slot: number, from: Uint8Array, start: number, end: number, line: number): void {
    if (slot >= this.slots) this.growSlots(slot + 1);
    const n = end - start;
    if (slot >= this.filled) this.filled = slot + 1;
    this.liveBytes += n - this.length[slot];
    this.length[slot] = n;
    this.line[slot] = line;
    if (n > this.width && n <= (MAX_WIDTH_PER_MEAN * this.liveBytes) / this.filled) this.widen(n + (n >> 3));
    if (n > this.width) {
      this.apart.set(slot, from.slice(start, end));
      return;
    }
    if (this.apart.size > 0) this.apart.delete(slot);
    this.bytes.set(from.subarray(start, end), slot * this.width);
  }

  /** Calls `fn` with each stored row's bytes and line, in file order (line order). */
  forEachInFileOrder(fn: (bytes: Uint8Array, start: number, end: number, line: number) => void): void {
    const n = this.filled;
    // lines are distinct: a slot's rank among them is its place in the file
    const lines = this.line.slice(0, n).sort();
    const order = new Int32Array(n);
    for (let slot = 0; slot < n; slot++) order[rankOf(lines, this.line[slot])] = slot;
    for (const slot of order) {
      const apart = this.apart.size > 0 ? this.apart.get(slot) : undefined;
      if (apart) fn(apart, 0, apart.length, this.line[slot]);
      else fn(this.bytes, slot * this.width, slot * this.width + this.length[slot], this.line[slot]);
    }
  }

  /** Makes every place `width` bytes wide, moving the rows held in places. */
  private widen(width: number): void {
    const old = this.bytes;
    const oldWidth = this.width;
    this.bytes = new Uint8Array(this.slots * width);
    for (let slot = 0; slot < this.filled; slot++) {
      if (this.length[slot] <= oldWidth && !this.apart.has(slot)) this.bytes.set(old.subarray(slot * oldWidth, slot * oldWidth + this.length[slot]), slot * width);
    }
    this.width = width;
  }

  private growSlots(needed: number): void {
    const slots = Math.min(this.capacity, Math.max(needed, 2 * this.slots, 1024));
    const bytes = new Uint8Array(slots * this.width);
    bytes.set(this.bytes);
    this.bytes = bytes;
    const length = new Int32Array(slots);
    length.set(this.length);
    this.length = length;
    const line = new Float64Array(slots);
    line.set(this.line);
    this.line = line;
    this.slots = slots;
  }
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
