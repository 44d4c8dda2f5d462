// The layer registry: one descriptor per layer kind. A descriptor holds the kind's fields (the schema and
// the validator are generated from them), turns validated plain values into a LayerSpec, gives the output
// shape for an input shape (`[features]` or `[C, H, W]`, as convnetjs's makeLayers hands each layer the
// previous one's output size), its parameter count and fan-in/fan-out, and its traits. Everything that
// must know what a kind is asks here (layers/build.ts adds the constructors), so adding a kind is adding
// one descriptor and its kernels.
import {
  ACTIVATION_DOC, ACTIVATION_KINDS, RELU_FAMILY, SMALL_GAUSSIAN_STD_DEFAULT, epsilon, initField, int, layerName, nonNegative, num, obj,
  regOverride, tagged, unitInterval, withDefaults,
  type ArrayField, type ChoiceField, type Field, type ObjectField, type TaggedField,
} from './field-kit';
import type {
  ActivationKind, ActivationSpec, BatchNormSpec, Conv2dSpec, DenseSpec, DropoutSpec, FlattenSpec, GlobalAvgPoolSpec, GroupNormSpec, InitKind,
  InitSpec, InstanceNormSpec, LayerKind, LayerNormSpec, LayerSpec, PoolSpec,
} from './model-spec';
import type { JsonPath } from '../types';

/** `[features]` or `[channels, height, width]`. */
export type Shape = readonly number[];

export const isSpatial = (s: Shape): boolean => s.length === 3;
export const shapeSize = (s: Shape): number => s.reduce((a, b) => a * b, 1);
export const formatShape = (s: Shape): string => (s.length === 1 ? `${s[0]}` : s.join('×'));

/** A shape that does not fit a layer: what is wrong, and the field of the layer to point at (null: the layer). */
export interface ShapeError {
  error: string;
  field: string | null;
}

/** What a layer kind is, for probes, rules and fixes that must not list kinds. */
export interface LayerTraits {
  /** Has a weight tensor initialised by `init` (dense, conv2d). */
  hasWeights: boolean;
  /**
   * Activation family: 'relu' layers count dead units (a ReLU unit, or on [C, H, W] a whole channel, that is
   * never positive across the batch and positions); 'sigmoid' and 'tanh' count saturated outputs.
   */
  activation: 'relu' | 'sigmoid' | 'tanh' | 'softmax' | 'linear' | null;
  /**
   * Normalisation statistics: 'batch' keeps running statistics per feature (per channel over N·H·W on
   * [C, H, W]); 'sample' normalises each sample on its own (layer, group, instance norm).
   */
  normalization: 'batch' | 'sample' | null;
  /** Needs a [C, H, W] input (convolution, pooling, instance norm). */
  spatialInput: boolean;
  /** Leaves the activation that follows a weight layer unchanged (dropout, normalisation, pooling, flatten). */
  passThrough: boolean;
  /**
   * A finite input always gives a finite output ('forward'), and a finite output gradient a finite input
   * gradient too ('both'): the step runner need not check what such a layer writes for NaN or ±Inf, since
   * it cannot be the first to produce one. Layers that sum or scale their input (average pooling on the
   * float64 path, dropout's 1/(1-rate), leaky ReLU with a slope above 1) can overflow and are null.
   */
  keepsFinite: 'forward' | 'both' | null;
}

/** The layer's position and name as LayerSpec carries them. */
export interface LayerBase {
  index: number;
  name: string;
  path: JsonPath;
}

type Plain = Record<string, unknown>;

/** Builds a layer's spec(s) from validated values; `next` is the activation after it (through pass-through layers). */
type ToSpecs = (p: Plain, base: LayerBase, next: string | null) => LayerSpec[];

