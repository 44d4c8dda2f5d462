// Seeded reservoir sampling (Li's "Algorithm L"): a uniform random subset of `capacity` rows from a stream
// of unknown length. The random draws depend only on how many rows have been offered, so the same seed
// keeps the same rows however the file was cut into chunks. Between replacements whole runs of rows are
// skipped with one comparison each, which is what lets a large file be sampled at the speed of reading it.
import type { Rng } from '../rng';

export class Reservoir {
  private offered = 0;
  /** Index of the next row that replaces a kept one (after the reservoir is full). */
  private nextPick = 0;
  private w = 1;

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
    return this.capacity > 0 && this.offered >= this.capacity ? Math.max(0, this.nextPick - this.offered) : 0;
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
      if (i === this.capacity - 1) {
        this.w = Math.exp(Math.log(this.unit()) / this.capacity);
        this.nextPick = i + this.gap();
      }
      return i;
    }
    if (i < this.nextPick) return -1;
    const slot = this.rng.int(this.capacity);
    this.w *= Math.exp(Math.log(this.unit()) / this.capacity);
    this.nextPick = i + this.gap();
    return slot;
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
