// A ModelSpec stand-in for a recorded PyTorch run, built from its stream's start message, so the engine's
// runtime rules (which read layer kinds in order, the optimiser and its learning rate, the batch size)
// judge it as they judge a `.nn.json` run. What a stream cannot know is set to values that make no rule
// claim anything about it: no regularisation, clipping or schedule, data not known to be raw.
import type { ActivationKind, LayerSpec, ModelSpec, OptimizerSpec } from '../spec/model-spec';
import type { RecordedRun } from './stream';

const ACTIVATIONS = new Set<string>(['sigmoid', 'tanh', 'relu', 'leaky-relu', 'relu6', 'linear', 'softmax']);

/**
 * The kind the rules should see. Convolutions are weight layers like dense ones (the gradient and
 * update rules are about weight layers); a kind the engine lacks reads as a linear step.
 */
export function ruleKind(kind: string): string {
  if (kind === 'dense' || kind.startsWith('conv')) return 'dense';
  if (ACTIVATIONS.has(kind) || kind === 'dropout' || kind === 'batchnorm' || kind === 'layernorm' || kind === 'groupnorm') return kind;
  return 'linear';
}

const DEFAULT_INIT = { type: 'lecun' as const, value: 0, std: 0.01 };

function layerSpec(kind: string, name: string, position: number, units: number): LayerSpec {
  const base = { index: position, name, path: [] };
  switch (kind) {
    case 'dense':
      return { ...base, kind, units, init: DEFAULT_INIT, biasInit: { type: 'zeros', value: 0, std: 0.01 }, useBias: true, l1: null, l2: null };
    case 'dropout':
      return { ...base, kind, rate: 0 };
    case 'batchnorm':
      // the engine's momentum is the weight of the old running average (PyTorch's 0.1 is the engine's 0.9)
      return { ...base, kind, momentum: 0.9, epsilon: 1e-5 };
    case 'layernorm':
      return { ...base, kind, epsilon: 1e-5 };
    case 'groupnorm':
      return { ...base, kind, groups: 1, epsilon: 1e-5 };
    default:
      return { ...base, kind: kind as ActivationKind, alpha: 0.01, shorthand: false };
  }
}

function optimizerSpec(o: RecordedRun['run']['optimizer']): OptimizerSpec {
  switch (o.type) {
    case 'sgd':
      return { type: 'sgd', lr: o.lr, momentum: o.momentum ?? 0, nesterov: o.nesterov ?? false };
    case 'adagrad':
      return { type: 'adagrad', lr: o.lr, epsilon: 1e-10 };
    case 'rmsprop':
      return { type: 'rmsprop', lr: o.lr, decay: 0.99, epsilon: 1e-8 };
    default:
      return { type: 'adam', lr: o.lr, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };
  }
}

export function recordedSpec(run: RecordedRun): ModelSpec {
  const { model, run: info } = run;
  const layers = [...model.layers].sort((a, b) => a.position - b.position).map((l) => layerSpec(ruleKind(l.kind), l.name, l.position, l.outputSize));
  const classification = model.task === 'classification';
  return {
    name: model.name,
    seed: 0,
    data: { source: info.script ?? 'pytorch', isFile: false, target: null, task: model.task, samples: model.trainSamples, classes: classification ? model.outputs : 0, noise: 0, validationSplit: 0, preprocess: 'standardize', targetScaling: 'none' },
    layers,
    loss: classification ? 'softmax-cross-entropy' : 'mse',
    optimizer: optimizerSpec(info.optimizer),
    schedule: { type: 'constant' },
    regularization: { l1: 0, l2: 0 },
    clipping: { mode: 'none' },
    epochs: run.summary?.epochs ?? run.epochs.length,
    batchSize: info.batchSize ?? 32,
    earlyStopping: null,
  };
}
