// The training loop: seeded epochs of mini-batches, validation and metrics each epoch, early stopping,
// observers, events, and stop/pause/resume between steps. Numerics live in StepRunner; everything
// random derives from the seed through named Rng forks, so a run is bit-for-bit repeatable.
import type { DType, EpochMetrics, FloatArray, LayerRef, ModelSummary, NonFiniteReport, RunStatus, RunSummary, StepMetrics } from '../types';
import type { ModelSpec } from '../spec/model-spec';
import type { Dataset } from '../data/dataset';
import type { Layer } from '../layers/layer';
import type { Kernels } from '../kernels/kernels';
import type { StepContext, TrainingObserver } from './observer';
import type { TrainerListener, TrainerOptions, TrainerEvent } from './trainer-api';
import { identity, Rng } from '../rng';
import { buildModel } from '../layers/build';
import { DenseLayer } from '../layers/dense';
import { Conv2dLayer } from '../layers/conv2d';
import { allFinite, BatchCache } from '../layers/buffers';
import { sigmoid, softmaxRows } from '../layers/activations';
import { allocKernelBuffer, kernelBeside, kernelSettle, selectKernels } from '../kernels/select';
import { planLoss, type LossPlan } from './losses';
import { GradientClipper } from './clipping';
import { createOptimizer } from './optimizers';
import { learningRateAt } from './schedules';
import { StepRunner, type Failure } from './step-runner';
import { TensorSnapshot } from './snapshot';
import { countCorrect, gatherBatch, requiredOutputWidth, unscaledMse } from './targets';

/** Rows per forward pass when evaluating a whole split. */
const EVAL_CHUNK = 256;
const DEFAULT_YIELD_MS = 20;

interface BatchBuffers {
  x: FloatArray;
  y: FloatArray;
  grad: FloatArray;
  labels: Int32Array;
}

export interface Evaluation {
  loss: number;
  accuracy: number | null;
}

export class Trainer {
  readonly layers: readonly Layer[];
  readonly dtype: DType;
  readonly epochs: number;
  private readonly kernels: Kernels;
  private readonly width: number;
  private readonly plan: LossPlan;
  private readonly runner: StepRunner;
  private readonly clipper: GradientClipper;
  private readonly observers: TrainingObserver[];
  private readonly observed: boolean[];
  /** Whether an observer watches the current step, and whether one of those works during its update. */
  private observing = false;
  private observingUpdate = false;
  private readonly observeUpdate = (): void => {
    for (let k = 0; k < this.observers.length; k++) if (this.observed[k]) this.observers[k].duringUpdate?.(this.ctx);
  };
  private readonly listeners: TrainerListener[] = [];
  /** Evaluation's and predictions' batches, which may run between training steps (the panel's pictures). */
  private readonly buffers: BatchCache<BatchBuffers>;
  /** Training steps alternate between these two: the next batch is gathered while one trains. */
  private readonly trainBuffers: readonly [BatchCache<BatchBuffers>, BatchCache<BatchBuffers>];
  private readonly shuffleRng: Rng;
  private readonly yieldEveryMs: number;
  private readonly threshold: number;
  private readonly ctx: StepContext;
  private stopRequested = false;
  private paused = false;
  private wake: (() => void) | null = null;

  constructor(
    readonly spec: ModelSpec,
    readonly data: Dataset,
    options: TrainerOptions = {},
  ) {
    this.dtype = options.dtype ?? 'float32';
    this.epochs = options.epochs ?? spec.epochs;
    this.yieldEveryMs = options.yieldEveryMs ?? DEFAULT_YIELD_MS;
    this.observers = options.observers ?? [];
    this.observed = this.observers.map(() => false);
    const rng = new Rng(options.seed ?? spec.seed);
    this.shuffleRng = rng.fork('shuffle');
    this.kernels = selectKernels(this.dtype, options.threads);
    this.width = requiredOutputWidth(spec, data);
    this.layers = buildModel(spec, data.inputShape ?? data.inputs, this.width, this.dtype, rng, this.kernels);
    const first = this.layers[0];
    if (first instanceof DenseLayer || first instanceof Conv2dLayer) first.computeInputGradient = false;
    this.plan = planLoss(spec.loss, this.layers);
    this.clipper = new GradientClipper(spec.clipping, this.kernels);
    const params = this.layers.flatMap((l) => l.params);
    this.runner = new StepRunner(this.layers, this.plan, this.clipper, createOptimizer(spec.optimizer, params, this.kernels));
    const lastKind = this.layers[this.layers.length - 1]?.spec.kind;
    // A single binary output is a probability after a sigmoid layer (or under MSE), a logit otherwise.
    this.threshold = spec.loss === 'binary-cross-entropy' && lastKind !== 'sigmoid' ? 0 : 0.5;
    const alloc = (n: number) => allocKernelBuffer(this.kernels, this.dtype, n);
    const batchBuffers = (batch: number): BatchBuffers => ({
      x: alloc(batch * data.inputs),
      y: alloc(batch * this.width),
      grad: alloc(batch * this.width),
      labels: new Int32Array(batch),
    });
    this.buffers = new BatchCache(batchBuffers);
    this.trainBuffers = [new BatchCache(batchBuffers), new BatchCache(batchBuffers)];
    this.ctx = { step: 0, epoch: 0, batch: 0, loss: 0, lr: 0, spec, layers: this.layers, kernels: this.kernels, gradNormBefore: 0, gradNormAfter: 0, clipped: false, gradSquares: this.clipper.gradSquares };
  }

