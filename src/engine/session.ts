// The headless run shared by the CLI, the worker and the tests: parse -> load data -> build -> train with
// probes -> diagnose. Findings are re-evaluated after every epoch (live) and once more at the end with
// the run summary; static findings (model and data only) are part of every evaluation.
import type { DataFiles, Dataset } from './data/dataset';
import type { ModelSpec } from './spec/model-spec';
import type { EpochMetrics, Finding, ModelSummary, ProbeSnapshot, RunSummary } from './types';
import { InvalidModelError, type SessionCallbacks, type SessionOptions, type SessionResult, type TrainingSessionLike } from './session-api';
import { parseModel } from './spec/parse';
import { loadDataset } from './data/load';
import { Trainer } from './train/trainer';
import { ProbeObserver } from './probes/observer';
import { diagnose } from './diagnosis';
import { VisualSampler } from './visuals/sampler';
import { withPredictedScales } from './diagnosis/scale';
import { HISTORY_CAPACITY, ThinnedList } from '../shared/history';

/**
 * Probe every 10th step (the extension's default too). bench/probe-overhead.ts measures what it costs per
 * bench model: the share is largest on the smallest model, whose step is shortest (bench/PROFILE.md).
 */
export const DEFAULT_PROBE_EVERY = 10;

/** Parses the model text (throwing InvalidModelError) and applies the seed/epochs overrides. */
export function prepareSpec(modelText: string, modelPath: string, options: Pick<SessionOptions, 'seed' | 'epochs'> = {}): ModelSpec {
  const parsed = parseModel(modelText, modelPath);
  if (!parsed.ok) throw new InvalidModelError(modelPath, parsed.issues);
  const spec = parsed.spec;
  return { ...spec, seed: options.seed ?? spec.seed, epochs: options.epochs ?? spec.epochs };
}

/** Validation and static rules only, no training (the CLI's `check`). */
export function checkModel(modelText: string, modelPath: string, files: DataFiles, options: SessionOptions = {}): { spec: ModelSpec; dataset: Dataset; findings: Finding[] } {
  const spec = prepareSpec(modelText, modelPath, options);
  const dataset = loadDataset(spec, files);
  const findings = diagnose({ spec, dataset, probes: [], epochs: [], summary: null }, options.thresholds, ['static']);
  return { spec, dataset, findings };
}

export class TrainingSession implements TrainingSessionLike {
  private trainer: Trainer | null = null;
  private stopRequested = false;
  private pauseRequested = false;

  constructor(
    private readonly modelText: string,
    private readonly modelPath: string,
    private readonly files: DataFiles,
    private readonly options: SessionOptions,
    private readonly callbacks: SessionCallbacks,
  ) {}

  async run(): Promise<SessionResult> {
    const { options, callbacks } = this;
    const spec = prepareSpec(this.modelText, this.modelPath, options);
    const dataset = loadDataset(spec, this.files);
    // bounded as every holder of a run's history bounds it: the rules read the first probes and recent windows
    const probes = new ThinnedList<ProbeSnapshot>(HISTORY_CAPACITY.probes);
    const epochs: EpochMetrics[] = [];
    const probeEvery = options.probeEvery ?? DEFAULT_PROBE_EVERY;
    const observers = probeEvery > 0 ? [new ProbeObserver(probeEvery, (s) => {
      probes.push(s);
      callbacks.onProbe?.(s);
    })] : [];
    const trainer = new Trainer(spec, dataset, { observers, dtype: options.dtype, seed: spec.seed, epochs: spec.epochs, threads: options.threads, yieldEveryMs: options.yieldEveryMs ?? 20 });
    this.trainer = trainer;
    const onVisual = callbacks.onVisual;
    const pictures = options.visuals && onVisual ? new VisualSampler(trainer, options.visuals.everyMs, (v) => onVisual(v), options.visuals.clock) : null;
    let lastStep = { step: 0, epoch: 0 };
    let model: ModelSummary | null = null;
    const evaluate = (summary: RunSummary | null) => diagnose({ spec, dataset, probes: probes.items(), epochs, summary }, options.thresholds);
    trainer.on((event) => {
      switch (event.type) {
        case 'start':
          model = withPredictedScales(event.model, spec, dataset);
          callbacks.onStart?.(model);
          break;
        case 'step':
          callbacks.onStep?.(event.metrics);
          lastStep = event.metrics;
          pictures?.afterStep(event.metrics.step, event.metrics.epoch);
          break;
        case 'epoch':
          epochs.push(event.metrics);
          callbacks.onEpoch?.(event.metrics);
          if (callbacks.onFindings) callbacks.onFindings(evaluate(null));
          break;
        default:
          break;
      }
    });
    if (this.pauseRequested) trainer.pause();
    if (this.stopRequested) trainer.stop();
    const summary = await trainer.run();
    // the final state, whatever the interval: the last picture is the one left on screen
    if (pictures && lastStep.step > 0) pictures.take(lastStep.step, lastStep.epoch);
    const findings = evaluate(summary);
    callbacks.onFindings?.(findings);
    return { summary, findings, model: model ?? withPredictedScales(trainer.summary(), spec, dataset), epochs, probes: probes.items() };
  }

  stop(): void {
    this.stopRequested = true;
    this.trainer?.stop();
  }

  pause(): void {
    this.pauseRequested = true;
    this.trainer?.pause();
  }

  resume(): void {
    this.pauseRequested = false;
    this.trainer?.resume();
  }
}
