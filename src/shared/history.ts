// The one bounded history of a run, kept the same way by every holder (the engine session's probes, the
// worker's pending batch, the extension's run record, the panel's store), and the one way to replay it.
//
// Thinning is by step, not by arrival: a list keeps the first entry of every `stride`-step bucket plus the
// newest entry, and doubles `stride` whenever it would hold more than its capacity. What is kept therefore
// depends only on the entries seen and the stride, never on how they were batched, so a panel that gets a
// run's history replayed holds exactly what it held live.
import type { EpochMetrics, Finding, ProbeSnapshot, StepMetrics, VisualSnapshot } from './wire-types';
import type { ProgressBatch } from './protocol';

/** How many entries each list of a run's history keeps at most (plus its newest). */
export const HISTORY_CAPACITY = { steps: 4000, probes: 1000, pictures: 400 };
export type HistoryCapacity = typeof HISTORY_CAPACITY;
/** The panel's saved state (written every second while a run streams in) keeps less, thinned the same way. */
export const SAVED_CAPACITY: HistoryCapacity = { steps: 1000, probes: 200, pictures: 100 };
/** A finished run kept for "Compare runs" keeps this many steps. */
export const COMPARED_STEPS = 400;

export interface ThinnedSnapshot<T> {
  items: T[];
  stride: number;
}

export class ThinnedList<T extends { step: number }> {
  /** First entry of each stride bucket, in step order. */
  private grid: T[] = [];
  /** The newest entry when it is not the first of its bucket. */
  private tail: T | null = null;
  private strideNow = 1;

  constructor(readonly capacity: number) {}

  get stride(): number {
    return this.strideNow;
  }

  /** How many entries are kept (grid and newest). */
  get length(): number {
    return this.grid.length + (this.tail ? 1 : 0);
  }

  get newest(): T | undefined {
    return this.tail ?? this.grid.at(-1);
  }

  /** Step of the newest entry that stays whatever comes next (null: none), unless the stride grows. */
  get settledStep(): number | null {
    return this.grid.at(-1)?.step ?? null;
  }

  push(item: T): void {
    const last = this.grid.at(-1);
    if (last && item.step <= last.step) return; // a re-sent step
    if (!last || this.bucket(item.step) > this.bucket(last.step)) {
      this.grid.push(item);
      this.tail = null;
      if (this.grid.length > this.capacity) this.coarsen();
    } else this.tail = item;
  }

  items(): T[] {
    return this.tail ? [...this.grid, this.tail] : [...this.grid];
  }

  /** Replaces the newest entry in place (the panel strips pictures it no longer draws). */
  mapNewest(f: (item: T) => T): void {
    if (this.tail) this.tail = f(this.tail);
    else if (this.grid.length) this.grid[this.grid.length - 1] = f(this.grid[this.grid.length - 1]!);
  }

  /** The entries and stride; with a smaller `capacity`, thinned further by the same policy. */
  snapshot(capacity = this.capacity): ThinnedSnapshot<T> {
    if (capacity < this.capacity) return ThinnedList.from(capacity, { items: this.items(), stride: this.strideNow }).snapshot();
    return { items: this.items(), stride: this.strideNow };
  }

  static from<T extends { step: number }>(capacity: number, s: ThinnedSnapshot<T>): ThinnedList<T> {
    const list = new ThinnedList<T>(capacity);
    list.strideNow = Math.max(1, s.stride);
    for (const item of s.items) list.push(item);
    return list;
  }

  private bucket(step: number): number {
    return Math.floor(step / this.strideNow);
  }

  private coarsen(): void {
    while (this.grid.length > this.capacity) {
      this.strideNow *= 2;
      const kept: T[] = [];
      for (const item of this.grid) if (!kept.length || this.bucket(item.step) > this.bucket(kept.at(-1)!.step)) kept.push(item);
      // the newest grid entry that lost its bucket stays as the newest
      const last = this.grid.at(-1)!;
      if (kept.at(-1) !== last && !this.tail) this.tail = last;
      this.grid = kept;
    }
  }
}

/** A picture reduced to what the distributions over time need (its quantiles), for all but the first and newest. */
function quantilesOnly(v: VisualSnapshot): VisualSnapshot {
  return {
    step: v.step,
    epoch: v.epoch,
    boundary: null,
    points: null,
    layers: v.layers.map((l) => ({ ...l, output: null, units: null, weights: null })),
  };
}

export interface RunHistorySnapshot {
  steps: ThinnedSnapshot<StepMetrics>;
  epochs: EpochMetrics[];
  probes: ThinnedSnapshot<ProbeSnapshot>;
  pictures: ThinnedSnapshot<VisualSnapshot>;
  findings: Finding[] | null;
  /** Probes received in all, including those thinned out. */
  probeCount: number;
}

/** A run's history as every holder keeps it: bounded lists, the latest findings, and the probe count. */
export class RunHistory {
  steps = new ThinnedList<StepMetrics>(HISTORY_CAPACITY.steps);
  /** One per epoch: few, kept whole. */
  epochs: EpochMetrics[] = [];
  probes = new ThinnedList<ProbeSnapshot>(HISTORY_CAPACITY.probes);
  /** The first and the newest picture whole (the views draw them), the others as quantiles only. */
  pictures = new ThinnedList<VisualSnapshot>(HISTORY_CAPACITY.pictures);
  findings: Finding[] | null = null;
  probeCount = 0;

  absorb(batch: ProgressBatch): void {
    for (const s of batch.steps) this.steps.push(s);
    this.epochs.push(...batch.epochs);
    for (const p of batch.probes) this.probes.push(p);
    this.probeCount += batch.probes.length;
    for (const v of batch.visuals ?? []) {
      if (this.pictures.length > 1) this.pictures.mapNewest(quantilesOnly);
      this.pictures.push(v);
    }
    if (batch.findings) this.findings = batch.findings;
  }

  /** Everything held, as one batch (what the worker sends of its pending history). */
  toBatch(): ProgressBatch {
    return { steps: this.steps.items(), epochs: [...this.epochs], probes: this.probes.items(), findings: this.findings, visuals: this.pictures.items() };
  }

  /** The first picture and the newest (the same one when there is one). */
  get drawnPictures(): VisualSnapshot[] {
    const all = this.pictures.items();
    return all.length <= 2 ? all : [all[0]!, all.at(-1)!];
  }

  /** The steps thinned further, for a finished run kept to be compared. */
  comparedSteps(): StepMetrics[] {
    return this.steps.snapshot(COMPARED_STEPS).items;
  }

  get isEmpty(): boolean {
    return this.steps.length === 0 && this.epochs.length === 0 && this.probes.length === 0 && this.pictures.length === 0 && this.findings === null;
  }

  snapshot(capacity: HistoryCapacity = HISTORY_CAPACITY): RunHistorySnapshot {
    return { steps: this.steps.snapshot(capacity.steps), epochs: [...this.epochs], probes: this.probes.snapshot(capacity.probes), pictures: this.pictures.snapshot(capacity.pictures), findings: this.findings, probeCount: this.probeCount };
  }

  static from(s: RunHistorySnapshot): RunHistory {
    const h = new RunHistory();
    h.steps = ThinnedList.from(HISTORY_CAPACITY.steps, s.steps);
    h.epochs = [...s.epochs];
    h.probes = ThinnedList.from(HISTORY_CAPACITY.probes, s.probes);
    h.pictures = ThinnedList.from(HISTORY_CAPACITY.pictures, s.pictures);
    h.findings = s.findings;
    h.probeCount = s.probeCount;
    return h;
  }
}
