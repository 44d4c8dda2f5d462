// Turns structurally valid plain values into a ModelSpec: defaults filled from fields.ts, dense `activation`
// shorthands expanded, default names given. Runs only when check.ts found no errors.
import { BUILTIN_SOURCES, isFileSource, type BuiltinSource } from '../data/sources';
import {
  DATA_FIELD, LAYER_FIELD, MODEL_FIELD, OPTIMIZER_FIELD, RELU_FAMILY, SCHEDULE_FIELD, SMALL_GAUSSIAN_STD_DEFAULT,
  type Field, type ObjectField, type TaggedField,
} from './fields';
import type { Plain } from './check';
import type {
  ActivationKind, ClippingSpec, DataSpec, InitKind, InitSpec, LayerSpec, LossKind, ModelSpec, OptimizerSpec, Preprocess, ScheduleSpec, TargetScaling, Task,
} from './model-spec';

/** The given name, else the kind and its 1-based count among all layers of that kind (stable when others are renamed). */
export function layerNames(layers: readonly { type: string | null; name: string | null }[]): string[] {
  const counts = new Map<string, number>();
  return layers.map(({ type, name }) => {
    const kind = type ?? 'layer';
    const n = (counts.get(kind) ?? 0) + 1;
    counts.set(kind, n);
    return name ?? `${kind}_${n}`;
  });
}

/** `plain` with every missing property that has a default in `field` filled in. */
function withDefaults(field: ObjectField, plain: Plain | undefined): Plain {
  const out: Plain = { ...(plain ?? {}) };
  for (const [key, sub] of Object.entries(field.properties)) {
    const def = defaultOf(sub);
    if (out[key] === undefined && def !== undefined) out[key] = def;
  }
  return out;
}

function defaultOf(field: Field): unknown {
  return field.kind === 'number' || field.kind === 'string' || field.kind === 'boolean' || field.kind === 'tagged' ? field.default : undefined;
}

const INIT_FIELD = LAYER_FIELD.variants.dense.properties.init as TaggedField;
/** leaky-relu's default slope, also given to every other activation layer (which ignores it). */
const LEAKY_ALPHA = withDefaults(LAYER_FIELD.variants['leaky-relu'], {}).alpha as number;

function initSpec(plain: Plain): InitSpec {
  return { type: plain.type as InitKind, value: (plain.value as number | undefined) ?? 0, std: (plain.std as number | undefined) ?? SMALL_GAUSSIAN_STD_DEFAULT };
}

/** Activation that follows layer `i` (through dropout and normalisation layers), if any. */
function nextActivation(layers: Plain[], i: number): string | null {
  if (typeof layers[i].activation === 'string') return layers[i].activation as string;
  for (let j = i + 1; j < layers.length; j++) {
    const t = layers[j].type as string;
    if (t === 'dense') return null;
    if (t in LAYER_FIELD.variants && !['dropout', 'batchnorm', 'layernorm', 'groupnorm'].includes(t)) return t;
  }
  return null;
}

function buildLayers(layers: Plain[], names: string[]): LayerSpec[] {
  const out: LayerSpec[] = [];
  layers.forEach((raw, index) => {
    const kind = raw.type as string;
    const p = withDefaults(LAYER_FIELD.variants[kind], raw);
    const base = { index, name: names[index], path: ['layers', index] };
    switch (kind) {
      case 'dense': {
        const defaultInit = RELU_FAMILY.includes(nextActivation(layers, index) ?? '') ? 'he' : 'xavier';
        out.push({
          ...base,
          kind: 'dense',
          units: p.units as number,
          init: initSpec(tagged(INIT_FIELD, p.init ?? defaultInit)),
          biasInit: initSpec(tagged(INIT_FIELD, p.biasInit)),
          useBias: p.useBias as boolean,
          l1: (p.l1 as number | undefined) ?? null,
          l2: (p.l2 as number | undefined) ?? null,
        });
        if (typeof p.activation === 'string') {
          const act = p.activation as ActivationKind;
          out.push({ index, name: `${names[index]}/${act}`, path: ['layers', index, 'activation'], kind: act, alpha: LEAKY_ALPHA, shorthand: true });
        }
        return;
      }
      case 'dropout':
        out.push({ ...base, kind, rate: p.rate as number });
        return;
      case 'batchnorm':
        out.push({ ...base, kind, momentum: p.momentum as number, epsilon: p.epsilon as number });
        return;
      case 'layernorm':
        out.push({ ...base, kind, epsilon: p.epsilon as number });
        return;
      case 'groupnorm':
        out.push({ ...base, kind, groups: p.groups as number, epsilon: p.epsilon as number });
        return;
      default:
        out.push({
          ...base,
          kind: kind as ActivationKind,
          alpha: (p.alpha as number | undefined) ?? LEAKY_ALPHA,
          shorthand: false,
        });
    }
  });
  return out;
}

