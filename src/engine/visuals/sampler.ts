// Takes the panel's pictures of a training run: the first step, then at most once per `everyMs`, and never
// more often than keeps their cost a small share of training time (a picture of a big model costs more, so
// it comes less often). Pictures read buffers and run evaluation-mode forwards between steps, which change
// no weight, statistic or random stream: training is the same with or without them.
import type { Dataset } from '../data/dataset';
import type { Layer } from '../layers/layer';
import type { VisualSnapshot } from '../types';
import { decisionBoundary, hasPlane, planePoints, type Predict } from './boundary';
import { layerPicture } from './pictures';

/** A picture may take at most 1/BUDGET of the time between pictures. */
const BUDGET = 50;

export interface PictureSource {
  readonly layers: readonly Layer[];
  readonly data: Dataset;
  predict: Predict;
}

export class VisualSampler {
  private nextAt = -Infinity;
  private sentPoints = false;
  private lastStep = -1;

  constructor(
    private readonly source: PictureSource,
    private readonly everyMs: number,
    private readonly emit: (snapshot: VisualSnapshot) => void,
    private readonly now: () => number = performance.now.bind(performance),
  ) {
    if (!(everyMs > 0)) throw new Error('the picture interval must be a positive number of milliseconds');
  }

  /** After a training step, while the layers still hold that step's batch. */
  afterStep(step: number, epoch: number): void {
    if (this.now() >= this.nextAt) this.take(step, epoch);
  }

  /** A picture now, unless this step already has one. */
  take(step: number, epoch: number): void {
    if (step === this.lastStep) return;
    this.lastStep = step;
    const t0 = this.now();
    const { layers, data } = this.source;
    // layer pictures first: the boundary's forward passes overwrite the layers' buffers
    const pictures = layers.map((l) => layerPicture(l));
    const plane = hasPlane(data);
    this.emit({
      step,
      epoch,
      boundary: plane ? decisionBoundary(data, (x, n) => this.source.predict(x, n)) : null,
      points: plane && !this.sentPoints ? planePoints(data) : null,
      layers: pictures,
    });
    this.sentPoints ||= plane;
    this.nextAt = t0 + Math.max(this.everyMs, (this.now() - t0) * BUDGET);
  }
}
