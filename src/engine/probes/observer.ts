// The probe observer: every `every` steps (and on the first step) it reads each layer's gradients,
// weights and activations and emits a ProbeSnapshot. It only reads live buffers; the one thing it keeps
// is a copy of the weights before the update (of a fixed sample of RATIO_SAMPLE entries on large tensors),
// to measure the update ratio, in buffers allocated once per layer. That copy and the weights' norms are
// taken before the step's forward (beforeStep), which on two threads runs beside the step's first product;
// the batch norms' statistics (gamma and beta among them) after the backward pass; the rest, which reads no
// parameter's value, beside the update (duringUpdate); the update ratio after it. Norms are exact: on the wasm path,
// tensors of KERNEL_MIN entries or more are summed in SIMD (kernelSumSquares, float32 squares), as are
// activation moments and update differences, which keeps full passes cheap enough for the overhead budget
// (bench/probe-overhead.ts) on big layers and small ones alike; elsewhere everything is float64 loops. An
// image layer's output is read once, per channel (channel-stats.ts), and its layer-wide moments, dead and
// saturated shares come from that pass.
import type { TrainingObserver, StepContext } from '../train/observer';
import type { Kernels } from '../kernels/kernels';
import type { Layer, Param } from '../layers/layer';
import type { BatchNormProbe, ClippingProbe, FloatArray, LayerProbe, ProbeSnapshot } from '../types';
import { sumSquares } from '../train/clipping';
import { HISTOGRAM_SAMPLE, RATIO_SAMPLE, gradientHistogram, sampleIndices, type BinCounter } from './histogram';
import { KERNEL_MIN, batchNormStats, copyWeights, countNonFinite, deadRatio, mainNorms, mainParams, outputStats, saturationRatio, sumSquares64, updateRatio } from './layer-stats';
import { allocKernelBuffer, kernelBinCounts, kernelIndexBuffer } from '../kernels/select';
import { descriptorOf, type LayerTraits } from '../spec/layer-kinds';
import { imageLayerStats, reluFollows, rowUpdateRatios } from './channel-stats';
import { reluPairSums } from './channel-sums';

export class ProbeObserver implements TrainingObserver {
  private firstStep: number | null = null;
  private tracked: Tracked[] = [];
  private pending: LayerProbe[] = [];
  private kernels: Kernels | null = null;
  private squaresShared: ReadonlyMap<Param, number> | null = null;
  // clipping counters since the previous snapshot
  private stepsSeen = 0;
  private stepsClipped = 0;
  private lastProbedStep = -1;
  /** Σw² of each layer's main tensor, taken with the copy of its weights before the step it was taken for. */
  private weightSquares = new Float64Array(0);
  private preparedStep = -1;
  /** Batch-norm layers' statistics, read in afterBackward: with gamma and beta, which the update writes. */
  private batchNorms: (BatchNormProbe | null)[] = [];
  /** The step whose layer probes duringUpdate took. */
  private measuredStep = -1;

  constructor(
    private readonly every: number,
    private readonly emit: (snapshot: ProbeSnapshot) => void,
  ) {
    if (!(every > 0)) throw new Error('probe cadence must be a positive number of steps');
  }

  wants(step: number): boolean {
    if (this.firstStep === null) this.firstStep = step;
    return step === this.firstStep || step % this.every === 0;
  }

  onStep(ctx: StepContext): void {
    if (ctx.step === this.lastProbedStep) return; // already counted by the snapshot of this step
    this.stepsSeen++;
    if (ctx.clipped) this.stepsClipped++;
  }

  /** The weights' part of a probe (their norms, the copy for the update ratio), before the step's forward. */
  beforeStep(step: number, layers: readonly Layer[], kernels: Kernels): void {
    this.kernels = kernels;
    if (this.tracked.length !== layers.length) {
      this.tracked = layers.map((l) => track(l, kernels));
      this.weightSquares = new Float64Array(layers.length);
    }
    for (let i = 0; i < layers.length; i++) {
      const { main, sample, before } = this.tracked[i];
      if (!main) continue;
      this.weightSquares[i] = this.sumSquares(main.value);
      copyWeights(main.value, sample, before, kernels);
    }
    this.preparedStep = step;
  }

