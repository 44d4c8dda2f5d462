// Reads just enough of a raw `.nn.json` text to target a fix: the `layers` entries with their resolved
// names (given or default, as the validator names them) and a few top-level values. Works on text that
// the validator may still reject, so a fix can be computed before any training.
import { findNodeAtLocation, getNodeValue, parseTree, type Node } from 'jsonc-parser';
import { traitsOf } from '../spec/layer-kinds';

export interface RawLayer {
  /** Index in the file's `layers` array. */
  index: number;
  /** Given name, or the default `<type>_<n>` counted per type. */
  name: string;
  type: string;
  /** A dense layer's `activation` shorthand, if any. */
  activation: string | null;
  /** The entry as written (comments dropped). */
  value: Record<string, unknown>;
}

export class FixError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FixError';
  }
}

export function parseRoot(text: string): Node {
  const root = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
  if (!root || root.type !== 'object') throw new FixError('the model is not a JSON object');
  return root;
}

export function valueAt(root: Node, path: (string | number)[]): unknown {
  const node = findNodeAtLocation(root, path);
  return node ? getNodeValue(node) : undefined;
}

export function readLayers(root: Node): RawLayer[] {
  const raw = valueAt(root, ['layers']);
  if (!Array.isArray(raw)) throw new FixError('the model has no "layers" array');
  const counts = new Map<string, number>();
  return raw.map((entry: unknown, index) => {
    const value = (entry && typeof entry === 'object' ? entry : {}) as Record<string, unknown>;
    const type = typeof value.type === 'string' ? value.type : 'layer';
    const n = (counts.get(type) ?? 0) + 1;
    counts.set(type, n);
    const name = typeof value.name === 'string' && value.name !== '' ? value.name : `${type}_${n}`;
    const activation = traitsOf(type)?.hasWeights && typeof value.activation === 'string' ? value.activation : null;
    return { index, name, type, activation, value };
  });
}

/** Finds a layer by name; a shorthand activation's name `<dense>/<kind>` resolves to its dense entry. */
export function findLayer(layers: RawLayer[], name: string): RawLayer {
  const direct = layers.find((l) => l.name === name);
  if (direct) return direct;
  const slash = name.lastIndexOf('/');
  if (slash > 0) {
    const dense = layers.find((l) => l.name === name.slice(0, slash) && l.activation === name.slice(slash + 1));
    if (dense) return dense;
  }
  const known = layers.map((l) => l.name).join(', ');
  throw new FixError(`no layer named "${name}" (layers: ${known})`);
}

export const ACTIVATIONS = new Set(['sigmoid', 'tanh', 'relu', 'leaky-relu', 'relu6', 'linear', 'softmax']);

/** A dense or conv2d entry: one with weights, an initialiser and an `activation` shorthand. */
export const holdsWeights = (l: RawLayer): boolean => traitsOf(l.type)?.hasWeights === true;