  on(listener: TrainerListener): void {
    this.listeners.push(listener);
  }

  stop(): void {
    this.stopRequested = true;
    this.resume();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  summary(): ModelSummary {
    const layers = this.layers.map((l) => ({
      index: l.spec.index,
      name: l.spec.name,
      position: l.position,
      kind: l.spec.kind,
      inputSize: l.inputSize,
      outputSize: l.outputSize,
      outputShape: [...l.outputShape],
      paramCount: l.params.reduce((s, p) => s + p.value.length, 0),
    }));
    return {
      name: this.spec.name,
      inputs: this.data.inputs,
      outputs: this.width,
      task: this.data.task,
      trainSamples: this.data.train.n,
      valSamples: this.data.val.n,
      paramCount: layers.reduce((s, l) => s + l.paramCount, 0),
      layers,
      kernel: this.kernels.name,
      dtype: this.dtype,
    };
  }

  /** Mean loss and accuracy of a split in evaluation mode (no dropout, batch-norm running statistics). */
  evaluate(split: 'train' | 'val'): Evaluation {
    const s = this.data[split];
    const order = identity(s.n);
    let lossSum = 0;
    let correct = 0;
    for (let start = 0; start < s.n; start += EVAL_CHUNK) {
      const batch = Math.min(EVAL_CHUNK, s.n - start);
      const buf = this.buffers.get(batch);
      gatherBatch(s, this.data.task, this.data.inputs, this.width, order, start, batch, buf.x, buf.y, buf.labels, this.kernels);
      this.runner.forward(buf.x, batch, false);
      lossSum += this.reportedLoss(this.runner.loss(buf.y, batch, null), buf.y, batch) * batch;
      correct += this.countCorrect(buf.labels, batch);
    }
    return {
      loss: s.n > 0 ? lossSum / s.n : NaN,
      accuracy: this.data.task === 'classification' && s.n > 0 ? correct / s.n : null,
    };
  }

  /**
   * The model's predictions in evaluation mode for the rows of `x` ([n x inputs]): class probabilities
   * (one probability for a single binary output) for classification, values for regression.
   */
  predict(x: Float64Array, n: number): { values: Float64Array; width: number } {
    const { inputs } = this.data;
    const width = this.width;
    const values = new Float64Array(n * width);
    const last = this.layers[this.layers.length - 1];
    const raw = this.data.task === 'classification' && last.spec.kind !== 'softmax' && last.spec.kind !== 'sigmoid';
    for (let start = 0; start < n; start += EVAL_CHUNK) {
      const batch = Math.min(EVAL_CHUNK, n - start);
      const buf = this.buffers.get(batch);
      buf.x.set(x.subarray(start * inputs, (start + batch) * inputs));
      this.runner.forward(buf.x, batch, false);
      const out = values.subarray(start * width, (start + batch) * width);
      out.set(last.lastOutput!.subarray(0, batch * width));
      // logits become probabilities as the loss reads them; mse outputs are clamped to [0, 1]
      if (!raw) continue;
      if (this.spec.loss === 'softmax-cross-entropy' && width > 1) softmaxRows(out, out, batch, width);
      else if (this.spec.loss === 'mse') for (let i = 0; i < out.length; i++) out[i] = Math.min(1, Math.max(0, out[i]));
      else for (let i = 0; i < out.length; i++) out[i] = sigmoid(out[i]);
    }
    return { values, width };
  }

  async run(): Promise<RunSummary> {
    const t0 = performance.now();
    this.emit({ type: 'start', model: this.summary() });
    const train = this.data.train;
    const batchSize = Math.max(1, Math.min(this.spec.batchSize, train.n));
    const order = new Int32Array(train.n);
    const es = this.spec.earlyStopping;
    const best = es ? new TensorSnapshot(this.layers, true) : null;
    let bestLoss = Infinity;
    let bestEpoch: EpochMetrics | null = null;
    let wait = 0;
    let status: RunStatus = 'completed';
    let step = 0;
    let samples = 0;
    let lastEpoch: EpochMetrics | null = null;
    let lastStepLoss: number | null = null;
    let nonFinite: NonFiniteReport | null = null;
    let lastYield = performance.now();

    let nextStart = 0;
    let nextBatch = 0;
    let nextBuf: BatchBuffers | null = null;
    const gatherNext = () => gatherBatch(train, this.data.task, this.data.inputs, this.width, order, nextStart, nextBatch, nextBuf!.x, nextBuf!.y, nextBuf!.labels, this.kernels);
    const prepare = () => this.prepareObservers(step + 1);
    const gatherAndPrepare = () => {
      gatherNext();
      prepare();
    };

    epochs: for (let epoch = 0; epoch < this.epochs; epoch++) {
      const epochStart = performance.now();
      const lr = learningRateAt(this.spec.schedule, this.spec.optimizer.lr, epoch, this.epochs);
      for (let i = 0; i < order.length; i++) order[i] = i;
      this.shuffleRng.shuffle(order);
      let lossSum = 0;
      let correct = 0;
      let [current, next] = this.trainBuffers;
      let gathered = false; // whether `current` holds this step's rows already
      for (let start = 0; start < train.n; start += batchSize) {
        if (this.yieldEveryMs > 0 && performance.now() - lastYield >= this.yieldEveryMs) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          lastYield = performance.now();
        }
        while (this.paused && !this.stopRequested) await new Promise<void>((resolve) => (this.wake = resolve));
        if (this.stopRequested) {
          status = 'stopped';
          break epochs;
        }
        const batch = Math.min(batchSize, train.n - start);
        const buf = current.get(batch);
        if (!gathered) gatherBatch(train, this.data.task, this.data.inputs, this.width, order, start, batch, buf.x, buf.y, buf.labels, this.kernels);
        nextStart = start + batch;
        gathered = nextStart < train.n;
        if (gathered) {
          nextBatch = Math.min(batchSize, train.n - nextStart);
          nextBuf = next.get(nextBatch);
        }
        const preparing = this.observe(step + 1);
        // on two threads or more, the next rows are copied and the observers read the weights while the
        // helpers start this step's first product
        if (gathered || preparing) kernelBeside(this.kernels, gathered ? gatherAndPrepare : prepare);
        let failure: Failure | null;
        try {
          failure = this.trainStep(step + 1, epoch + 1, batch, lr, buf);
        } finally {
          kernelSettle(this.kernels);
        }
        const swap = current;
        current = next;
        next = swap;
        if (failure) {
          nonFinite = { step: step + 1, layer: this.refOf(failure.position), stage: failure.stage };
          this.emit({ type: 'non-finite', report: nonFinite });
          status = 'non-finite';
          break epochs;
        }
        step++;
        samples += batch;
        lossSum += this.ctx.loss * batch;
        lastStepLoss = this.ctx.loss;
        if (this.data.task === 'classification') correct += this.countCorrect(buf.labels, batch);
        const metrics: StepMetrics = { step, epoch: epoch + 1, loss: this.ctx.loss, lr };
        this.emit({ type: 'step', metrics });
      }

      const val = this.data.val.n > 0 ? this.evaluate('val') : null;
      const durationMs = performance.now() - epochStart;
      lastEpoch = {
        epoch: epoch + 1,
        step,
        loss: lossSum / train.n,
        accuracy: this.data.task === 'classification' ? correct / train.n : null,
        valLoss: val ? val.loss : null,
        valAccuracy: val ? val.accuracy : null,
        lr,
        durationMs,
        samplesPerSecond: durationMs > 0 ? (train.n * 1000) / durationMs : 0,
      };
      this.emit({ type: 'epoch', metrics: lastEpoch });

      if (es && best) {
        // Monitor validation loss, or training loss when there is no validation split.
        const monitored = lastEpoch.valLoss ?? lastEpoch.loss;
        if (monitored < bestLoss - es.minDelta) {
          bestLoss = monitored;
          bestEpoch = lastEpoch;
          best.save();
          wait = 0;
        } else if (++wait >= es.patience) {
          best.restore();
          status = 'early-stopped';
          break;
        }
      }
    }

    const durationMs = performance.now() - t0;
    const finalEpoch = status === 'early-stopped' ? bestEpoch : lastEpoch;
    const summary: RunSummary = {
      status,
      epochs: lastEpoch ? lastEpoch.epoch : 0,
      steps: step,
      durationMs,
      samplesPerSecond: durationMs > 0 ? (samples * 1000) / durationMs : 0,
      final: {
        loss: finalEpoch ? finalEpoch.loss : lastStepLoss,
        accuracy: finalEpoch ? finalEpoch.accuracy : null,
        valLoss: finalEpoch ? finalEpoch.valLoss : null,
        valAccuracy: finalEpoch ? finalEpoch.valAccuracy : null,
      },
      nonFinite,
      restoredEpoch: status === 'early-stopped' && bestEpoch ? bestEpoch.epoch : null,
    };
    this.emit({ type: 'end', summary });
    return summary;
  }

