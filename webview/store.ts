// The panel's state: the current run, the previous run (kept as a faded comparison after a retrain) and
// any failure without a run. Each run keeps its bounded history as the extension does (shared/history.ts)
// and derives its chart series from it, so a replayed history shows exactly what was shown live. Pure
// data, no DOM, so it is tested in Node too. Views compare `version` numbers to redraw only what changed.
import type {
  EpochMetrics,
  Finding,
  FinishedRun,
  PanelRunState,
  ProbeSnapshot,
  ProgressBatch,
  RunInfo,
  RunSummary,
  StepMetrics,
  ToWebview,
  VisualSnapshot,
} from '../src/shared/protocol';
import type { LayerProbe } from '../src/shared/wire-types';
import { RunHistory, type RunHistorySnapshot } from '../src/shared/history';
import { Series } from './series';

export interface BatchNormHistory {
  batchMean: Series;
  runningMean: Series;
  batchVar: Series;
  runningVar: Series;
  gammaMean: Series;
  betaMean: Series;
}

export interface LayerHistory {
  position: number;
  index: number;
  name: string;
  kind: string;
  gradNorm: Series;
  updateRatio: Series;
  dead: Series;
  saturation: Series;
  batchNorm: BatchNormHistory | null;
  /** The latest probe, raw (NaN/Infinity kept) for the table. */
  latest: LayerProbe | null;
  /** Quantile bands of the weights and of their gradient over time, one series per quantile (from pictures). */
  weightBands: Series[];
  gradBands: Series[];
}

export interface RunData {
  info: RunInfo;
  state: PanelRunState;
  stale: boolean;
  summary: RunSummary | null;
  findings: Finding[];
  lastStep: StepMetrics | null;
  lastEpoch: EpochMetrics | null;
  loss: Series;
  trainAccuracy: Series;
  valLoss: Series;
  valAccuracy: Series;
  /** By expanded position, in model order. */
  layers: LayerHistory[];
  /** Probes received in all (some may have been thinned out of the history). */
  probes: number;
  /** The run's first picture and its newest; a new list whenever a picture arrives. */
  pictures: VisualSnapshot[];
  /** What the series above are derived from. */
  history: RunHistory;
}

export interface Versions {
  /** Header, status and controls. */
  run: number;
  findings: number;
  /** Charts and the layer table. */
  data: number;
}

export class PanelStore {
  current: RunData | null = null;
  previous: RunData | null = null;
  /** A failure that belongs to no run (the model could not even start). */
  failure: string | null = null;
  /** The last finished runs of the shown model, for "Compare runs" (a new object whenever they change). */
  finishedRuns: { modelPath: string; runs: FinishedRun[] } | null = null;
  readonly versions: Versions = { run: 0, findings: 0, data: 0 };
  /** The layer (expanded position) picked in the network diagram, the layer table or a chart; null: none. */
  selected: number | null = null;

  select(position: number | null): void {
    if (this.selected === position) return;
    this.selected = position;
    this.versions.data++;
  }

  apply(msg: ToWebview): void {
    switch (msg.type) {
      case 'run-start':
        this.startRun(msg.run);
        return;
      case 'progress':
        if (this.current?.info.runId === msg.runId) this.addBatch(this.current, msg.batch);
        return;
      case 'replay':
        if (this.current?.info.runId === msg.runId) this.replay(this.current, msg.history);
        return;
      case 'run-state':
        if (this.current?.info.runId !== msg.runId) return;
        this.current.state = msg.state;
        this.versions.run++;
        return;
      case 'run-end':
        if (this.current?.info.runId !== msg.runId) return;
        this.current.summary = msg.summary;
        this.current.findings = msg.findings;
        this.current.state = stateAfter(msg.summary);
        this.versions.run++;
        this.versions.findings++;
        this.versions.data++;
        return;
      case 'run-failed':
        if (msg.runId !== null && this.current?.info.runId === msg.runId) this.current.state = 'failed';
        this.failure = msg.message;
        this.versions.run++;
        return;
      case 'finished-runs':
        this.finishedRuns = { modelPath: msg.modelPath, runs: msg.runs };
        this.versions.run++;
        return;
      case 'stale':
        if (this.current?.info.runId !== msg.runId) return;
        this.current.stale = true;
        this.versions.run++;
        this.versions.findings++;
        return;
    }
  }