  afterBackward(ctx: StepContext): void {
    // a trainer that did not call beforeStep: the weights are still the ones the update starts from
    if (this.preparedStep !== ctx.step) this.beforeStep(ctx.step, ctx.layers, ctx.kernels);
    this.preparedStep = -1;
    this.batchNorms = ctx.layers.map((layer, i) => {
      const { main, bias, traits } = this.tracked[i];
      return traits.normalization === 'batch' ? batchNormStats(layer, main, bias) : null;
    });
  }

  /** The rest of a probe: gradients, activations and layer state, no parameter's value, so it may run while the update writes them. */
  duringUpdate(ctx: StepContext): void {
    this.squaresShared = ctx.gradSquares;
    const pending: LayerProbe[] = [];
    // a conv (or pool) output feeding a ReLU is read once for both layers' channel sums
    let reluSums: Float64Array | null = null;
    for (let i = 0; i < ctx.layers.length; i++) {
      const layer = ctx.layers[i];
      const pair = reluFollows(layer, ctx.layers[i + 1]) ? reluPairSums(layer.lastOutput!, layer.outputShape[0], layer.outputSize / layer.outputShape[0], this.kernels) : null;
      pending.push(this.probeLayer(layer, this.tracked[i], this.weightSquares[i], this.batchNorms[i], pair ? pair.input : reluSums));
      reluSums = pair ? pair.output : null;
    }
    this.pending = pending;
    this.measuredStep = ctx.step;
  }

  afterUpdate(ctx: StepContext): void {
    // a trainer that did not call duringUpdate: what it reads, the update left alone
    if (this.measuredStep !== ctx.step) this.duringUpdate(ctx);
    this.measuredStep = -1;
    for (let i = 0; i < ctx.layers.length; i++) {
      const probe = this.pending[i];
      const { main, sample, before } = this.tracked[i];
      if (!probe || !main) continue;
      // a whole-tensor copy has the weight norm just measured; a sampled one needs its own
      const r = updateRatio(main.value, sample, before, sample || probe.weightNorm === null ? null : probe.weightNorm * probe.weightNorm, this.kernels);
      probe.updateRatio = r.ratio;
      if (probe.channels?.gradNorm && !sample) probe.channels.updateRatio = rowUpdateRatios(main.value, before, main.shape[0]);
      // a non-finite weight makes the difference non-finite: count the weights only then
      if (!r.finite) probe.nonFinite += countNonFinite(main.value);
    }
    this.emit({ step: ctx.step, epoch: ctx.epoch, loss: ctx.loss, lr: ctx.lr, layers: this.pending, clipping: this.clipping(ctx) });
    this.pending = [];
  }

  private clipping(ctx: StepContext): ClippingProbe | null {
    const c = ctx.spec.clipping;
    // the probed step itself counts here; its onStep comes after afterUpdate and is skipped
    const seen = this.stepsSeen + 1;
    const clipped = this.stepsClipped + (ctx.clipped ? 1 : 0);
    this.lastProbedStep = ctx.step;
    const probe = c.mode === 'none' ? null : { mode: c.mode, clippedFraction: clipped / seen, normBefore: ctx.gradNormBefore, normAfter: ctx.gradNormAfter };
    this.stepsSeen = 0;
    this.stepsClipped = 0;
    return probe;
  }

  private readonly binCounts: BinCounter = (values, sample, edges, bins) => this.kernels !== null && kernelBinCounts(this.kernels, values, sample, edges, bins);

  private readonly sumSquares = (a: FloatArray): number => (a.length >= KERNEL_MIN ? sumSquares(a, this.kernels) : sumSquares64(a));