  /** Asks each observer whether it watches this step; returns whether one of those works before it. */
  private observe(step: number): boolean {
    let preparing = false;
    this.observing = false;
    this.observingUpdate = false;
    for (let k = 0; k < this.observers.length; k++) {
      const o = this.observers[k];
      this.observed[k] = o.wants(step);
      this.observing ||= this.observed[k];
      preparing ||= this.observed[k] && o.beforeStep !== undefined;
      this.observingUpdate ||= this.observed[k] && o.duringUpdate !== undefined;
    }
    return preparing;
  }

  /** The observed observers' work before the step (nothing when none has any). */
  private prepareObservers(step: number): void {
    for (let k = 0; k < this.observers.length; k++) if (this.observed[k]) this.observers[k].beforeStep?.(step, this.layers, this.kernels);
  }

  /** Forward, loss, backward, observers and update for one batch; returns the failure if non-finite. */
  private trainStep(step: number, epoch: number, batch: number, lr: number, buf: BatchBuffers): Failure | null {
    const runner = this.runner;
    const badLayer = runner.forward(buf.x, batch, true);
    if (badLayer >= 0) return { stage: 'forward', position: badLayer };
    const loss = runner.loss(buf.y, batch, buf.grad);
    // The loss can be finite in float64 while its gradient overflows the float32 buffer.
    if (!Number.isFinite(loss) || !allFinite(buf.grad)) return { stage: 'loss', position: this.layers.length - 1 };
    const backFailure = runner.backward(buf.grad, batch);
    if (backFailure) return backFailure;

    const ctx = this.ctx;
    ctx.step = step;
    ctx.epoch = epoch;
    ctx.batch = batch;
    ctx.loss = this.reportedLoss(loss, buf.y, batch);
    ctx.lr = lr;
    ctx.gradNormBefore = this.clipper.normBefore;
    ctx.gradNormAfter = this.clipper.normAfter;
    ctx.clipped = this.clipper.clipped;
    // the observers' work before the step has run by now, beside a product or here
    if (this.observing) kernelSettle(this.kernels);
    for (let k = 0; k < this.observers.length; k++) if (this.observed[k]) this.observers[k].afterBackward(ctx);
    // what they read of gradients and activations, beside the update's first split job
    if (this.observingUpdate) kernelBeside(this.kernels, this.observeUpdate);
    const updateFailure = runner.update(lr);
    if (updateFailure) return updateFailure;
    if (this.observingUpdate) kernelSettle(this.kernels);
    for (let k = 0; k < this.observers.length; k++) {
      const o = this.observers[k];
      if (this.observed[k]) o.afterUpdate(ctx);
      o.onStep?.(ctx);
    }
    return null;
  }

  /** The loss of the last forward as the user sees it: in the targets' original units when they were scaled. */
  private reportedLoss(loss: number, y: FloatArray, batch: number): number {
    const scale = this.data.targetScale;
    if (!scale) return loss;
    return unscaledMse(this.layers[this.layers.length - 1].lastOutput!, y, batch, this.width, scale);
  }

  private countCorrect(labels: Int32Array, batch: number): number {
    const out = this.layers[this.layers.length - 1].lastOutput!;
    return countCorrect(out, labels, batch, this.width, this.threshold);
  }

  private refOf(position: number): LayerRef | null {
    const l = this.layers[position];
    return l ? { index: l.spec.index, name: l.spec.name } : null;
  }

  private emit(event: TrainerEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