  private startRun(info: RunInfo): void {
    if (this.current?.info.runId === info.runId) return;
    // Only a run that produced data is worth comparing against.
    if (this.current && this.current.loss.points.length > 0) this.previous = this.current;
    // the finished runs listed for comparison are another model's
    if (this.finishedRuns && this.finishedRuns.modelPath !== info.modelPath) this.finishedRuns = null;
    this.current = newRun(info);
    this.failure = null;
    this.versions.run++;
    this.versions.findings++;
    this.versions.data++;
  }

  private addBatch(run: RunData, batch: ProgressBatch): void {
    const redrawAfter = redrawPoints(run.history);
    run.history.absorb(batch);
    deriveSeries(run, redrawAfter(), batch.epochs);
    if (batch.findings !== null) {
      run.findings = batch.findings;
      this.versions.findings++;
    }
    this.versions.run++;
    this.versions.data++;
  }

  /** Replaces what the run shows by its replayed history (the extension's, or the panel's saved one). */
  private replay(run: RunData, snapshot: RunHistorySnapshot): void {
    run.history = RunHistory.from(snapshot);
    const everything = { steps: -Infinity, probes: -Infinity, pictures: -Infinity };
    deriveSeries(run, everything, run.history.epochs, true);
    run.findings = run.history.findings ?? [];
    this.versions.run++;
    this.versions.findings++;
    this.versions.data++;
  }
}

/** Per thinned list of the history, the step after which the series' points are redrawn. */
type RedrawFrom = Record<'steps' | 'probes' | 'pictures', number>;

/**
 * Call before the history takes a batch; the function it returns, called after, says what to redraw: what
 * follows each list's settled entries (its newest may have been replaced), or all of it when its stride grew.
 */
function redrawPoints(h: RunHistory): () => RedrawFrom {
  const lists = ['steps', 'probes', 'pictures'] as const;
  const before = lists.map((k) => ({ stride: h[k].stride, settled: h[k].settledStep ?? -Infinity }));
  return () => Object.fromEntries(lists.map((k, i) => [k, h[k].stride === before[i]!.stride ? before[i]!.settled : -Infinity])) as RedrawFrom;
}

/** Brings the run's series in line with its history, redrawing each from the step `from` says. */
function deriveSeries(run: RunData, from: RedrawFrom, newEpochs: readonly EpochMetrics[], resetEpochs = false): void {
  const h = run.history;
  const stepsFrom = from.steps;
  run.loss.truncateAfter(stepsFrom);
  for (const s of h.steps.items()) if (s.step > stepsFrom) run.loss.push(s.step, s.loss);
  run.lastStep = h.steps.newest ?? null;

  if (resetEpochs) for (const s of [run.trainAccuracy, run.valLoss, run.valAccuracy]) s.truncateAfter(-Infinity);
  for (const e of newEpochs) {
    if (e.accuracy !== null) run.trainAccuracy.push(e.step, e.accuracy);
    if (e.valLoss !== null) run.valLoss.push(e.step, e.valLoss);
    if (e.valAccuracy !== null) run.valAccuracy.push(e.step, e.valAccuracy);
  }
  run.lastEpoch = h.epochs.at(-1) ?? null;

  const probesFrom = from.probes;
  for (const layer of run.layers) for (const s of probeSeries(layer)) s.truncateAfter(probesFrom);
  for (const p of h.probes.items()) if (p.step > probesFrom) addProbe(run, p);
  run.probes = h.probeCount;

  const picturesFrom = from.pictures;
  for (const layer of run.layers) for (const s of [...layer.weightBands, ...layer.gradBands]) s.truncateAfter(picturesFrom);
  const pictures = h.pictures.items();
  addBands(run, pictures.filter((v) => v.step > picturesFrom));
  const drawn = h.drawnPictures;
  if (drawn.length !== run.pictures.length || drawn.some((v, i) => v !== run.pictures[i])) run.pictures = drawn;
}

