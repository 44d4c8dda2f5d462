// The probe observer: every `every` steps (and on the first step) it reads each layer's gradients,
// weights and activations and emits a ProbeSnapshot. It only reads live buffers; the one thing it keeps
// is a copy of (a fixed sample of) the weights before the update, to measure the update ratio, in buffers
// allocated once per layer. Tensors above NORM_SAMPLE entries are read over that fixed sample (norms
// scaled up accordingly): a full pass over a large layer's weights costs about as much as the optimiser's
// own pass, which would break the overhead budget (bench/probe-overhead.ts).
import type { TrainingObserver, StepContext } from '../train/observer';
import type { Layer } from '../layers/layer';
import type { ClippingProbe, LayerProbe, ProbeSnapshot } from '../types';
import { HISTOGRAM_SAMPLE, NORM_SAMPLE, gradientHistogram, sampleIndices } from './histogram';
import { batchNormStats, countNonFinite, deadRatio, l2Norm, mainParams, outputStats, readMain, saturationRatio } from './layer-stats';

const DEAD_KINDS = new Set(['relu', 'leaky-relu', 'relu6']);
const SATURATING_KINDS = new Set(['sigmoid', 'tanh']);

export class ProbeObserver implements TrainingObserver {
  private firstStep: number | null = null;
  private tracked: Tracked[] = [];
  private pending: LayerProbe[] = [];
  // clipping counters since the previous snapshot
  private stepsSeen = 0;
  private stepsClipped = 0;
  private lastProbedStep = -1;

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

  afterBackward(ctx: StepContext): void {
    if (this.tracked.length !== ctx.layers.length) this.tracked = ctx.layers.map(track);
    this.pending = ctx.layers.map((layer, i) => this.probeLayer(layer, this.tracked[i]));
  }

  afterUpdate(ctx: StepContext): void {
    ctx.layers.forEach((layer, i) => {
      const probe = this.pending[i];
      const main = mainParams(layer).main;
      if (!probe || !main) return;
      const { sample, before } = this.tracked[i];
      const w = main.value;
      let d = 0;
      let w0 = 0;
      for (let k = 0; k < before.length; k++) {
        const diff = w[sample ? sample[k] : k] - before[k];
        d += diff * diff;
        w0 += before[k] * before[k];
      }
      // on large layers both sums run over the same sample of entries
      probe.updateRatio = w0 > 0 ? Math.sqrt(d / w0) : null;
      // a non-finite weight makes d non-finite: count the weights only then
      if (!Number.isFinite(d)) probe.nonFinite += countNonFinite(w);
    });
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

  private probeLayer(layer: Layer, { sample, histogramSample, before }: Tracked): LayerProbe {
    const spec = layer.spec;
    const { main, bias } = mainParams(layer);
    const out = layer.lastOutput;
    const act = out && out.length ? outputStats(out) : null;
    let histogram: number[] | null = null;
    let gradNorm: number | null = null;
    let weightNorm: number | null = null;
    let nonFinite = (act ? act.nonFinite : 0) + (bias ? countNonFinite(bias.grad) : 0);
    if (main) {
      histogram = gradientHistogram(main.grad, histogramSample);
      const m = readMain(main.grad, main.value, sample, before);
      gradNorm = m.gradNorm;
      weightNorm = m.weightNorm;
      nonFinite += m.nonFinite;
    }
    return {
      index: spec.index,
      name: spec.name,
      position: layer.position,
      kind: spec.kind,
      gradNorm,
      biasGradNorm: bias ? l2Norm(bias.grad) : null,
      weightNorm,
      updateRatio: null,
      histogram,
      activationMean: act ? act.mean : null,
      activationStd: act ? act.std : null,
      deadRatio: DEAD_KINDS.has(spec.kind) && layer.lastInput ? deadRatio(spec.kind, layer.lastInput, layer.inputSize) : null,
      saturationRatio: SATURATING_KINDS.has(spec.kind) && out ? saturationRatio(spec.kind, out) : null,
      batchNorm: spec.kind === 'batchnorm' ? batchNormStats(layer, main, bias) : null,
      nonFinite,
    };
  }
}

/** A layer's weight samples (null: all entries) and the sampled weights from before the update. */
interface Tracked {
  sample: Int32Array | null;
  histogramSample: Int32Array | null;
  before: Float64Array;
}

function track(layer: Layer): Tracked {
  const n = mainParams(layer).main?.value.length ?? 0;
  const sample = sampleIndices(n, NORM_SAMPLE);
  return { sample, histogramSample: sampleIndices(n, HISTOGRAM_SAMPLE), before: new Float64Array(sample ? sample.length : n) };
}
