// Structural facts about a validated model that several rules need.
import type { DenseSpec, LayerSpec, ModelSpec } from '../spec/model-spec';

const NONLINEAR = new Set(['sigmoid', 'tanh', 'relu', 'leaky-relu', 'relu6', 'softmax']);

export const isDense = (l: LayerSpec): l is DenseSpec => l.kind === 'dense';

/** The activation that acts on a dense layer's output before the next dense layer (null: none). */
export function activationAfter(layers: LayerSpec[], position: number): LayerSpec | null {
  for (let i = position + 1; i < layers.length; i++) {
    const l = layers[i];
    if (l.kind === 'dense') return null;
    if (NONLINEAR.has(l.kind) || l.kind === 'linear') return l;
  }
  return null;
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

/** The init that fits the activation after a dense layer: He for the ReLU family, Xavier otherwise. */
export function fittingInit(after: LayerSpec | null): 'he' | 'xavier' {
  return after && (after.kind === 'relu' || after.kind === 'leaky-relu' || after.kind === 'relu6') ? 'he' : 'xavier';
}

/** The file-level name of a layer (a shorthand activation `d/relu` is edited through its dense `d`). */
export function fileName(l: LayerSpec): string {
  return l.kind !== 'dense' && 'shorthand' in l && l.shorthand ? l.name.slice(0, l.name.lastIndexOf('/')) : l.name;
}