function probeSeries(l: LayerHistory): Series[] {
  const bn = l.batchNorm;
  return [l.gradNorm, l.updateRatio, l.dead, l.saturation, ...(bn ? [bn.batchMean, bn.runningMean, bn.batchVar, bn.runningVar, bn.gammaMean, bn.betaMean] : [])];
}

function stateAfter(summary: RunSummary): PanelRunState {
  if (summary.status === 'stopped') return 'stopped';
  if (summary.status === 'failed') return 'failed';
  return 'finished';
}

function newRun(info: RunInfo): RunData {
  return {
    info,
    state: 'running',
    stale: false,
    summary: null,
    findings: [],
    lastStep: null,
    lastEpoch: null,
    loss: new Series(),
    trainAccuracy: new Series(),
    valLoss: new Series(),
    valAccuracy: new Series(),
    layers: info.model.layers.map((l) => newLayer(l.position, l.index, l.name, l.kind)),
    probes: 0,
    pictures: [],
    history: new RunHistory(),
  };
}

function newLayer(position: number, index: number, name: string, kind: string): LayerHistory {
  return {
    position,
    index,
    name,
    kind,
    gradNorm: new Series(),
    updateRatio: new Series(),
    dead: new Series(),
    saturation: new Series(),
    batchNorm: null,
    latest: null,
    weightBands: [],
    gradBands: [],
  };
}

function addBands(run: RunData, pictures: VisualSnapshot[]): void {
  for (const picture of pictures) {
    for (const lp of picture.layers) {
      const layer = run.layers.find((l) => l.position === lp.position);
      if (!layer) continue;
      lp.weightQuantiles?.forEach((q, i) => (layer.weightBands[i] ??= new Series()).push(picture.step, q));
      lp.gradQuantiles?.forEach((q, i) => (layer.gradBands[i] ??= new Series()).push(picture.step, q));
    }
  }
}

function addProbe(run: RunData, probe: ProbeSnapshot): void {
  for (const lp of probe.layers) {
    let layer = run.layers.find((l) => l.position === lp.position);
    if (!layer) {
      layer = newLayer(lp.position, lp.index, lp.name, lp.kind);
      run.layers.push(layer);
      run.layers.sort((a, b) => a.position - b.position);
    }
    layer.latest = lp;
    const x = probe.step;
    if (lp.gradNorm !== null) layer.gradNorm.push(x, lp.gradNorm);
    if (lp.updateRatio !== null) layer.updateRatio.push(x, lp.updateRatio);
    if (lp.deadRatio !== null) layer.dead.push(x, lp.deadRatio);
    if (lp.saturationRatio !== null) layer.saturation.push(x, lp.saturationRatio);
    if (lp.batchNorm) {
      const bn = (layer.batchNorm ??= newBatchNormHistory());
      bn.batchMean.push(x, lp.batchNorm.batchMean);
      bn.runningMean.push(x, lp.batchNorm.runningMean);
      bn.batchVar.push(x, lp.batchNorm.batchVar);
      bn.runningVar.push(x, lp.batchNorm.runningVar);
      bn.gammaMean.push(x, lp.batchNorm.gammaMean);
      bn.betaMean.push(x, lp.batchNorm.betaMean);
    }
  }
}

function newBatchNormHistory(): BatchNormHistory {
  return {
    batchMean: new Series(),
    runningMean: new Series(),
    batchVar: new Series(),
    runningVar: new Series(),
    gammaMean: new Series(),
    betaMean: new Series(),
  };
}
