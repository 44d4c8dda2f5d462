// The probe observer: every `every` steps (and on the first step) it reads each layer's gradients,
// weights and activations and emits a ProbeSnapshot. It only reads live buffers; the one thing it keeps
// is a copy of the weights before the update (to measure the update ratio), in buffers allocated once.
import type { TrainingObserver, StepContext } from '../train/observer';
import type { Layer } from '../layers/layer';
import type { ClippingProbe, LayerProbe, ProbeSnapshot } from '../types';
import { HISTOGRAM_BINS, accumulateHistogram } from './histogram';
import { batchNormStats, countNonFinite, deadRatio, l2Norm, mainParams, meanStd, saturationRatio } from './layer-stats';

const DEAD_KINDS = new Set(['relu', 'leaky-relu', 'relu6']);
const SATURATING_KINDS = new Set(['sigmoid', 'tanh']);

export class ProbeObserver implements TrainingObserver {
  private firstStep: number | null = null;
  private before: Float64Array[] = [];
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
    if (this.before.length !== ctx.layers.length) this.before = ctx.layers.map((l) => new Float64Array(mainParams(l).main?.value.length ?? 0));
    this.pending = ctx.layers.map((layer, i) => this.probeLayer(layer, this.before[i]));
  }

  afterUpdate(ctx: StepContext): void {
    ctx.layers.forEach((layer, i) => {
      const probe = this.pending[i];
      const main = mainParams(layer).main;
      if (!probe || !main || !probe.weightNorm) return;
      const w = main.value;
      const old = this.before[i];
      let d = 0;
      for (let k = 0; k < w.length; k++) d += (w[k] - old[k]) * (w[k] - old[k]);
      probe.updateRatio = Math.sqrt(d) / probe.weightNorm;
      probe.nonFinite += countNonFinite(w);
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

  private probeLayer(layer: Layer, before: Float64Array): LayerProbe {
    const spec = layer.spec;
    const { main, bias } = mainParams(layer);
    const out = layer.lastOutput;
    let histogram: number[] | null = null;
    if (main) {
      histogram = new Array<number>(HISTOGRAM_BINS).fill(0);
      accumulateHistogram(main.grad, histogram);
      before.set(main.value);
    }
    const act = out && out.length ? meanStd(out) : null;
    return {
      index: spec.index,
      name: spec.name,
      position: layer.position,
      kind: spec.kind,
      gradNorm: main ? l2Norm(main.grad) : null,
      biasGradNorm: bias ? l2Norm(bias.grad) : null,
      weightNorm: main ? l2Norm(main.value) : null,
      updateRatio: null,
      histogram,
      activationMean: act ? act.mean : null,
      activationStd: act ? act.std : null,
      deadRatio: DEAD_KINDS.has(spec.kind) && layer.lastInput ? deadRatio(spec.kind, layer.lastInput, layer.inputSize) : null,
      saturationRatio: SATURATING_KINDS.has(spec.kind) && out ? saturationRatio(spec.kind, out) : null,
      batchNorm: spec.kind === 'batchnorm' ? batchNormStats(layer, main, bias) : null,
      nonFinite: countNonFinite(out) + (main ? countNonFinite(main.grad) : 0) + (bias ? countNonFinite(bias.grad) : 0),
    };
  }
}
