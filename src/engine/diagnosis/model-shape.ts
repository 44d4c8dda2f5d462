// Structural facts about a validated model that several rules need. Layer-kind knowledge lives here, so
// rules ask "is this a ReLU-family activation" instead of testing kinds themselves.
import type { DenseSpec, LayerSpec, ModelSpec } from '../spec/model-spec';

/** Activations that bend the map; `linear` is the identity and `softmax` only normalises the output. */
const NONLINEAR = new Set(['sigmoid', 'tanh', 'relu', 'leaky-relu', 'relu6', 'softmax']);
const RELU_FAMILY = new Set(['relu', 'leaky-relu', 'relu6']);
const SATURATING = new Set(['sigmoid', 'tanh']);
const NORMALIZATION = new Set(['batchnorm', 'layernorm', 'groupnorm']);

export const isDense = (l: LayerSpec): l is DenseSpec => l.kind === 'dense';
export const isReluFamily = (l: LayerSpec | null): boolean => !!l && RELU_FAMILY.has(l.kind);
export const isSaturating = (l: LayerSpec | null): boolean => !!l && SATURATING.has(l.kind);
export const isNormalization = (l: LayerSpec | null): boolean => !!l && NORMALIZATION.has(l.kind);

/** The non-linear activation that acts on a dense layer's output before the next dense layer (null: none). */
export function activationAfter(layers: LayerSpec[], position: number): LayerSpec | null {
  for (let i = position + 1; i < layers.length; i++) {
    const l = layers[i];
    if (l.kind === 'dense') return null;
    if (NONLINEAR.has(l.kind)) return l;
  }
  return null;
}

/** A normalisation layer between a dense layer and the next dense layer (it resets the signal's scale). */
export function normalizedAfter(layers: LayerSpec[], position: number): boolean {
  for (let i = position + 1; i < layers.length && layers[i].kind !== 'dense'; i++) if (isNormalization(layers[i])) return true;
  return false;
}

/** Dense layers that feed another dense layer (the hidden ones). */
export function hiddenDense(spec: ModelSpec): { layer: DenseSpec; position: number }[] {
  const out: { layer: DenseSpec; position: number }[] = [];
  spec.layers.forEach((l, position) => {
    if (isDense(l) && spec.layers.slice(position + 1).some(isDense)) out.push({ layer: l, position });
  });
  return out;
}

/** Names of the dense layers, comma-joined, as multi-layer fix ids take them. */
export function denseNames(spec: ModelSpec, filter: (l: DenseSpec, position: number) => boolean = () => true): string {
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

/** Each dense layer's fan-in, by engine position (the data's width feeds the first). */
export function fanIns(spec: ModelSpec, inputs: number): Map<number, number> {
  const out = new Map<number, number>();
  let width = inputs;
  spec.layers.forEach((l, position) => {
    if (!isDense(l)) return;
    out.set(position, width);
    width = l.units;
  });
  return out;
}

/** The model with every dense layer initialised as it should be (fitting weights, zero biases). */
export function withFittingInits(spec: ModelSpec, inputs: number): ModelSpec {
  const fans = fanIns(spec, inputs);
  const layers = spec.layers.map((l, position) =>
    isDense(l) ? { ...l, init: { ...l.init, type: fittingInit(activationAfter(spec.layers, position), { in: fans.get(position) ?? 0, out: l.units }) }, biasInit: { ...l.biasInit, type: 'zeros' as const } } : l,
  );
  return { ...spec, layers };
}

/** The dense layer whose output feeds a given engine position (itself when it is dense). */
export function denseBefore(spec: ModelSpec, position: number): DenseSpec | null {
  for (let i = position; i >= 0; i--) {
    const l = spec.layers[i];
    if (l && isDense(l)) return l;
  }
  return null;
}

/** Hidden dense layers and the width of the narrowest, for ranking fixes that suit deep narrow stacks. */
export function stackShape(spec: ModelSpec): { depth: number; minWidth: number } {
  const hidden = hiddenDense(spec);
  return { depth: hidden.length, minWidth: hidden.length ? Math.min(...hidden.map((h) => h.layer.units)) : 0 };
}

/** The file-level name of a layer (a shorthand activation `d/relu` is edited through its dense `d`). */
export function fileName(l: LayerSpec): string {
  return l.kind !== 'dense' && 'shorthand' in l && l.shorthand ? l.name.slice(0, l.name.lastIndexOf('/')) : l.name;
}
