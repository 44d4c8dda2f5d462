// Seeded reservoir sampling (Li's "Algorithm L"): a uniform random subset of `capacity` rows from a stream
// of unknown length. The random draws depend only on how many rows have been offered, so the same seed
// keeps the same rows however the file was cut into chunks. Between replacements whole runs of rows are
// skipped with one comparison each, which is what lets a large file be sampled at the speed of reading it.
// Because the draws do not depend on the rows, the schedule of replacements (which row replaces which
// slot) can be drawn ahead: a reader that guesses how many rows the file has can then tell, when a row
// enters, whether it is likely to stay to the end (`replacedAt`), and parse only those rows on the way.
import type { Rng } from '../rng';

export class Reservoir {
  private offered = 0;
  /** Drawn replacements not yet reached (and the one last reached): row index, slot, and the row that next replaces that slot. */
  private pickRow = new Float64Array(0);
  private pickSlot = new Int32Array(0);
  private pickNext = new Float64Array(0);
  /** Pick numbers: the first one held in the arrays, the next to reach, and the next to draw. */
  private base = 0;
  private head = 0;
  private drawn = 0;
  /** Per slot: the latest drawn pick into it (-1: none), and the row of the first pick into it. */
  private lastPick = new Int32Array(0);
  private firstPick = new Float64Array(0);
  /** The row of the next pick to draw (Infinity until the draws start). */
  private nextRow = Infinity;
  private w = 1;
  /** The slot the last row offered went into and the pick that put it there (-1: it filled an empty slot). */
  private lastSlot = -1;
  private lastPickNumber = -1;

  /** `capacity` 0 keeps every row. */
  constructor(
    readonly capacity: number,
    private readonly rng: Rng,
  ) {}

  /** Rows offered so far. */
  get seen(): number {
    return this.offered;
  }

  /** Rows currently kept. */
  get kept(): number {
    return this.capacity === 0 ? this.offered : Math.min(this.offered, this.capacity);
  }

  /**
   * How many of the next rows `offer` would skip: a reader may pass over that many rows without looking
   * at them (then `skip` them), and the draws stay those of offering each one.
   */
  skippable(): number {
    if (this.capacity === 0 || this.offered < this.capacity) return 0;
    return Math.max(0, this.pick(this.head) - this.offered);
  }

  /** Passes over `n` rows, at most `skippable()`. */
  skip(n: number): void {
    if (n > this.skippable()) throw new Error(`cannot skip ${n} rows, only ${this.skippable()}`);
    this.offered += n;
  }

  /** The slot the next row goes into (a new one, or a kept row it replaces), or -1 when it is skipped. */
  offer(): number {
    const i = this.offered++;
    if (this.capacity === 0) return i;
    if (i < this.capacity) {
      this.lastSlot = i;
      this.lastPickNumber = -1;
      return i;
    }
    if (i < this.pick(this.head)) return -1;
    this.lastPickNumber = this.head++;
    this.lastSlot = this.pickSlot[this.lastPickNumber - this.base];
    return this.lastSlot;
  }

  /**
   * The index of the row that will replace the row last offered (which `offer` kept), if one before row
   * `horizon` does; Infinity if none does (it stays if the stream ends before `horizon`).
   */
  replacedAt(horizon: number): number {
    if (this.capacity === 0) return Infinity;
    this.start();
    while (this.nextRow < horizon) this.draw();
    return this.lastPickNumber < 0 ? this.firstPick[this.lastSlot] : this.pickNext[this.lastPickNumber - this.base];
  }

  /** The row of pick number `p`, drawn if it was not yet. */
  private pick(p: number): number {
    this.start();
    while (this.drawn <= p) this.draw();
    return this.pickRow[p - this.base];
  }

  /** The draws the reservoir makes when it fills up (Algorithm L's first weight and gap). */
  private start(): void {
    if (this.nextRow !== Infinity) return;
    this.lastPick = new Int32Array(this.capacity).fill(-1);
    this.firstPick = new Float64Array(this.capacity).fill(Infinity);
    this.w = Math.exp(Math.log(this.unit()) / this.capacity);
    this.nextRow = this.capacity - 1 + this.gap();
  }

  /** Draws the next replacement: its slot, then the weight and the gap to the one after (in Algorithm L's order). */
  private draw(): void {
    const p = this.drawn++;
    if (p - this.base >= this.pickRow.length) this.makeRoom();
    const row = this.nextRow;
    const slot = this.rng.int(this.capacity);
    this.w *= Math.exp(Math.log(this.unit()) / this.capacity);
    this.nextRow = row + this.gap();
    const at = p - this.base;
    this.pickRow[at] = row;
    this.pickSlot[at] = slot;
    this.pickNext[at] = Infinity;
    const previous = this.lastPick[slot];
    if (previous < 0) this.firstPick[slot] = row;
    else if (previous >= this.base) this.pickNext[previous - this.base] = row;
    this.lastPick[slot] = p;
  }

  /** Drops the picks already passed (but the last one reached), moving the rest to the front; grows the arrays if that frees too little. */
  private makeRoom(): void {
    const keep = this.lastPickNumber < 0 ? this.head : this.lastPickNumber;
    const from = keep - this.base;
    const live = this.drawn - 1 - keep;
    const size = live >= this.pickRow.length / 2 ? Math.max(1024, 2 * this.pickRow.length) : this.pickRow.length;
    this.pickRow = shifted(this.pickRow, from, live, size);
    this.pickSlot = shifted(this.pickSlot, from, live, size);
    this.pickNext = shifted(this.pickNext, from, live, size);
    this.base = keep;
  }

  /** Distance to the next replacement: 1 + a geometric number of skipped rows. */
  private gap(): number {
    const skip = Math.floor(Math.log(this.unit()) / Math.log1p(-this.w));
    return 1 + (Number.isFinite(skip) ? skip : 0);
  }

  /** Uniform in (0, 1], so its logarithm is finite. */
  private unit(): number {
    return 1 - this.rng.next();
  }
}

/** `a`'s entries [from, from + live) at the front of an array of `size` (`a` itself when it has that size). */
function shifted<T extends Float64Array | Int32Array>(a: T, from: number, live: number, size: number): T {
  if (size === a.length) {
    a.copyWithin(0, from, from + live);
    return a;
  }
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a.subarray(from, from + live));
  return b;
}
