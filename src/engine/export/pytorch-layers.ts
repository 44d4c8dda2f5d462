// One emitter per layer kind: the PyTorch module that computes what the engine's layer computes, the
// engine's initialiser for it (used with --no-same-init), and the engine's initial tensors under their
// state_dict names (used with --same-init). A new layer kind is one more entry in EMITTERS. Images are
// [N, C, H, W] tensors in the script: the engine's channel-major samples, so an image's flat view is the
// engine's C·H·W order (pytorch.ts flattens before a dense layer that follows an image layer).
import type {
  ActivationSpec, BatchNormSpec, Conv2dSpec, DenseSpec, DropoutSpec, FlattenSpec, GlobalAvgPoolSpec, GroupNormSpec, InitSpec, InstanceNormSpec,
  LayerKind, LayerNormSpec, LayerSpec, PoolSpec,
} from '../spec/model-spec';
import { convPadding, isSpatial } from '../spec/layer-kinds';
import type { Layer } from '../layers/layer';
import { pyFloat } from './python-text';

/** A tensor of the engine's initial model, laid out as PyTorch stores it. */
export interface ExportTensor {
  /** state_dict key, e.g. "hidden1.weight". */
  key: string;
  shape: number[];
  values: ArrayLike<number>;
}

export interface EmittedLayer {
  /** The module's constructor, e.g. `nn.Linear(2, 64)`. */
  module: string;
  /** Why the arguments differ from the file's, when they do (one line). */
  note: string | null;
  /** Statements of reset_parameters, with `{m}` standing for `self.<attribute>`. */
  init: string[];
  /** Python helper classes the module needs (emitted once per script, in this order). */
  helpers: string[];
  /** The engine layer's initial tensors, keys relative to the attribute. */
  tensors: ExportTensor[];
}

/** `layer` is the engine's layer built from `spec`, holding its shapes and initial tensors. */
type Emitter<S extends LayerSpec> = (spec: S, layer: Layer) => EmittedLayer;

const plain = (module: string): EmittedLayer => ({ module, note: null, init: [], helpers: [], tensors: [] });

/** The engine's `dense`: weight stored [in × out], PyTorch's nn.Linear holds it [out × in]. */
const dense: Emitter<DenseSpec> = (spec, layer) => {
  const inputs = layer.inputSize;
  const [w, b] = layer.params;
  return {
    module: `nn.Linear(${inputs}, ${spec.units}${spec.useBias ? '' : ', bias=False'})`,
    note: null,
    init: [initStatement('{m}.weight', spec.init, inputs, spec.units, true), ...(b ? [initStatement('{m}.bias', spec.biasInit, inputs, spec.units, false)] : [])],
    helpers: [],
    tensors: [{ key: 'weight', shape: [spec.units, inputs], values: transpose(w.value, inputs, spec.units) }, ...(b ? [{ key: 'bias', shape: [spec.units], values: b.value }] : [])],
  };
};

/** The engine's weight is [filters × C·kh·kw], C then kernel row then column: PyTorch's [F, C, kh, kw], flat. */
const conv2d: Emitter<Conv2dSpec> = (spec, layer) => {
  const channels = layer.inputShape[0];
  const [kh, kw] = spec.kernel;
  const [w, b] = layer.params;
  // A conv weight's fans as the engine and nn.init count them.
  const fanIn = channels * kh * kw;
  const fanOut = spec.filters * kh * kw;
  // "same" (odd kernels only) and a number are both symmetric padding, which padding= expresses.
  const padding = pyPair(convPadding(spec));
  return {
    module: `nn.Conv2d(${channels}, ${spec.filters}, kernel_size=${pyPair(spec.kernel)}, stride=${pyPair(spec.stride)}, padding=${padding}${spec.useBias ? '' : ', bias=False'})`,
    note: null,
    init: [initStatement('{m}.weight', spec.init, fanIn, fanOut, true), ...(b ? [initStatement('{m}.bias', spec.biasInit, fanIn, fanOut, false)] : [])],
    helpers: [],
    tensors: [{ key: 'weight', shape: [spec.filters, channels, kh, kw], values: w.value }, ...(b ? [{ key: 'bias', shape: [spec.filters], values: b.value }] : [])],
  };
};

