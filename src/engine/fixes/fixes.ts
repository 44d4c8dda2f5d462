// Fixes as edits of the model text. A fix id is self-contained ("clip-norm:5", "reinit:dense_1:he", ...):
// everything needed to apply it is in the id and the text, so the CLI, the extension's quick-fixes and the
// panel share one implementation. Edits come from jsonc-parser, so comments and formatting survive.
import type { Edit } from 'jsonc-parser';
import { insertElement, setValue } from './text-edit';
import { ACTIVATIONS, FixError, findLayer, holdsWeights, parseRoot, readLayers, valueAt, type RawLayer } from './model-text';

export type TextEdit = Edit;

interface FixDef {
  /** Human title for an id with these arguments. */
  title(args: string[]): string;
  /** Sequential changes, each applied to the text the previous one produced. */
  apply(text: string, args: string[], edit: Editor): string;
}

/** Sets (`undefined` removes) the value at a path, or with `insert` inserts an array element there. */
type Editor = (text: string, path: (string | number)[], value: unknown, insert?: boolean) => string;

const INITS = new Set(['he', 'he-uniform', 'xavier', 'xavier-uniform', 'lecun']);
const LOSSES = new Set(['mse', 'binary-cross-entropy', 'softmax-cross-entropy']);

function positive(arg: string | undefined, what: string): number {
  const v = Number(arg);
  if (arg === undefined || arg === '' || !Number.isFinite(v) || v <= 0) throw new FixError(`${what} must be a positive number, got "${arg ?? ''}"`);
  return v;
}

function rate(arg: string | undefined): number {
  const v = Number(arg);
  if (arg === undefined || !Number.isFinite(v) || v < 0 || v >= 1) throw new FixError(`dropout rate must be in [0, 1), got "${arg ?? ''}"`);
  return v;
}

function layerArg(text: string, name: string | undefined): { layers: RawLayer[]; layer: RawLayer } {
  if (!name) throw new FixError('this fix needs a layer name');
  const layers = readLayers(parseRoot(text));
  return { layers, layer: findLayer(layers, name) };
}

/** Applies a one-layer fix to each name of a comma list, in order, on the text the previous one produced. */
function eachName(text: string, names: string | undefined, one: (t: string, name: string) => string): string {
  if (!names) throw new FixError('this fix needs a layer name');
  for (const name of names.split(',')) text = one(text, name);
  return text;
}

/** The dense layer a layer belongs to: itself, or the nearest dense entry before it. */
function denseFor(layers: RawLayer[], layer: RawLayer): RawLayer {
  for (let i = layer.index; i >= 0; i--) if (holdsWeights(layers[i])) return layers[i];
  throw new FixError(`layer "${layer.name}" has no dense layer before it`);
}

function isHiddenActivation(layers: RawLayer[], l: RawLayer, kinds: Set<string>): boolean {
  const kind = l.activation ?? l.type;
  if (!kinds.has(kind)) return false;
  return layers.some((o) => o.index > l.index && holdsWeights(o));
}

/** Swaps an activation (standalone entry or dense shorthand) for another kind. */
function setActivation(text: string, layer: RawLayer, kind: string, edit: Editor): string {
  if (layer.activation) return edit(text, ['layers', layer.index, 'activation'], kind);
  text = edit(text, ['layers', layer.index, 'type'], kind);
  // an alpha only means something for leaky-relu
  if (kind !== 'leaky-relu' && 'alpha' in layer.value) text = edit(text, ['layers', layer.index, 'alpha'], undefined);
  return text;
}

const SWITCHABLE = new Set(['sigmoid', 'tanh']);

/** Switches sigmoid/tanh hidden layers (`*`: all of them; else a comma list) to a ReLU kind with He init. */
function switchWithHe(t: string, names: string | undefined, kind: 'relu' | 'leaky-relu', edit: Editor): string {
  const all = readLayers(parseRoot(t));
  const targets = names === '*' ? all.filter((l) => isHiddenActivation(all, l, SWITCHABLE)) : (names ?? '').split(',').map((n) => layerArg(t, n).layer);
  if (targets.length === 0) throw new FixError('the model has no sigmoid/tanh hidden layer');
  for (const target of targets) {
    const k = target.activation ?? target.type;
    if (!SWITCHABLE.has(k)) throw new FixError(`layer "${target.name}" is not a sigmoid or tanh (it is ${k})`);
  }
  // layer indices do not move: every edit replaces a value in place
  for (const target of targets) {
    t = setActivation(t, target, kind, edit);
    t = edit(t, ['layers', denseFor(all, target).index, 'init'], 'he');
  }
  return t;
}