/** A tagged value (a bare variant name or an object with `type`) with its variant's defaults filled. */
function tagged(field: { variants: Record<string, ObjectField> }, value: unknown): Plain {
  const plain = typeof value === 'string' ? { type: value } : (value as Plain);
  return { ...withDefaults(field.variants[plain.type as string], plain), type: plain.type };
}

function buildData(raw: Plain, loss: LossKind): DataSpec {
  const p = withDefaults(DATA_FIELD, raw);
  const source = p.source as string;
  const isFile = isFileSource(source);
  const builtin = isFile ? null : BUILTIN_SOURCES[source];
  const task: Task = builtin ? builtin.task : ((p.task as Task | undefined) ?? (loss === 'mse' ? 'regression' : 'classification'));
  let classes = 0;
  if (builtin && task === 'classification') classes = builtin.fixedClasses ?? (p.classes as number | undefined) ?? builtin.defaultClasses;
  return {
    source,
    isFile,
    target: isFile ? ((p.target as string | undefined) ?? 'target') : null,
    task,
    samples: sampleCount(p.samples as number | undefined, builtin),
    classes,
    noise: (p.noise as number | undefined) ?? builtin?.defaultNoise ?? 0,
    validationSplit: p.validationSplit as number,
    preprocess: p.preprocess as Preprocess,
    targetScaling: p.targetScaling as TargetScaling,
  };
}

/** Generators: as given or the default. Real datasets: the rows used (capped by their size). Files: 0 until loaded, unless capped. */
function sampleCount(given: number | undefined, builtin: BuiltinSource | null): number {
  if (!builtin) return given ?? 0;
  if (builtin.kind === 'dataset') return Math.min(given ?? builtin.defaultSamples, builtin.defaultSamples);
  return given ?? builtin.defaultSamples;
}

function modelNameFromFile(file: string): string {
  const base = file.split(/[\\/]/).pop() ?? file;
  return base.replace(/(\.nn)?\.jsonc?$/i, '') || 'model';
}

/** Builds the spec from a structurally valid model object (`root`) and its layer names. */
export function buildSpec(root: Plain, names: string[], file: string): ModelSpec {
  const p = withDefaults(MODEL_FIELD, root);
  const loss = p.loss as LossKind;
  const clip = p.clipping as Plain | undefined;
  let clipping: ClippingSpec = { mode: 'none' };
  if (clip?.norm !== undefined) clipping = { mode: 'norm', norm: clip.norm as number };
  else if (clip?.value !== undefined) clipping = { mode: 'value', value: clip.value as number };
  const optimizer = tagged(OPTIMIZER_FIELD, p.optimizer);
  const schedule = tagged(SCHEDULE_FIELD, p.schedule);
  const reg = withDefaults(MODEL_FIELD.properties.regularization as ObjectField, p.regularization as Plain | undefined);
  return {
    name: (p.name as string | undefined) ?? modelNameFromFile(file),
    seed: p.seed as number,
    data: buildData(p.data as Plain, loss),
    layers: buildLayers(p.layers as Plain[], names),
    loss,
    optimizer: optimizer as unknown as OptimizerSpec,
    schedule: schedule as unknown as ScheduleSpec,
    regularization: { l1: reg.l1 as number, l2: reg.l2 as number },
    clipping,
    epochs: p.epochs as number,
    batchSize: p.batchSize as number,
    earlyStopping: p.earlyStopping
      ? (withDefaults(MODEL_FIELD.properties.earlyStopping as ObjectField, p.earlyStopping as Plain) as ModelSpec['earlyStopping'])
      : null,
  };
}
