// Turns structurally valid plain values into a ModelSpec: defaults filled from fields.ts, each layer built by
// its kind's descriptor (layer-kinds.ts, which expands `activation` shorthands), default names given. Runs only when check.ts found no errors.
import { BUILTIN_SOURCES, isFileSource, type BuiltinSource } from '../data/sources';
import { DATA_FIELD, MODEL_FIELD, OPTIMIZER_FIELD, SCHEDULE_FIELD, type ObjectField } from './fields';
import { tagged, withDefaults } from './field-kit';
import { LAYER_KINDS, layerDefaults, nextActivation } from './layer-kinds';
import type { Plain } from './check';
import type { ClippingSpec, DataSpec, LayerKind, LayerSpec, LossKind, ModelSpec, OptimizerSpec, Preprocess, ScheduleSpec, TargetScaling, Task } from './model-spec';

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

function buildLayers(layers: Plain[], names: string[]): LayerSpec[] {
  return layers.flatMap((raw, index) => {
    const kind = raw.type as LayerKind;
    const base = { index, name: names[index], path: ['layers', index] };
    return LAYER_KINDS[kind].toSpecs(layerDefaults(kind, raw), base, nextActivation(layers, index));
  });
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
    ...inputShape(p.inputShape as number[] | undefined, builtin),
  };
}

/** A file's given image shape, or a built-in's; none for flat features. */
function inputShape(given: number[] | undefined, builtin: BuiltinSource | null): Pick<DataSpec, 'inputShape'> {
  const shape = builtin ? builtin.shape : given;
  return shape ? { inputShape: [...shape] } : {};
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