export interface LayerKindDescriptor<S extends LayerSpec = LayerSpec> {
  readonly kind: LayerKind;
  readonly field: ObjectField;
  readonly traits: LayerTraits;
  readonly toSpecs: ToSpecs;
  outputShape(spec: S, input: Shape): Shape | ShapeError;
  /** Trainable parameters for this input shape (assumed to fit). */
  paramCount(spec: S, input: Shape): number;
  /** Fan-in and fan-out of the weights (null: no weights). Conv: C·kh·kw and filters·kh·kw. */
  fans(spec: S, input: Shape): { fanIn: number; fanOut: number } | null;
}

// ---- shared fields and builders --------------------------------------------------------------------------

const NO_TRAITS: LayerTraits = { hasWeights: false, activation: null, normalization: null, spatialInput: false, passThrough: true, keepsFinite: null };
const same = (_: LayerSpec, input: Shape): Shape => input;
const noParams = (): number => 0;
const noFans = (): null => null;

const INIT_FIELD: TaggedField = initField(
  'Weight initialiser, a name or { "type": ..., ... }. Default: he when the next activation (after any dropout, normalisation or pooling) is in the ReLU family, xavier otherwise.',
);
const BIAS_INIT_FIELD: TaggedField = { ...initField('Bias initialiser. Default: zeros.'), default: 'zeros' };
const ACTIVATION_FIELD: Field = {
  kind: 'string',
  enum: ACTIVATION_KINDS,
  // completion shows what each choice does, as it does for the activation layers themselves
  enumDescriptions: ACTIVATION_KINDS.map((k) => ACTIVATION_DOC[k]),
  description: 'Shorthand for an activation layer right after this one (it shares this layer\'s index and is named "<name>/<activation>").',
};

function initSpec(plain: Plain): InitSpec {
  return { type: plain.type as InitKind, value: (plain.value as number | undefined) ?? 0, std: (plain.std as number | undefined) ?? SMALL_GAUSSIAN_STD_DEFAULT };
}

/** leaky-relu's default slope, also given to every other activation layer (which ignores it). */
const LEAKY_ALPHA = 0.01;

/** The weight fields shared by dense and conv2d, as a spec fragment. */
function weightFields(p: Plain, next: string | null): Pick<DenseSpec, 'init' | 'biasInit' | 'useBias' | 'l1' | 'l2'> {
  const defaultInit = RELU_FAMILY.includes(next ?? '') ? 'he' : 'xavier';
  return {
    init: initSpec(tagged(INIT_FIELD, p.init ?? defaultInit)),
    biasInit: initSpec(tagged(INIT_FIELD, p.biasInit)),
    useBias: p.useBias as boolean,
    l1: (p.l1 as number | undefined) ?? null,
    l2: (p.l2 as number | undefined) ?? null,
  };
}

/** The dense/conv `activation` shorthand, expanded into its own layer. */
function shorthandActivation(p: Plain, base: LayerBase): ActivationSpec[] {
  if (typeof p.activation !== 'string') return [];
  const act = p.activation as ActivationKind;
  return [{ index: base.index, name: `${base.name}/${act}`, path: [...base.path, 'activation'], kind: act, alpha: LEAKY_ALPHA, shorthand: true }];
}

const positiveInt = (description: string): Field => int(description, { min: 1 });
/** A size per spatial axis: one number for both, or [height, width]. */
function pairField(description: string, def?: number): ChoiceField {
  const pair: ArrayField = { kind: 'array', description: `${description} [height, width].`, items: int('Size along one axis.', { min: 1 }), minItems: 2, maxItems: 2 };
  return { kind: 'choice', description: `${description}: a number for both axes or [height, width].`, options: [int(description, { min: 1 }), pair], default: def };
}
const pair = (v: unknown): [number, number] => (Array.isArray(v) ? [v[0] as number, v[1] as number] : [v as number, v as number]);

function needSpatial(kind: string, input: Shape): ShapeError | null {
  if (isSpatial(input)) return null;
  return { error: `${kind} needs an image input [channels, height, width], but receives ${formatShape(input)} features (after a dense or flatten layer, or from flat data)`, field: null };
}

