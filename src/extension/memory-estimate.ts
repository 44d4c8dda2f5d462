// A conservative estimate of what a run will allocate, checked before the worker starts. The engine keeps
// its tensors in typed arrays, which live outside the V8 heap that `resourceLimits` caps, so a huge model
// must be refused here, with a message that says why, rather than discovered by the operating system.
import type { ModelSpec } from '../engine/spec/model-spec';
import { BUILTIN_SOURCES } from '../engine/data/sources';
import { inferShapes, shapeSize, type Shape } from '../engine/spec/layer-kinds';

const BYTES = 8; // float64 worst case
/** Copies of each parameter: value, gradient, two optimiser moments, early-stopping snapshot, probe copy. */
const PARAM_COPIES = 6;
/** Per activation: forward output, backward gradient, cached pre-activation/mask. */
const ACTIVATION_COPIES = 3;

/** The start of a data file and its full size: enough to estimate its width and row count without reading it all. */
export interface DataPreview {
  head: string;
  bytes: number;
}

function inputShape(spec: ModelSpec, files: Record<string, DataPreview>): Shape {
  if (spec.data.inputShape) return spec.data.inputShape;
  return [inputWidth(spec, files)];
}

function inputWidth(spec: ModelSpec, files: Record<string, DataPreview>): number {
  if (!spec.data.isFile) return BUILTIN_SOURCES[spec.data.source]?.inputs ?? 2;
  const file = files[spec.data.source];
  if (/\.csv$/i.test(spec.data.source)) return Math.max(1, (file?.head.split(/\r?\n/, 1)[0] ?? '').split(',').length - 1);
  return Math.max(1, Math.round((file?.bytes ?? 0) / 16));
}

/** Rows kept: the file's lines (extrapolated from its head), capped by `samples` (CSV rows are sampled as they stream). */
function sampleCount(spec: ModelSpec, files: Record<string, DataPreview>): number {
  if (!spec.data.isFile) return spec.data.samples;
  const file = files[spec.data.source];
  const headLines = file ? file.head.split(/\r?\n/).length : 1;
  const lines = file && file.head.length > 0 ? Math.ceil((headLines * file.bytes) / file.head.length) : 1;
  return Math.max(1, spec.data.samples > 0 ? Math.min(lines, spec.data.samples) : lines);
}

export function estimateRunBytes(spec: ModelSpec, files: Record<string, DataPreview>): number {
  const samples = sampleCount(spec, files);
  const input = inputShape(spec, files);
  // a model whose shapes do not fit is refused by the validator; what fits up to there still counts
  const shaped = inferShapes(spec.layers, input).layers;
  const params = shaped.reduce((s, l) => s + l.params, 0);
  const activations = shaped.reduce((s, l) => s + shapeSize(l.output), shapeSize(input));
  const dataBytes = samples * (shapeSize(input) + 1) * BYTES * 2; // raw + preprocessed
  return params * PARAM_COPIES * BYTES + spec.batchSize * activations * ACTIVATION_COPIES * BYTES + dataBytes;
}

export const formatMb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(bytes < 2 ** 20 ? 2 : 0)} MB`;