  /** Σg² of a parameter's gradient: the global norm's share for it (the same sum) where it has one. */
  private gradSquares(p: Param): number {
    const shared = p.grad.length >= KERNEL_MIN ? this.squaresShared?.get(p) : undefined;
    return shared ?? this.sumSquares(p.grad);
  }

  /**
   * `weightSquares`: Σw² of the main tensor, taken before the step; `batchNorm`: the layer's batch-norm
   * statistics, taken after the backward pass; `outputSums`: the channel sums of an image layer's output,
   * when a fused pass took them already.
   */
  private probeLayer(layer: Layer, { main, bias, histogramSample, traits }: Tracked, weightSquares: number, batchNorm: BatchNormProbe | null, outputSums: Float64Array | null): LayerProbe {
    const spec = layer.spec;
    const out = layer.lastOutput;
    const image = imageLayerStats(layer, main, this.kernels, outputSums);
    const act = image?.output ? { ...image.output, nonFinite: 0 } : out && out.length ? outputStats(out, this.kernels) : null;
    let histogram: number[] | null = null;
    let gradNorm: number | null = null;
    let weightNorm: number | null = null;
    const biasSquares = bias ? this.gradSquares(bias) : 0;
    // a finite sum of squares has no non-finite entry: the bias is counted entry by entry only otherwise
    let nonFinite = (act ? act.nonFinite : 0) + (Number.isFinite(biasSquares) ? 0 : countNonFinite(bias!.grad));
    if (main) {
      histogram = gradientHistogram(main.grad, histogramSample, this.binCounts);
      const m = mainNorms(main.grad, main.value, this.sumSquares, this.gradSquares(main), weightSquares);
      gradNorm = m.gradNorm;
      weightNorm = m.weightNorm;
      nonFinite += m.nonFinite;
    }
    const relu = traits.activation === 'relu' && layer.lastInput;
    const saturating = (traits.activation === 'sigmoid' || traits.activation === 'tanh') && out;
    return {
      index: spec.index,
      name: spec.name,
      position: layer.position,
      kind: spec.kind,
      gradNorm,
      biasGradNorm: bias ? Math.sqrt(biasSquares) : null,
      weightNorm,
      updateRatio: null,
      histogram,
      activationMean: act ? act.mean : null,
      activationStd: act ? act.std : null,
      // on an image a ReLU unit is a channel: a dead filter is never positive at any sample and position
      deadRatio: relu ? (image ? image.deadRatio : deadRatio(spec.kind, layer.lastInput!, layer.inputSize, this.kernels)) : null,
      saturationRatio: saturating ? (image ? image.saturationRatio : saturationRatio(spec.kind, out)) : null,
      batchNorm,
      nonFinite,
      channels: image ? image.channels : null,
    };
  }
}

/** A layer's main tensor and bias, its weight samples (null: all entries) and the sampled weights from before the update. */
interface Tracked {
  main: Param | null;
  bias: Param | null;
  sample: Int32Array | null;
  histogramSample: Int32Array | null;
  before: FloatArray;
  traits: LayerTraits;
}

function track(layer: Layer, kernels: Kernels): Tracked {
  const { main, bias } = mainParams(layer);
  const n = main?.value.length ?? 0;
  const ratioSample = sampleIndices(n, RATIO_SAMPLE);
  const sample = ratioSample && kernelIndexBuffer(kernels, ratioSample);
  const copy = sample ? sample.length : n;
  // the weights' own type: copying a whole float32 tensor is then a plain memory copy, into kernel memory
  // so the update ratio's difference runs in wasm SIMD
  const before = main?.value instanceof Float32Array ? allocKernelBuffer(kernels, 'float32', copy) : new Float64Array(copy);
  const histogramSample = sampleIndices(n, HISTOGRAM_SAMPLE);
  return { main, bias, sample, histogramSample: histogramSample && kernelIndexBuffer(kernels, histogramSample), before, traits: descriptorOf(layer.spec).traits };
}