/** Output length of a sliding window along one axis; null when the window does not fit. */
function slide(size: number, window: number, stride: number, pad: number): number | null {
  const span = size + 2 * pad - window;
  return span < 0 ? null : Math.floor(span / stride) + 1;
}

/** Zero padding per side [top/bottom, left/right] of a conv layer. */
export function convPadding(spec: Conv2dSpec): [number, number] {
  if (spec.padding === 'valid') return [0, 0];
  if (spec.padding === 'same') return [(spec.kernel[0] - 1) >> 1, (spec.kernel[1] - 1) >> 1];
  return [spec.padding, spec.padding];
}

// ---- descriptors -----------------------------------------------------------------------------------------

const dense: LayerKindDescriptor<DenseSpec> = {
  kind: 'dense',
  field: obj(
    'Fully connected layer y = xW + b. After an image layer ([C, H, W]) it flattens its input (channel-major) first.',
    {
      name: layerName(),
      units: positiveInt('Number of output units.'),
      activation: ACTIVATION_FIELD,
      init: INIT_FIELD,
      biasInit: BIAS_INIT_FIELD,
      useBias: { kind: 'boolean', description: 'Whether the layer has a bias.', default: true },
      l1: regOverride('L1'),
      l2: regOverride('L2'),
    },
    { required: ['units'] },
  ),
  traits: { ...NO_TRAITS, hasWeights: true, passThrough: false },
  toSpecs: (p, base, next) => [{ ...base, kind: 'dense', units: p.units as number, ...weightFields(p, next) }, ...shorthandActivation(p, base)],
  outputShape: (spec) => [spec.units],
  paramCount: (spec, input) => shapeSize(input) * spec.units + (spec.useBias ? spec.units : 0),
  fans: (spec, input) => ({ fanIn: shapeSize(input), fanOut: spec.units }),
};

const conv2d: LayerKindDescriptor<Conv2dSpec> = {
  kind: 'conv2d',
  field: obj(
    '2-D convolution over an image input [channels, height, width]: `filters` kernels of size `kernel` slid with `stride` over the zero-`padding`ed input; output [filters, H\', W\'].',
    {
      name: layerName(),
      filters: positiveInt('Number of filters (output channels).'),
      kernel: pairField('Kernel size'),
      stride: pairField('Step between kernel positions', 1),
      padding: {
        kind: 'choice',
        description: 'Zero padding: "valid" (none), "same" (keeps height and width at stride 1; needs an odd kernel) or a number of zeros on every side.',
        options: [
          { kind: 'string', enum: ['valid', 'same'], enumDescriptions: ['No padding.', 'Pad (kernel-1)/2 on every side.'], description: 'Padding mode.' },
          int('Zeros added on every side.', { min: 0 }),
        ],
        default: 'valid',
      },
      activation: ACTIVATION_FIELD,
      init: INIT_FIELD,
      biasInit: BIAS_INIT_FIELD,
      useBias: { kind: 'boolean', description: 'Whether the layer has a bias per filter.', default: true },
      l1: regOverride('L1'),
      l2: regOverride('L2'),
    },
    { required: ['filters', 'kernel'] },
  ),
  traits: { ...NO_TRAITS, hasWeights: true, spatialInput: true, passThrough: false },
  toSpecs: (p, base, next) => [
    {
      ...base,
      kind: 'conv2d',
      filters: p.filters as number,
      kernel: pair(p.kernel),
      stride: pair(p.stride),
      padding: p.padding as Conv2dSpec['padding'],
      ...weightFields(p, next),
    },
    ...shorthandActivation(p, base),
  ],
  outputShape(spec, input) {
    const bad = needSpatial('conv2d', input);
    if (bad) return bad;
    const [kh, kw] = spec.kernel;
    if (spec.padding === 'same' && (kh % 2 === 0 || kw % 2 === 0)) return { error: `padding "same" needs an odd kernel, got ${kh}×${kw}`, field: 'padding' };
    const [ph, pw] = convPadding(spec);
    const h = slide(input[1], kh, spec.stride[0], ph);
    const w = slide(input[2], kw, spec.stride[1], pw);
    if (h === null || w === null) {
      return { error: `the ${kh}×${kw} kernel is larger than its padded input ${input[1] + 2 * ph}×${input[2] + 2 * pw} (input ${formatShape(input)})`, field: 'kernel' };
    }
    return [spec.filters, h, w];
  },
  paramCount: (spec, input) => spec.filters * input[0] * spec.kernel[0] * spec.kernel[1] + (spec.useBias ? spec.filters : 0),
  fans: (spec, input) => ({ fanIn: input[0] * spec.kernel[0] * spec.kernel[1], fanOut: spec.filters * spec.kernel[0] * spec.kernel[1] }),
};

