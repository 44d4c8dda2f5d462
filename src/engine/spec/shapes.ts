// Checks that need the data's dimensions: the output size against the loss, groupnorm groups against the
// features, and a memory estimate. parseModel runs them when the source's shape is known statically (the
// built-ins); loadDataset runs them again once a file has been read.
import type { JsonPath } from '../types';
import type { LayerRefLike } from './issues';
import type { LayerSpec, ModelSpec } from './model-spec';

export interface ShapeProblem {
  path: JsonPath;
  what: string;
  layer: LayerRefLike;
}

/** null = not known yet (a file source before loading): the checks that need it are skipped. */
export interface DataDims {
  inputs: number | null;
  /** Classification: classes; regression: target columns. */
  outputs: number | null;
  /** Samples held in memory (0 if not known yet). */
  samples: number;
}

/** Parameters + activations + data above this are refused (the engine runs inside the editor). */
const MEMORY_LIMIT_BYTES = 1024 ** 3;

const ref = (l: LayerSpec): LayerRefLike => ({ index: l.index, name: l.name });

function formatBytes(b: number): string {
  if (!Number.isFinite(b)) return 'an unbounded amount of memory';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  while (b >= 1024 && i < units.length - 1) {
    b /= 1024;
    i++;
  }
  return `${b < 10 && i > 0 ? b.toFixed(1) : Math.round(b)} ${units[i]}`;
}

/** Output-size rules: the last layer's width must be what the loss expects for this data. */
function checkOutputs(spec: ModelSpec, outSize: number | null, dims: DataDims, problems: ShapeProblem[]): void {
  if (outSize === null) return;
  const lastDense = [...spec.layers].reverse().find((l) => l.kind === 'dense');
  const at = lastDense ? { path: [...lastDense.path, 'units'], layer: ref(lastDense) } : { path: ['loss'], layer: null };
  // classification: the class count; regression: the target column count
  const { task, classes } = { task: spec.data.task, classes: dims.outputs };
  const outputs = (n: number) => `${n} output unit${n === 1 ? '' : 's'}`;
  if (spec.loss === 'softmax-cross-entropy') {
    if (classes !== null && outSize !== classes) problems.push({ ...at, what: `softmax-cross-entropy over ${classes} classes needs ${outputs(classes)}, got ${outSize}` });
  } else if (spec.loss === 'binary-cross-entropy') {
    if (task === 'classification' && classes !== null && classes !== 2) {
      problems.push({ path: ['loss'], layer: null, what: `binary-cross-entropy needs 2 classes, the data has ${classes}; use softmax-cross-entropy` });
    } else if (outSize !== 1) problems.push({ ...at, what: `binary-cross-entropy needs ${outputs(1)} (the probability of class 1), got ${outSize}` });
  } else if (classes === null) {
    return;
  } else if (task === 'regression') {
    if (outSize !== classes) problems.push({ ...at, what: `mse on ${classes} target column${classes === 1 ? '' : 's'} needs ${outputs(classes)}, got ${outSize}` });
  } else if (outSize !== classes && !(classes === 2 && outSize === 1)) {
    // one-hot targets, or a single 0/1 column for two classes
    problems.push({ ...at, what: `mse on ${classes} classes needs ${outputs(classes)} (one-hot targets)${classes === 2 ? ' or 1' : ''}, got ${outSize}` });
  }
}

/** Shape and size problems of `spec` for data of the given dimensions. */
export function checkShapes(spec: ModelSpec, dims: DataDims): ShapeProblem[] {
  const problems: ShapeProblem[] = [];
  let size = dims.inputs;
  let paramCount = 0;
  // unknown widths count as 1, so the estimate stays a lower bound
  let activations = dims.inputs ?? 1;
  let biggest: { layer: LayerSpec; params: number } | null = null;
  for (const l of spec.layers) {
    let params = 0;
    if (l.kind === 'dense') {
      params = (size ?? 1) * l.units + (l.useBias ? l.units : 0);
      size = l.units;
    } else if (l.kind === 'batchnorm' || l.kind === 'layernorm') {
      params = 2 * (size ?? 1);
    } else if (l.kind === 'groupnorm') {
      params = 2 * (size ?? 1);
      if (size !== null && size % l.groups !== 0) {
        problems.push({ path: [...l.path, 'groups'], layer: ref(l), what: `${l.groups} groups do not divide the ${size} features reaching this layer` });
      }
    }
    paramCount += params;
    activations += size ?? 1;
    if (!biggest || params > biggest.params) biggest = { layer: l, params };
  }
  checkOutputs(spec, size, dims, problems);

  // float32 values with their gradient and up to two optimiser moments; per sample in a batch each layer
  // keeps its output, its input gradient and a cache; the data is held as float64.
  const paramBytes = paramCount * 4 * 4;
  const activationBytes = spec.batchSize * activations * 4 * 3;
  const dataBytes = dims.samples * ((dims.inputs ?? 1) + (dims.outputs ?? 1)) * 8;
  const total = paramBytes + activationBytes + dataBytes;
  if (!(total <= MEMORY_LIMIT_BYTES)) {
    const parts = `parameters ${formatBytes(paramBytes)}, activations ${formatBytes(activationBytes)}, data ${formatBytes(dataBytes)}`;
    const what = `the model needs an estimated ${formatBytes(total)} (${parts}), above the ${formatBytes(MEMORY_LIMIT_BYTES)} limit`;
    const worst = Math.max(paramBytes, activationBytes, dataBytes);
    if (worst === paramBytes && biggest) {
      const path = biggest.layer.kind === 'dense' ? [...biggest.layer.path, 'units'] : biggest.layer.path;
      problems.push({ path, layer: ref(biggest.layer), what });
    } else if (worst === activationBytes) problems.push({ path: ['batchSize'], layer: null, what });
    else problems.push({ path: ['data', 'samples'], layer: null, what });
  }
  return problems;
}
