// A chart's time series: the points of one measurement, derived from the run's bounded history
// (src/shared/history.ts), which decides what is kept; a series never thins itself. Points are the
// `{x, y}` objects Chart.js draws directly (parsing: false), and the array is only ever mutated in place
// so a chart can keep its reference.

export interface Point {
  x: number;
  y: number;
}

/** Charts cannot place non-finite values; NaN makes a gap, and the table spells the real value out. */
const chartValue = (v: number): number => (Number.isFinite(v) ? v : NaN);

export class Series {
  readonly points: Point[] = [];

  push(x: number, y: number): void {
    const last = this.points[this.points.length - 1];
    // A re-sent step replaces the point instead of breaking the x ordering charts rely on.
    if (last && x <= last.x) {
      if (x === last.x) last.y = chartValue(y);
      return;
    }
    this.points.push({ x, y: chartValue(y) });
  }

  /** Drops the points after `x` (the history's newest entry, replaced by a newer one). */
  truncateAfter(x: number): void {
    let n = this.points.length;
    while (n > 0 && this.points[n - 1]!.x > x) n--;
    this.points.length = n;
  }

  get last(): Point | undefined {
    return this.points[this.points.length - 1];
  }
}