function pool(kind: 'maxpool' | 'avgpool', doc: string): LayerKindDescriptor<PoolSpec> {
  return {
    kind,
    field: obj(`${doc} over windows of \`size\` moved by \`stride\` (default: size), per channel; no padding.`, {
      name: layerName(),
      size: pairField('Window size', 2),
      stride: pairField('Step between windows (default: the window size)'),
    }),
    // the max of finite values is finite; its gradient sums where windows overlap, which can overflow
    traits: { ...NO_TRAITS, spatialInput: true, keepsFinite: kind === 'maxpool' ? 'forward' : null },
    toSpecs: (p, base) => [{ ...base, kind, size: pair(p.size), stride: pair(p.stride ?? p.size) }],
    outputShape(spec, input) {
      const bad = needSpatial(kind, input);
      if (bad) return bad;
      const h = slide(input[1], spec.size[0], spec.stride[0], 0);
      const w = slide(input[2], spec.size[1], spec.stride[1], 0);
      if (h === null || w === null) return { error: `the ${spec.size.join('×')} window does not fit the ${input[1]}×${input[2]} input`, field: 'size' };
      return [input[0], h, w];
    },
    paramCount: noParams,
    fans: noFans,
  };
}

const globalavgpool: LayerKindDescriptor<GlobalAvgPoolSpec> = {
  kind: 'globalavgpool',
  field: obj('Global average pooling: the mean of each channel over height and width; [C, H, W] becomes [C].', { name: layerName() }),
  traits: { ...NO_TRAITS, spatialInput: true },
  toSpecs: (_, base) => [{ ...base, kind: 'globalavgpool' }],
  outputShape: (_, input) => needSpatial('globalavgpool', input) ?? [input[0]],
  paramCount: noParams,
  fans: noFans,
};

const flatten: LayerKindDescriptor<FlattenSpec> = {
  kind: 'flatten',
  field: obj('Flattens [C, H, W] into C·H·W features, channel-major (a dense layer after an image layer does this implicitly).', { name: layerName() }),
  traits: { ...NO_TRAITS, keepsFinite: 'both' },
  toSpecs: (_, base) => [{ ...base, kind: 'flatten' }],
  outputShape: (_, input) => [shapeSize(input)],
  paramCount: noParams,
  fans: noFans,
};

const dropout: LayerKindDescriptor<DropoutSpec> = {
  kind: 'dropout',
  field: obj('Inverted dropout: zeroes each feature with probability `rate` in training and scales the rest by 1/(1-rate); off at evaluation.', {
    name: layerName(),
    rate: unitInterval('Probability of dropping a feature.', 0.5),
  }),
  traits: NO_TRAITS,
  toSpecs: (p, base) => [{ ...base, kind: 'dropout', rate: p.rate as number }],
  outputShape: same,
  paramCount: noParams,
  fans: noFans,
};

/** gamma and beta per channel on [C, H, W], per feature otherwise. */
const perChannelParams = (_: LayerSpec, input: Shape): number => 2 * input[0];

