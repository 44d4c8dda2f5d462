// The one description of every field of a `.nn.json` file: type, default, range, enum and documentation.
// The validator (check.ts), the defaults (build.ts) and the JSON Schema (schema.ts) are all derived from it.
import { BUILTIN_NAMES, BUILTIN_SOURCES, type BuiltinSource } from '../data/sources';
import { int, nonNegative, num, obj, positive, unitInterval, type NumberField, type ObjectField, type TaggedField } from './field-kit';
import { LAYER_KIND_NAMES, LAYER_KINDS } from './layer-kinds';

export type { ArrayField, BooleanField, ChoiceField, Field, NumberField, ObjectField, StringField, TaggedField } from './field-kit';
export { RELU_FAMILY, SMALL_GAUSSIAN_STD_DEFAULT } from './field-kit';

export const LAYER_FIELD: TaggedField = {
  kind: 'tagged',
  description: 'One layer; `type` picks the kind.',
  variants: Object.fromEntries(LAYER_KIND_NAMES.map((k) => [k, LAYER_KINDS[k].field])),
};

// ---- optimiser, schedule ---------------------------------------------------------------------------------

const lr = (def: number): NumberField => positive('Learning rate.', def);

export const OPTIMIZER_FIELD: TaggedField = {
  kind: 'tagged',
  description: 'Optimiser, a name or { "type": ..., ... }; defaults match the usual frameworks. Default: adam.',
  shorthand: true,
  default: 'adam',
  variants: {
    sgd: obj('Stochastic gradient descent, optionally with (Nesterov) momentum.', {
      lr: lr(0.01),
      momentum: unitInterval('Momentum coefficient.', 0),
      nesterov: { kind: 'boolean', description: 'Nesterov momentum.', default: false },
    }),
    adagrad: obj('Adagrad: per-parameter steps scaled by the root of the accumulated squared gradients.', {
      lr: lr(0.01),
      epsilon: positive('Added to the denominator for numerical stability.', 1e-10),
    }),
    rmsprop: obj('RMSprop: steps scaled by a moving average of squared gradients.', {
      lr: lr(0.001),
      decay: unitInterval('Decay of the squared-gradient average.', 0.9),
      epsilon: positive('Added to the denominator for numerical stability.', 1e-7),
    }),
    adam: obj('Adam with bias correction.', {
      lr: lr(0.001),
      beta1: unitInterval('Decay of the first-moment estimate.', 0.9),
      beta2: unitInterval('Decay of the second-moment estimate.', 0.999),
      epsilon: positive('Added to the denominator for numerical stability.', 1e-8),
    }),
  },
};

export const SCHEDULE_FIELD: TaggedField = {
  kind: 'tagged',
  description: 'Learning-rate schedule, a name or { "type": ..., ... }, applied per epoch. Default: constant.',
  shorthand: true,
  default: 'constant',
  variants: {
    constant: obj('The learning rate never changes.', {}),
    step: obj(
      'Multiplies the learning rate by `factor` every `every` epochs.',
      { every: int('Epochs between reductions.', { min: 1 }), factor: num('Multiplier applied at each step.', { min: 0, minExclusive: true, max: 1 }) },
      { required: ['every', 'factor'] },
    ),
    exponential: obj('Multiplies the learning rate by `gamma` after every epoch.', {
      gamma: num('Per-epoch multiplier.', { min: 0, minExclusive: true, max: 1, default: 0.95 }),
    }),
    cosine: obj('Cosine annealing from the optimiser\'s learning rate to `minLr` over the run.', {
      minLr: nonNegative('Learning rate reached at the last epoch.', 0),
    }),
  },
};

// ---- data ------------------------------------------------------------------------------------------------

const SOURCE_DESCRIPTIONS = BUILTIN_NAMES.map((n) => BUILTIN_SOURCES[n].description);

/** "xor 400, circles 400, ..." over the built-ins of one kind. */
function listSources(kind: BuiltinSource['kind'], value: (s: BuiltinSource) => number): string {
  return BUILTIN_NAMES.filter((n) => BUILTIN_SOURCES[n].kind === kind).map((n) => `${n} ${value(BUILTIN_SOURCES[n])}`).join(', ');
}