/** No padding and windows that do not fit dropped, as in the engine; both take a window's first maximum. */
const pool: Emitter<PoolSpec> = (spec) => plain(`nn.${spec.kind === 'maxpool' ? 'MaxPool2d' : 'AvgPool2d'}(${pyPair(spec.size)}, stride=${pyPair(spec.stride)})`);

const globalavgpool: Emitter<GlobalAvgPoolSpec> = () => plain('nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())');

const flatten: Emitter<FlattenSpec> = () => plain('nn.Flatten()');

const ACTIVATION_MODULES: Record<ActivationSpec['kind'], (spec: ActivationSpec) => string> = {
  sigmoid: () => 'nn.Sigmoid()',
  tanh: () => 'nn.Tanh()',
  relu: () => 'nn.ReLU()',
  'leaky-relu': (s) => `nn.LeakyReLU(${pyFloat(s.alpha)})`,
  relu6: () => 'nn.ReLU6()',
  linear: () => 'nn.Identity()',
  softmax: () => 'nn.Softmax(dim=1)',
};

const activation: Emitter<ActivationSpec> = (spec, layer) => {
  const module = ACTIVATION_MODULES[spec.kind](spec);
  // The engine's softmax runs over all values of a sample, all C·H·W of an image.
  if (spec.kind === 'softmax' && isSpatial(layer.inputShape)) return plain(`nn.Sequential(nn.Flatten(), ${module}, nn.Unflatten(1, ${pyTuple(layer.inputShape)}))`);
  return plain(module);
};

const dropout: Emitter<DropoutSpec> = (spec) => plain(`nn.Dropout(${pyFloat(spec.rate)})`);

/** Per feature, or per channel over the batch and every position of an image (BatchNorm2d). */
const batchnorm: Emitter<BatchNormSpec> = (spec, layer) => {
  const channels = layer.inputShape[0];
  const image = isSpatial(layer.inputShape);
  return {
    module: `${image ? 'BatchNorm2dAnyBatch' : 'BatchNorm1dAnyBatch'}(${channels}, eps=${pyFloat(spec.epsilon)}, momentum=1 - ${pyFloat(spec.momentum)})`,
    note: `the file's momentum (${pyFloat(spec.momentum)}) weighs the old running value (Keras); PyTorch's weighs the new one`,
    init: [],
    helpers: [ANY_BATCH_MIXIN, image ? BATCH_NORM_2D_ANY_BATCH : BATCH_NORM_1D_ANY_BATCH],
    tensors: [
      ...affineTensors(layer, [channels]),
      { key: 'running_mean', shape: [channels], values: layer.state[0].value },
      { key: 'running_var', shape: [channels], values: layer.state[1].value },
    ],
  };
};

// One value per channel in a training batch (a short last batch of one sample, of features or of a 1×1
// image) is an error in nn.BatchNorm1d/2d, and an empty batch (a rank's share of it under DDP) would turn
// the running statistics into NaN; the engine trains on the former.
const ANY_BATCH_MIXIN = `class AnyBatchMixin:
    """Batch norm that also trains on one value per channel, as NN Debugger's engine does (the value is its
    own mean, so the output is the bias, no gradient flows back, and the running variance moves towards
    the batch's variance, 0), and on an empty batch (a rank's share of such a batch)."""

    def forward(self, x):
        if not self.training or x.numel() > self.num_features:
            return super().forward(x)
        if len(x) == 1:
            with torch.no_grad():
                self.running_mean.mul_(1 - self.momentum).add_(self.momentum * x.reshape(-1))
                self.running_var.mul_(1 - self.momentum)
        per_channel = (1, -1) + (1,) * (x.dim() - 2)
        # x * 0 keeps the zero gradients the engine has (so every optimiser still steps every parameter).
        return self.weight.view(per_channel) * (x * 0) + self.bias.view(per_channel)`;

const BATCH_NORM_1D_ANY_BATCH = `class BatchNorm1dAnyBatch(AnyBatchMixin, nn.BatchNorm1d):
    """nn.BatchNorm1d on any batch (AnyBatchMixin)."""`;

const BATCH_NORM_2D_ANY_BATCH = `class BatchNorm2dAnyBatch(AnyBatchMixin, nn.BatchNorm2d):
    """nn.BatchNorm2d on any batch (AnyBatchMixin)."""`;