const batchnorm: LayerKindDescriptor<BatchNormSpec> = {
  kind: 'batchnorm',
  field: obj(
    'Batch normalisation: normalises each feature (each channel over batch, height and width after an image layer) with the batch statistics in training and running averages at evaluation, then applies a trainable scale gamma and shift beta.',
    {
      name: layerName(),
      momentum: num('Running-average momentum: running = momentum·running + (1-momentum)·batch.', { min: 0, max: 1, maxExclusive: true, default: 0.9 }),
      epsilon: epsilon('batch normalisation'),
    },
  ),
  traits: { ...NO_TRAITS, normalization: 'batch' },
  toSpecs: (p, base) => [{ ...base, kind: 'batchnorm', momentum: p.momentum as number, epsilon: p.epsilon as number }],
  outputShape: same,
  paramCount: perChannelParams,
  fans: noFans,
};

const layernorm: LayerKindDescriptor<LayerNormSpec> = {
  kind: 'layernorm',
  field: obj('Layer normalisation: normalises all features of each sample (C·H·W values on an image), then applies trainable gamma and beta per value.', {
    name: layerName(),
    epsilon: epsilon('layer normalisation'),
  }),
  traits: { ...NO_TRAITS, normalization: 'sample' },
  toSpecs: (p, base) => [{ ...base, kind: 'layernorm', epsilon: p.epsilon as number }],
  outputShape: same,
  paramCount: (_, input) => 2 * shapeSize(input),
  fans: noFans,
};

const groupnorm: LayerKindDescriptor<GroupNormSpec> = {
  kind: 'groupnorm',
  field: obj(
    'Group normalisation: splits the features (the channels, on an image) of each sample into `groups` equal groups and normalises each, then applies trainable gamma and beta per feature (per channel).',
    {
      name: layerName(),
      groups: int('Number of groups; must divide the number of features (channels).', { min: 1 }),
      epsilon: epsilon('group normalisation'),
    },
    { required: ['groups'] },
  ),
  traits: { ...NO_TRAITS, normalization: 'sample' },
  toSpecs: (p, base) => [{ ...base, kind: 'groupnorm', groups: p.groups as number, epsilon: p.epsilon as number }],
  outputShape(spec, input) {
    const what = isSpatial(input) ? 'channels' : 'features';
    if (input[0] % spec.groups !== 0) return { error: `${spec.groups} groups do not divide the ${input[0]} ${what} reaching this layer`, field: 'groups' };
    return input;
  },
  paramCount: perChannelParams,
  fans: noFans,
};

const instancenorm: LayerKindDescriptor<InstanceNormSpec> = {
  kind: 'instancenorm',
  field: obj('Instance normalisation: normalises each channel of each sample over height and width, then applies trainable gamma and beta per channel.', {
    name: layerName(),
    epsilon: epsilon('instance normalisation'),
  }),
  traits: { ...NO_TRAITS, normalization: 'sample', spatialInput: true },
  toSpecs: (p, base) => [{ ...base, kind: 'instancenorm', epsilon: p.epsilon as number }],
  outputShape: (_, input) => needSpatial('instancenorm', input) ?? input,
  paramCount: perChannelParams,
  fans: noFans,
};

const ACTIVATION_TRAIT: Record<ActivationKind, LayerTraits['activation']> = {
  sigmoid: 'sigmoid', tanh: 'tanh', relu: 'relu', 'leaky-relu': 'relu', relu6: 'relu', linear: 'linear', softmax: 'softmax',
};

/**
 * Bounded or clamped activations and the identity keep finite values finite both ways; softmax's gradient
 * sums over a sample's outputs, and leaky ReLU's slope may exceed 1.
 */
const ACTIVATION_KEEPS_FINITE: Record<ActivationKind, LayerTraits['keepsFinite']> = {
  sigmoid: 'both', tanh: 'both', relu: 'both', 'leaky-relu': null, relu6: 'both', linear: 'both', softmax: 'forward',
};