export const FIXES: Record<string, FixDef> = {
  'clip-norm': {
    title: ([n]) => `Clip gradients by global norm at ${n}`,
    apply: (t, [n], edit) => edit(t, ['clipping'], { norm: positive(n, 'clipping norm') }),
  },
  'clip-value': {
    title: ([n]) => `Clip gradients by value at ±${n}`,
    apply: (t, [n], edit) => edit(t, ['clipping'], { value: positive(n, 'clipping value') }),
  },
  lr: {
    title: ([v]) => `Set the learning rate to ${v}`,
    apply: (t, [v], edit) => edit(t, ['optimizer', 'lr'], positive(v, 'learning rate')),
  },
  schedule: {
    title: ([kind]) => `Add a ${kind} learning-rate decay schedule`,
    apply: (t, [kind, a, b], edit) => {
      const epochs = Number(valueAt(parseRoot(t), ['epochs'])) || 30;
      if (kind === 'step') {
        const every = a ? positive(a, 'step interval') : Math.max(1, Math.round(epochs / 3));
        return edit(t, ['schedule'], { type: 'step', every, factor: b ? positive(b, 'step factor') : 0.5 });
      }
      if (kind === 'exponential') return edit(t, ['schedule'], { type: 'exponential', gamma: a ? positive(a, 'gamma') : 0.95 });
      if (kind === 'cosine') return edit(t, ['schedule'], { type: 'cosine', minLr: a ? Number(a) : 0 });
      throw new FixError(`unknown schedule "${kind ?? ''}" (step, exponential, cosine)`);
    },
  },
  reinit: {
    title: ([names, init]) => `Re-initialise ${names?.split(',').join(', ')} with ${init === 'he' ? 'He' : init === 'xavier' ? 'Xavier' : init} init`,
    apply: (t, [names, init], edit) => {
      if (!INITS.has(init)) throw new FixError(`unknown initialiser "${init ?? ''}" (${[...INITS].join(', ')})`);
      // a comma list re-initialises several layers in one step (a whole stack started at the wrong scale)
      for (const name of (names ?? '').split(',')) {
        const { layers, layer } = layerArg(t, name);
        t = edit(t, ['layers', denseFor(layers, layer).index, 'init'], init);
      }
      return t;
    },
  },
  'leaky-relu': {
    title: ([names]) => `Switch ${names?.split(',').join(', ')} to leaky ReLU`,
    apply: (t, [names], edit) =>
      eachName(t, names, (text, name) => {
        const { layer } = layerArg(text, name);
        const kind = layer.activation ?? layer.type;
        if (kind !== 'relu' && kind !== 'relu6') throw new FixError(`layer "${name}" is not a ReLU (it is ${kind})`);
        return setActivation(text, layer, 'leaky-relu', edit);
      }),
  },
  'relu-he': {
    title: ([name]) => (name === '*' ? 'Use ReLU + He init for every sigmoid/tanh hidden layer' : `Use ReLU + He init for ${name}`),
    apply: (t, [name], edit) => switchWithHe(t, name, 'relu', edit),
  },
  'leaky-relu-he': {
    title: ([name]) => (name === '*' ? 'Use leaky ReLU + He init for every sigmoid/tanh hidden layer' : `Use leaky ReLU + He init for ${name}`),
    apply: (t, [name], edit) => switchWithHe(t, name, 'leaky-relu', edit),
  },
  'bias-init': {
    title: ([names]) => `Start the biases of ${names?.split(',').join(', ')} at zero`,
    apply: (t, [names], edit) =>
      eachName(t, names, (text, name) => {
        const { layers, layer } = layerArg(text, name);
        // zero is the default bias initialiser: removing the field says so
        return edit(text, ['layers', denseFor(layers, layer).index, 'biasInit'], undefined);
      }),
  },
  'insert-batchnorm': {
    title: ([names]) => `Insert batch norm after ${names?.split(',').join(', ')}`,
    apply: (t, [names], edit) =>
      eachName(t, names, (text, name) => {
        const { layer } = layerArg(text, name);
        if (!holdsWeights(layer)) throw new FixError(`layer "${name}" is not a dense or conv2d layer`);
        if (!layer.activation) return edit(text, ['layers', layer.index + 1], { type: 'batchnorm' }, true);
        // dense -> batchnorm -> activation: the shorthand becomes its own entry after the norm
        text = edit(text, ['layers', layer.index + 1], { type: layer.activation }, true);
        text = edit(text, ['layers', layer.index + 1], { type: 'batchnorm' }, true);
        return edit(text, ['layers', layer.index, 'activation'], undefined);
      }),
  },
  'insert-activation': {
    title: ([names, kind]) => `Insert a ${kind} activation after ${names?.split(',').join(', ')}`,
    apply: (t, [names, kind], edit) => {
      if (!kind || !ACTIVATIONS.has(kind)) throw new FixError(`unknown activation "${kind ?? ''}"`);
      return eachName(t, names, (text, name) => {
        const { layers, layer } = layerArg(text, name);
        // an explicit identity ("linear") right after the layer becomes the activation instead
        const next = layers[layer.index + 1];
        if (next?.type === 'linear') return edit(text, ['layers', next.index, 'type'], kind);
        return edit(text, ['layers', layer.index + 1], { type: kind }, true);
      });
    },
  },
  'remove-layer': {
    title: ([name]) => `Remove layer ${name}`,
    apply: (t, [name], edit) => edit(t, ['layers', layerArg(t, name).layer.index], undefined),
  },
  dropout: {
    title: ([names, r]) => `Use dropout ${r} after ${names?.split(',').join(', ')}`,
    apply: (t, [names, r], edit) => {
      const value = rate(r);
      return eachName(t, names, (text, name) => {
        const { layers, layer } = layerArg(text, name);
        if (layer.type === 'dropout') return edit(text, ['layers', layer.index, 'rate'], value);
        const next = layers[layer.index + 1];
        if (next?.type === 'dropout') return edit(text, ['layers', next.index, 'rate'], value);
        return edit(text, ['layers', layer.index + 1], { type: 'dropout', rate: value }, true);
      });
    },
  },
  l2: {
    title: ([v]) => `Add L2 weight decay ${v}`,
    apply: (t, [v], edit) => edit(t, ['regularization', 'l2'], positive(v, 'L2 strength')),
  },
  'early-stopping': {
    title: ([p]) => `Enable early stopping (patience ${p ?? 5})`,
    apply: (t, [p], edit) => edit(t, ['earlyStopping'], { patience: p ? Math.round(positive(p, 'patience')) : 5, minDelta: 0 }),
  },
  standardize: {
    title: () => 'Standardise the input features',
    apply: (t, _args, edit) => edit(t, ['data', 'preprocess'], 'standardize'),
  },
  'target-scaling': {
    title: ([mode]) => (mode === 'standardize' ? 'Standardise the regression targets' : `Set target scaling to ${mode}`),
    apply: (t, [mode], edit) => {
      if (mode !== 'standardize' && mode !== 'none') throw new FixError(`unknown target scaling "${mode ?? ''}" (none, standardize)`);
      return edit(t, ['data', 'targetScaling'], mode);
    },
  },
  loss: {
    title: ([kind]) => `Use the ${kind} loss`,
    apply: (t, [kind], edit) => {
      if (!LOSSES.has(kind)) throw new FixError(`unknown loss "${kind ?? ''}"`);
      return edit(t, ['loss'], kind);
    },
  },
  'batchnorm-momentum': {
    title: ([names, m]) => `Set ${names?.split(',').join(', ')}'s running-average momentum to ${m}`,
    apply: (t, [names, m], edit) => {
      const v = Number(m);
      if (!(v >= 0 && v < 1)) throw new FixError(`momentum must be in [0, 1), got "${m ?? ''}"`);
      return eachName(t, names, (text, name) => {
        const { layer } = layerArg(text, name);
        if (layer.type !== 'batchnorm') throw new FixError(`layer "${name}" is not a batchnorm layer`);
        return edit(text, ['layers', layer.index, 'momentum'], v);
      });
    },
  },
  'batch-size': {
    title: ([n]) => `Use a batch size of ${n}`,
    apply: (t, [n], edit) => edit(t, ['batchSize'], Math.round(positive(n, 'batch size'))),
  },
};

