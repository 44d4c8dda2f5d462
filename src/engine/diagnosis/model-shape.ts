// Structural facts about a validated model that several rules need, read from the layer registry's traits
// (spec/layer-kinds.ts), so rules ask "is this a ReLU-family activation" or "does this layer hold weights"
// instead of testing kinds themselves. "Dense" below means any weight layer: dense or conv2d.
import type { Conv2dSpec, DenseSpec, LayerSpec, ModelSpec } from '../spec/model-spec';
import type { Dataset } from '../data/dataset';
import { descriptorOf, hasWeights, inferShapes } from '../spec/layer-kinds';

export type WeightSpec = DenseSpec | Conv2dSpec;
const traits = (l: LayerSpec) => descriptorOf(l).traits;

export const isDense = (l: LayerSpec): l is WeightSpec => hasWeights(l);
export const isReluFamily = (l: LayerSpec | null): boolean => !!l && traits(l).activation === 'relu';
export const isSaturating = (l: LayerSpec | null): boolean => !!l && (traits(l).activation === 'sigmoid' || traits(l).activation === 'tanh');
export const isNormalization = (l: LayerSpec | null): boolean => !!l && traits(l).normalization !== null;
/** Activations that bend the map; `linear` is the identity. */
const isNonlinear = (l: LayerSpec): boolean => traits(l).activation !== null && traits(l).activation !== 'linear';
/** Units of a weight layer: a dense layer's units, a conv layer's filters (channels out). */
export const unitsOf = (l: WeightSpec): number => (l.kind === 'dense' ? l.units : l.filters);

/** The non-linear activation that acts on a dense layer's output before the next dense layer (null: none). */
export function activationAfter(layers: LayerSpec[], position: number): LayerSpec | null {
  for (let i = position + 1; i < layers.length; i++) {
    const l = layers[i];
    if (isDense(l)) return null;
    if (isNonlinear(l)) return l;
  }
  return null;
}

/** A normalisation layer between a dense layer and the next dense layer (it resets the signal's scale). */
export function normalizedAfter(layers: LayerSpec[], position: number): boolean {
  for (let i = position + 1; i < layers.length && !isDense(layers[i]); i++) if (isNormalization(layers[i])) return true;
  return false;
}

/** Dense layers that feed another dense layer (the hidden ones). */
export function hiddenDense(spec: ModelSpec): { layer: WeightSpec; position: number }[] {
  const out: { layer: WeightSpec; position: number }[] = [];
  spec.layers.forEach((l, position) => {
    if (isDense(l) && spec.layers.slice(position + 1).some(isDense)) out.push({ layer: l, position });
  });
  return out;
}

/** Names of the dense layers, comma-joined, as multi-layer fix ids take them. */
export function denseNames(spec: ModelSpec, filter: (l: WeightSpec, position: number) => boolean = () => true): string {
  return spec.layers
    .map((l, position) => (isDense(l) && filter(l, position) ? l.name : null))
    .filter((n): n is string => n !== null)
    .join(',');
}

export type FittingInit = 'he' | 'xavier' | 'lecun';

/**
 * The init that fits the activation after a dense layer: He for the ReLU family, Xavier otherwise, except
 * for a layer that fans out far wider than its inputs, where Xavier's fan-out term would shrink the signal
 * it passes on and LeCun's 1/fan-in keeps it at unit scale.
 */
export function fittingInit(after: LayerSpec | null, fans?: { in: number; out: number }): FittingInit {
  if (isReluFamily(after)) return 'he';
  return fans && fans.out > 4 * fans.in ? 'lecun' : 'xavier';
}

/** The shape the data hands the first layer ([features], or [C, H, W] for images). */
export const inputShapeOf = (ds: Dataset | null): readonly number[] => ds?.inputShape ?? [ds?.inputs ?? 0];

/**
 * Each weight layer's fans, by engine position, from the registry (a conv layer's fan-in is C·kh·kw). A
 * model whose shapes do not fit has fans only up to the layer that does not.
 */
export function fans(spec: ModelSpec, ds: Dataset | null): Map<number, { in: number; out: number }> {
  const out = new Map<number, { in: number; out: number }>();
  inferShapes(spec.layers, inputShapeOf(ds)).layers.forEach((shaped, position) => {
    const f = descriptorOf(shaped.spec).fans(shaped.spec, shaped.input);
    if (f) out.set(position, { in: f.fanIn, out: f.fanOut });
  });
  return out;
}

/**
 * Each layer's input shape by engine position (`[features]` or `[C, H, W]`), from the registry. A model
 * whose shapes do not fit has entries only up to the layer that does not.
 */
export function inputShapes(spec: ModelSpec, ds: Dataset | null): Map<number, readonly number[]> {
  return new Map(inferShapes(spec.layers, inputShapeOf(ds)).layers.map((shaped, position) => [position, shaped.input]));
}

/** Values per sample that each per-channel statistic covers: H·W on an image (batch norm after a conv averages over N·H·W), else 1. */
export const positionsPerChannel = (input: readonly number[] | undefined): number => (input?.length === 3 ? input[1] * input[2] : 1);

/** The model with every weight layer initialised as it should be (fitting weights, zero biases). */
export function withFittingInits(spec: ModelSpec, ds: Dataset | null): ModelSpec {
  const fanOf = fans(spec, ds);
  const layers = spec.layers.map((l, position) =>
    isDense(l) ? { ...l, init: { ...l.init, type: fittingInit(activationAfter(spec.layers, position), fanOf.get(position)) }, biasInit: { ...l.biasInit, type: 'zeros' as const } } : l,
  );
  return { ...spec, layers };
}

/** The dense layer whose output feeds a given engine position (itself when it is dense). */
export function denseBefore(spec: ModelSpec, position: number): WeightSpec | null {
  for (let i = position; i >= 0; i--) {
    const l = spec.layers[i];
    if (l && isDense(l)) return l;
  }
  return null;
}

/** Hidden dense layers and the width of the narrowest, for ranking fixes that suit deep narrow stacks. */
export function stackShape(spec: ModelSpec): { depth: number; minWidth: number } {
  const hidden = hiddenDense(spec);
  return { depth: hidden.length, minWidth: hidden.length ? Math.min(...hidden.map((h) => unitsOf(h.layer))) : 0 };
}

/** The file-level name of a layer (a shorthand activation `d/relu` is edited through its dense `d`). */
export function fileName(l: LayerSpec): string {
  return !isDense(l) && 'shorthand' in l && l.shorthand ? l.name.slice(0, l.name.lastIndexOf('/')) : l.name;
}
