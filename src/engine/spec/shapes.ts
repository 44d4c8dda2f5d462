// Checks that need the data's dimensions: every layer's shape against its input (kernels and pools that do
// not fit, groups that do not divide, image layers after flat ones), the output size against the loss, and
// a memory estimate. parseModel runs them when the source's shape is known statically (the
// built-ins); loadDataset runs them again once a file has been read.
import type { JsonPath } from '../types';
import type { LayerRefLike } from './issues';
import type { LayerSpec, ModelSpec } from './model-spec';
import { formatShape, hasWeights, inferShapes, shapeSize, type Shape } from './layer-kinds';

export interface ShapeProblem {
  path: JsonPath;
  what: string;
  layer: LayerRefLike;
}

/** null = not known yet (a file source before loading): the checks that need it are skipped. */
export interface DataDims {
  inputs: number | null;
  /** [C, H, W] for image data; absent: `inputs` flat features. */
  inputShape?: Shape;
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
  const lastWeights = [...spec.layers].reverse().find(hasWeights);
  const at = lastWeights ? { path: [...lastWeights.path, sizeField(lastWeights)], layer: ref(lastWeights) } : { path: ['loss'], layer: null };
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

/** The field that sets a weight layer's output width. */
const sizeField = (l: LayerSpec): string => (l.kind === 'conv2d' ? 'filters' : 'units');

/** Shape and size problems of `spec` for data of the given dimensions. */
export function checkShapes(spec: ModelSpec, dims: DataDims): ShapeProblem[] {
  const problems: ShapeProblem[] = [];
  const inputKnown = dims.inputs !== null || dims.inputShape !== undefined;
  // unknown widths count as 1, so the estimate stays a lower bound; with an unknown input, shapes are
  // known from the first dense layer on (its output does not depend on its input)
  const input: Shape = dims.inputShape ?? [dims.inputs ?? 1];
  const firstDense = spec.layers.findIndex((l) => l.kind === 'dense');
  const checked = inputKnown ? spec.layers : firstDense < 0 ? [] : spec.layers.slice(firstDense);
  const shaped = inferShapes(checked, input);
  if (shaped.problem) {
    const { spec: l, error } = shaped.problem;
    problems.push({ path: error.field ? [...l.path, error.field] : l.path, layer: ref(l), what: error.error });
    return problems;
  }
  let paramCount = 0;
  let activations = shapeSize(input);
  let biggest: { layer: LayerSpec; params: number } | null = null;
  for (const { spec: l, output, params } of shaped.layers) {
    paramCount += params;
    activations += shapeSize(output);
    if (!biggest || params > biggest.params) biggest = { layer: l, params };
  }
  const last = shaped.layers[shaped.layers.length - 1];
  if (last && last.output.length > 1) {
    problems.push({ path: last.spec.path, layer: ref(last.spec), what: `the model ends with an image ${formatShape(last.output)}; add flatten (or globalavgpool) and a dense layer for the outputs` });
    return problems;
  }
  const size = last ? shapeSize(last.output) : null;
  checkOutputs(spec, size, dims, problems);

  // float32 values with their gradient and up to two optimiser moments; per sample in a batch each layer
  // keeps its output, its input gradient and a cache; the data is held as float64.
  const paramBytes = paramCount * 4 * 4;
  const activationBytes = spec.batchSize * activations * 4 * 3;
  const dataBytes = dims.samples * (shapeSize(input) + (dims.outputs ?? 1)) * 8;
  const total = paramBytes + activationBytes + dataBytes;
  if (!(total <= MEMORY_LIMIT_BYTES)) {
    const parts = `parameters ${formatBytes(paramBytes)}, activations ${formatBytes(activationBytes)}, data ${formatBytes(dataBytes)}`;
    const what = `the model needs an estimated ${formatBytes(total)} (${parts}), above the ${formatBytes(MEMORY_LIMIT_BYTES)} limit`;
    const worst = Math.max(paramBytes, activationBytes, dataBytes);
    if (worst === paramBytes && biggest) {
      const path = hasWeights(biggest.layer) ? [...biggest.layer.path, sizeField(biggest.layer)] : biggest.layer.path;
      problems.push({ path, layer: ref(biggest.layer), what });
    } else if (worst === activationBytes) problems.push({ path: ['batchSize'], layer: null, what });
    else problems.push({ path: ['data', 'samples'], layer: null, what });
  }
  return problems;
}

