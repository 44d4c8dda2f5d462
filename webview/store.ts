// The panel's state: the current run, the previous run (kept as a faded comparison after a retrain) and
// any failure without a run. Pure data, no DOM, so it is tested in Node too. Views compare `version`
// numbers to redraw only what changed.
import type {
  EpochMetrics,
  Finding,
  PanelRunState,
  ProbeSnapshot,
  ProgressBatch,
  RunInfo,
  RunSummary,
  StepMetrics,
  ToWebview,
  VisualSnapshot,
} from '../src/shared/protocol';
import { keepPictures } from '../src/shared/protocol';
import type { LayerProbe } from '../src/shared/wire-types';
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
  probes: number;
  /** The run's first picture and its newest (keepPictures). */
  pictures: VisualSnapshot[];
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
    this.current = newRun(info);
    this.failure = null;
    this.versions.run++;
    this.versions.findings++;
    this.versions.data++;
  }

  private addBatch(run: RunData, batch: ProgressBatch): void {
    for (const s of batch.steps) {
      run.loss.push(s.step, s.loss);
      run.lastStep = s;
    }
    for (const e of batch.epochs) {
      if (e.accuracy !== null) run.trainAccuracy.push(e.step, e.accuracy);
      if (e.valLoss !== null) run.valLoss.push(e.step, e.valLoss);
      if (e.valAccuracy !== null) run.valAccuracy.push(e.step, e.valAccuracy);
      run.lastEpoch = e;
    }
    for (const p of batch.probes) addProbe(run, p);
    if (batch.visuals?.length) addPictures(run, batch.visuals);
    if (batch.findings !== null) {
      run.findings = batch.findings;
      this.versions.findings++;
    }
    this.versions.run++;
    this.versions.data++;
  }
}

function stateAfter(summary: RunSummary): PanelRunState {
  if (summary.status === 'stopped') return 'stopped';
  if (summary.status === 'failed') return 'failed';
  return 'finished';
}

export function newRun(info: RunInfo): RunData {
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

function addPictures(run: RunData, pictures: VisualSnapshot[]): void {
  run.pictures = keepPictures(run.pictures, pictures);
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
  run.probes++;
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