function splitId(fixId: string): { def: FixDef; args: string[] } {
  const [kind, ...args] = fixId.split(':');
  const def = Object.hasOwn(FIXES, kind) ? FIXES[kind] : undefined;
  if (!def) throw new FixError(`unknown fix "${fixId}" (known: ${Object.keys(FIXES).join(', ')})`);
  return { def, args };
}

export function fixTitle(fixId: string): string {
  const { def, args } = splitId(fixId);
  return def.title(args);
}

/**
 * The edits (offsets into `text`) that apply `fixId`. One fix may change several places; the result is a
 * single minimal replacement so the edits never overlap and undo is one step. Throws FixError.
 */
export function computeFixEdits(text: string, fixId: string): TextEdit[] {
  const after = applyFix(text, fixId);
  return diffEdit(text, after);
}

/** The model text with `fixId` applied. Throws FixError when the id does not fit the model. */
export function applyFix(text: string, fixId: string): string {
  const { def, args } = splitId(fixId);
  parseRoot(text);
  const edit: Editor = (t, path, value, insert = false) =>
    insert ? insertElement(t, path.slice(0, -1), path[path.length - 1] as number, value) : setValue(t, path, value);
  return def.apply(text, args, edit);
}

function diffEdit(before: string, after: string): TextEdit[] {
  if (before === after) return [];
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) start++;
  let endB = before.length;
  let endA = after.length;
  while (endB > start && endA > start && before[endB - 1] === after[endA - 1]) {
    endB--;
    endA--;
  }
  return [{ offset: start, length: endB - start, content: after.slice(start, endA) }];
}