export const DATA_FIELD: ObjectField = obj(
  'Where the training data comes from and how it is split and preprocessed.',
  {
    source: {
      kind: 'string',
      enum: BUILTIN_NAMES,
      enumDescriptions: SOURCE_DESCRIPTIONS,
      orPattern: { regex: '\\.([cC][sS][vV]|[jJ][sS][oO][nN])$', hint: 'a workspace .csv or .json file' },
      description: `A built-in generator or dataset, or a workspace-relative .csv/.json file (a header row, or an array of objects). Built-ins:\n- ${SOURCE_DESCRIPTIONS.join('\n- ')}`,
    },
    target: {
      kind: 'string',
      description: 'Files only: the column holding the target (class names or integers for classification, a number for regression). Default: "target".',
    },
    task: {
      kind: 'string',
      enum: ['classification', 'regression'],
      description: 'Files only: what the target is. Default: regression when the loss is mse, classification otherwise. Built-ins have a fixed task.',
    },
    samples: int(
      `Number of samples to generate, or the cap on rows used from a dataset or file (a seeded random subset). Defaults: ${listSources('generator', (s) => s.defaultSamples)}; every row of ${listSources('dataset', (s) => s.defaultSamples)} and of files.`,
      { min: 1, max: 10_000_000 },
    ),
    classes: int('spiral and blobs: number of classes (default 3); shapes: number of shape kinds (default 4, at most 6). The other sources have a fixed class count.', { min: 2, max: 1000 }),
    noise: nonNegative(
      `Generators: noise level (see each generator). Defaults: ${listSources('generator', (s) => s.defaultNoise)}.`,
    ),
    inputShape: {
      kind: 'array',
      description: 'Files only: one sample is an image of this [channels, height, width]; a row holds its channels·height·width feature values channel-major (all of channel 0 row by row, then channel 1, ...). Default: flat features.',
      items: int('Size along one axis.', { min: 1 }),
      minItems: 3,
      maxItems: 3,
    },
    validationSplit: unitInterval('Fraction of the (shuffled, seeded) samples held out for validation.', 0.2),
    preprocess: {
      kind: 'string',
      enum: ['none', 'zero-center', 'standardize', 'min-max'],
      enumDescriptions: [
        'Features as they are.',
        'Subtract the training mean of each feature.',
        'Subtract the training mean and divide by the training standard deviation of each feature.',
        'Scale each feature to [0, 1] using the training minimum and maximum.',
      ],
      default: 'standardize',
      description: 'Feature preprocessing; its statistics come from the training split only.',
    },
    targetScaling: {
      kind: 'string',
      enum: ['none', 'standardize'],
      enumDescriptions: [
        'Targets as they are.',
        'Train on targets standardised with the training mean and standard deviation of each target column; every reported loss is converted back to the original units.',
      ],
      default: 'none',
      description: 'Regression only: scaling of the targets the network learns. Its statistics come from the training split only.',
    },
  },
  { required: ['source'] },
);

// ---- the whole file --------------------------------------------------------------------------------------

const LOSS_KINDS = ['mse', 'binary-cross-entropy', 'softmax-cross-entropy'] as const;

export const MODEL_FIELD: ObjectField = obj(
  'An NN Debugger model: data, layers and training settings.',
  {
    $schema: { kind: 'string', description: 'The JSON Schema this file follows (for editors).' },
    name: { kind: 'string', description: 'Model name. Default: the file name without .nn.json.' },
    description: { kind: 'string', description: 'Free text about the model.' },
    seed: int('Seed from which everything random derives (data, initialisation, shuffling, dropout).', { min: 0, max: 4294967295, default: 42 }),
    data: DATA_FIELD,
    layers: { kind: 'array', description: 'The layers, input to output.', items: LAYER_FIELD, minItems: 1 },
    loss: {
      kind: 'string',
      enum: LOSS_KINDS,
      enumDescriptions: [
        'Mean squared error: regression (units = target columns) or classification against one-hot targets (units = classes).',
        'Binary cross-entropy on a sigmoid output: 2 classes, 1 output unit.',
        'Softmax cross-entropy on the logits of the last layer (it applies softmax itself): units = classes.',
      ],
      description: 'Training loss.',
    },
    optimizer: OPTIMIZER_FIELD,
    schedule: SCHEDULE_FIELD,
    regularization: obj('Weight penalties on dense weights (never biases or normalisation parameters); layers may override them.', {
      l1: nonNegative('L1 strength.', 0),
      l2: nonNegative('L2 strength.', 0),
    }),
    clipping: obj(
      'Gradient clipping: by global norm ({ "norm": 5 }) or by value ({ "value": 1 }). Default: none.',
      {
        norm: positive('Rescale all gradients together when their global L2 norm exceeds this.'),
        value: positive('Clip every gradient entry to [-value, value].'),
      },
      { exactlyOne: ['norm', 'value'] },
    ),
    epochs: int('Number of passes over the training split.', { min: 1, max: 1_000_000, default: 20 }),
    batchSize: int('Samples per mini-batch.', { min: 1, max: 1_000_000, default: 32 }),
    earlyStopping: obj('Stop when the validation loss has not improved by more than `minDelta` for `patience` epochs, and restore the best weights. Default: off.', {
      patience: int('Epochs without improvement before stopping.', { min: 0, default: 5 }),
      minDelta: nonNegative('Smallest decrease of the validation loss that counts as an improvement.', 0),
    }),
  },
  { required: ['data', 'layers', 'loss'] },
);
