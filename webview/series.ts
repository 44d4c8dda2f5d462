// A bounded time series. When it reaches its capacity the older half is thinned by merging neighbouring
// pairs, so recent history keeps full resolution while old history thins out geometrically: memory stays
// bounded however long a run is. Points are stored as the `{x, y}` objects Chart.js draws directly
// (parsing: false), and the array is only ever mutated in place so a chart can keep its reference.

export interface Point {
  x: number;
  y: number;
}

export const DEFAULT_CAPACITY = 1200;

/** Charts cannot place non-finite values; NaN makes a gap, and the table spells the real value out. */
export const chartValue = (v: number): number => (Number.isFinite(v) ? v : NaN);

export class Series {
  readonly points: Point[] = [];

  constructor(readonly capacity = DEFAULT_CAPACITY) {}

  push(x: number, y: number): void {
    const last = this.points[this.points.length - 1];
    // A replayed or re-sent step replaces the point instead of breaking the x ordering charts rely on.
    if (last && x <= last.x) {
      if (x === last.x) last.y = chartValue(y);
      return;
    }
    this.points.push({ x, y: chartValue(y) });
    if (this.points.length > this.capacity) this.thinOlderHalf();
  }

  get last(): Point | undefined {
    return this.points[this.points.length - 1];
  }

  private thinOlderHalf(): void {
    const older = Math.floor(this.points.length / 2) & ~1;
    const merged: Point[] = [];
    for (let i = 0; i < older; i += 2) merged.push(mergePair(this.points[i]!, this.points[i + 1]!));
    this.points.splice(0, older, ...merged);
  }

  /** Compact form for getState/setState, at most `max` points. */
  toJSON(max = this.capacity): { x: number[]; y: number[] } {
    const stride = Math.max(1, Math.ceil(this.points.length / max));
    const x: number[] = [];
    const y: number[] = [];
    for (let i = 0; i < this.points.length; i += stride) {
      x.push(this.points[i]!.x);
      y.push(this.points[i]!.y);
    }
    return { x, y };
  }

  static fromJSON(data: unknown, capacity = DEFAULT_CAPACITY): Series {
    const s = new Series(capacity);
    if (typeof data !== 'object' || data === null) return s;
    const { x, y } = data as { x?: unknown; y?: unknown };
    if (!Array.isArray(x) || !Array.isArray(y)) return s;
    for (let i = 0; i < Math.min(x.length, y.length); i++) {
      if (typeof x[i] === 'number' && typeof y[i] === 'number') s.push(x[i], y[i]);
    }
    return s;
  }
}

/** Merging keeps a non-finite marker (it is the event the user is looking for) and averages otherwise. */
function mergePair(a: Point, b: Point): Point {
  if (Number.isNaN(a.y)) return a;
  if (Number.isNaN(b.y)) return { x: a.x, y: b.y };
  return { x: a.x, y: (a.y + b.y) / 2 };
}