/** gamma and beta, which PyTorch calls weight and bias, in the given shape. */
const affineTensors = (layer: Layer, shape: number[]): ExportTensor[] => [
  { key: 'weight', shape, values: layer.params[0].value },
  { key: 'bias', shape, values: layer.params[1].value },
];

/** Over all values of a sample (C·H·W of an image) with gamma and beta per value, in PyTorch's [C, H, W] order. */
const layernorm: Emitter<LayerNormSpec> = (spec, layer) => ({
  ...plain(`nn.LayerNorm(${pyTuple(layer.inputShape)}, eps=${pyFloat(spec.epsilon)})`),
  tensors: affineTensors(layer, [...layer.inputShape]),
});

/**
 * The validator has made sure the groups divide the features (channels), as nn.GroupNorm needs. On an
 * image a group is its channels' values, contiguous in both layouts, with gamma and beta per channel.
 */
const groupnorm: Emitter<GroupNormSpec> = (spec, layer) => ({
  ...plain(`nn.GroupNorm(${spec.groups}, ${layer.inputShape[0]}, eps=${pyFloat(spec.epsilon)})`),
  tensors: affineTensors(layer, [layer.inputShape[0]]),
});

/** Each channel of each sample over its H·W values, in training and evaluation alike (no running statistics). */
const instancenorm: Emitter<InstanceNormSpec> = (spec, layer) => ({
  ...plain(`nn.InstanceNorm2d(${layer.inputShape[0]}, eps=${pyFloat(spec.epsilon)}, affine=True)`),
  tensors: affineTensors(layer, [layer.inputShape[0]]),
});

// Each kind's emitter, typed per kind: a new kind in the registry does not compile until it has one.
const EMITTERS: { [K in LayerKind]: Emitter<Extract<LayerSpec, { kind: K }>> } = {
  dense,
  conv2d,
  maxpool: pool,
  avgpool: pool,
  globalavgpool,
  flatten,
  sigmoid: activation,
  tanh: activation,
  relu: activation,
  'leaky-relu': activation,
  relu6: activation,
  linear: activation,
  softmax: activation,
  dropout,
  batchnorm,
  layernorm,
  groupnorm,
  instancenorm,
};

export function emitLayer(spec: LayerSpec, layer: Layer): EmittedLayer {
  return (EMITTERS[spec.kind] as Emitter<LayerSpec>)(spec, layer);
}

/**
 * The engine's initialiser as a PyTorch statement. Weights use nn.init's functions where they define the
 * same distribution; biases (1-D, where nn.init cannot compute fans) get the engine's std or limit directly.
 */
function initStatement(target: string, init: InitSpec, fanIn: number, fanOut: number, isWeight: boolean): string {
  const normal = (std: string) => `nn.init.normal_(${target}, std=${std})`;
  const uniform = (limit: string) => `nn.init.uniform_(${target}, -${limit}, ${limit})`;
  switch (init.type) {
    case 'zeros':
      return `nn.init.zeros_(${target})`;
    case 'constant':
      return `nn.init.constant_(${target}, ${pyFloat(init.value)})`;
    case 'small-gaussian':
      return normal(pyFloat(init.std));
    case 'xavier':
      return isWeight ? `nn.init.xavier_normal_(${target})` : normal(`math.sqrt(2 / ${fanIn + fanOut})`);
    case 'xavier-uniform':
      return isWeight ? `nn.init.xavier_uniform_(${target})` : uniform(`math.sqrt(6 / ${fanIn + fanOut})`);
    case 'he':
      return isWeight ? `nn.init.kaiming_normal_(${target}, nonlinearity="relu")` : normal(`math.sqrt(2 / ${fanIn})`);
    case 'he-uniform':
      return isWeight ? `nn.init.kaiming_uniform_(${target}, nonlinearity="relu")` : uniform(`math.sqrt(6 / ${fanIn})`);
    case 'lecun':
      return normal(`math.sqrt(1 / ${fanIn})`);
  }
}

/** A kernel, stride or padding: one int when both axes agree, else (height, width). */
function pyPair([a, b]: readonly number[]): string {
  return a === b ? `${a}` : `(${a}, ${b})`;
}

/** A shape as a Python int or tuple. */
function pyTuple(values: readonly number[]): string {
  return values.length === 1 ? `${values[0]}` : `(${values.join(', ')})`;
}

function transpose(values: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c];
  return out;
}