function activation(kind: ActivationKind): LayerKindDescriptor<ActivationSpec> {
  const properties: Record<string, Field> = { name: layerName() };
  if (kind === 'leaky-relu') properties.alpha = nonNegative('Slope for negative inputs.', LEAKY_ALPHA);
  return {
    kind,
    field: obj(`${ACTIVATION_DOC[kind]} Activation layer.`, properties),
    traits: { ...NO_TRAITS, activation: ACTIVATION_TRAIT[kind], passThrough: false, keepsFinite: ACTIVATION_KEEPS_FINITE[kind] },
    toSpecs: (p, base) => [{ ...base, kind, alpha: (p.alpha as number | undefined) ?? LEAKY_ALPHA, shorthand: false }],
    // softmax runs over all values of a sample, so it keeps the shape too
    outputShape: same,
    paramCount: noParams,
    fans: noFans,
  };
}

/** The spec type of a kind (an activation kind picks ActivationSpec). */
export type SpecOf<K extends LayerKind> = LayerSpec & { kind: K };

type Registry = { [K in LayerKind]: LayerKindDescriptor<SpecOf<K>> };

export const LAYER_KINDS: Registry = {
  dense,
  conv2d,
  maxpool: pool('maxpool', 'Max pooling: the largest value'),
  avgpool: pool('avgpool', 'Average pooling: the mean'),
  globalavgpool,
  flatten,
  dropout,
  batchnorm,
  layernorm,
  groupnorm,
  instancenorm,
  sigmoid: activation('sigmoid'),
  tanh: activation('tanh'),
  relu: activation('relu'),
  'leaky-relu': activation('leaky-relu'),
  relu6: activation('relu6'),
  linear: activation('linear'),
  softmax: activation('softmax'),
};

export const LAYER_KIND_NAMES = Object.keys(LAYER_KINDS) as LayerKind[];

/** The descriptor of a spec's kind, typed for that spec. */
export function descriptorOf<S extends LayerSpec>(spec: S): LayerKindDescriptor<S> {
  return LAYER_KINDS[spec.kind] as unknown as LayerKindDescriptor<S>;
}

export function traitsOf(kind: string): LayerTraits | null {
  return Object.hasOwn(LAYER_KINDS, kind) ? LAYER_KINDS[kind as LayerKind].traits : null;
}

/** A layer with a weight tensor (dense, conv2d). */
export function hasWeights(spec: LayerSpec): spec is DenseSpec | Conv2dSpec {
  return descriptorOf(spec).traits.hasWeights;
}

/** Fields of `plain` (a layer object, defaults not yet filled) filled from its kind's defaults. */
export function layerDefaults(kind: LayerKind, plain: Plain): Plain {
  return withDefaults(LAYER_KINDS[kind].field, plain);
}

/** One layer with its input and output shape. */
export interface ShapedLayer {
  spec: LayerSpec;
  input: Shape;
  output: Shape;
  params: number;
}

/**
 * Walks the layers from the input shape, handing each its predecessor's output. Stops at the first layer
 * that does not fit, returning it with the problem.
 */
export function inferShapes(layers: readonly LayerSpec[], input: Shape): { layers: ShapedLayer[]; problem: { spec: LayerSpec; error: ShapeError } | null } {
  const out: ShapedLayer[] = [];
  let shape = input;
  for (const spec of layers) {
    const d = descriptorOf(spec);
    const next = d.outputShape(spec, shape);
    if ('error' in next) return { layers: out, problem: { spec, error: next } };
    out.push({ spec, input: shape, output: next, params: d.paramCount(spec, shape) });
    shape = next;
  }
  return { layers: out, problem: null };
}

/** Activation that follows layer `i` of the file's plain layers (through pass-through layers), if any. */
export function nextActivation(layers: Plain[], i: number): string | null {
  if (typeof layers[i].activation === 'string') return layers[i].activation as string;
  for (let j = i + 1; j < layers.length; j++) {
    const traits = traitsOf(layers[j].type as string);
    if (!traits) continue;
    if (traits.activation !== null) return layers[j].type as string;
    if (!traits.passThrough) return null;
  }
  return null;
}
