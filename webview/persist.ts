// Survives hiding and reloading: the store is saved through the webview's getState/setState (JSON, so
// non-finite numbers go through the protocol's encoding) and restored on load. Saving is throttled;
// history is saved at a reduced resolution to keep the state small.
import { decodeNumbers, encodeNumbers } from '../src/shared/protocol';
import type { RunInfo } from '../src/shared/protocol';
import { Series } from './series';
import { newRun, type BatchNormHistory, type PanelStore, type RunData } from './store';

const STATE_VERSION = 1;
const SAVED_POINTS = 400;

type SavedSeries = ReturnType<Series['toJSON']>;
const save = (s: Series): SavedSeries => s.toJSON(SAVED_POINTS);

function runToJSON(run: RunData): unknown {
  return {
    ...run,
    loss: save(run.loss),
    trainAccuracy: save(run.trainAccuracy),
    valLoss: save(run.valLoss),
    valAccuracy: save(run.valAccuracy),
    layers: run.layers.map((l) => ({
      ...l,
      gradNorm: save(l.gradNorm),
      updateRatio: save(l.updateRatio),
      dead: save(l.dead),
      saturation: save(l.saturation),
      batchNorm: l.batchNorm && mapBatchNorm(l.batchNorm, save),
      weightBands: l.weightBands.map(save),
      gradBands: l.gradBands.map(save),
    })),
  };
}

function mapBatchNorm<T, U>(bn: Record<keyof BatchNormHistory, T>, f: (v: T) => U): Record<keyof BatchNormHistory, U> {
  return {
    batchMean: f(bn.batchMean),
    runningMean: f(bn.runningMean),
    batchVar: f(bn.batchVar),
    runningVar: f(bn.runningVar),
    gammaMean: f(bn.gammaMean),
    betaMean: f(bn.betaMean),
  };
}

export function serializeStore(store: PanelStore): unknown {
  return encodeNumbers({
    v: STATE_VERSION,
    current: store.current && runToJSON(store.current),
    previous: store.previous && runToJSON(store.previous),
    failure: store.failure,
  });
}

type Saved = Record<string, unknown>;
const isObj = (v: unknown): v is Saved => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Rebuilds a run from saved state; anything that does not look right is dropped rather than trusted. */
function runFromJSON(v: unknown): RunData | null {
  if (!isObj(v) || !isObj(v.info) || !isObj(v.info.model) || !Array.isArray(v.info.model.layers)) return null;
  const run = newRun(v.info as unknown as RunInfo);
  // The extension re-sends the live state if the run is still going; until then, show the saved one.
  if (typeof v.state === 'string') run.state = v.state as RunData['state'];
  run.stale = v.stale === true;
  run.summary = isObj(v.summary) ? (v.summary as unknown as RunData['summary']) : null;
  run.findings = Array.isArray(v.findings) ? (v.findings as RunData['findings']) : [];
  run.lastStep = isObj(v.lastStep) ? (v.lastStep as unknown as RunData['lastStep']) : null;
  run.lastEpoch = isObj(v.lastEpoch) ? (v.lastEpoch as unknown as RunData['lastEpoch']) : null;
  run.loss = Series.fromJSON(v.loss);
  run.trainAccuracy = Series.fromJSON(v.trainAccuracy);
  run.valLoss = Series.fromJSON(v.valLoss);
  run.valAccuracy = Series.fromJSON(v.valAccuracy);
  run.probes = typeof v.probes === 'number' ? v.probes : 0;
  if (Array.isArray(v.layers)) {
    run.layers = v.layers.filter(isObj).map((l) => ({
      position: Number(l.position),
      index: Number(l.index),
      name: String(l.name),
      kind: String(l.kind),
      gradNorm: Series.fromJSON(l.gradNorm),
      updateRatio: Series.fromJSON(l.updateRatio),
      dead: Series.fromJSON(l.dead),
      saturation: Series.fromJSON(l.saturation),
      batchNorm: isObj(l.batchNorm) ? mapBatchNorm(l.batchNorm as Record<keyof BatchNormHistory, unknown>, (s) => Series.fromJSON(s)) : null,
      latest: isObj(l.latest) ? (l.latest as unknown as RunData['layers'][number]['latest']) : null,
      weightBands: Array.isArray(l.weightBands) ? l.weightBands.map((b) => Series.fromJSON(b)) : [],
      gradBands: Array.isArray(l.gradBands) ? l.gradBands.map((b) => Series.fromJSON(b)) : [],
    }));
  }
  // pictures are plain data; one that does not look like one is dropped
  run.pictures = Array.isArray(v.pictures) ? (v.pictures.filter((p) => isObj(p) && Array.isArray(p.layers)) as unknown as RunData['pictures']) : [];
  return run;
}

export function restoreStore(store: PanelStore, saved: unknown): boolean {
  const data = decodeNumbers(saved);
  if (!isObj(data) || data.v !== STATE_VERSION) return false;
  store.current = runFromJSON(data.current);
  store.previous = runFromJSON(data.previous);
  store.failure = typeof data.failure === 'string' ? data.failure : null;
  store.versions.run++;
  store.versions.findings++;
  store.versions.data++;
  return true;
}
