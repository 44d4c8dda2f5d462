// One emitter per layer kind: the PyTorch module that computes what the engine's layer computes, the
// engine's initialiser for it (used with --no-same-init), and the engine's initial tensors under their
// state_dict names (used with --same-init). A new layer kind is one more entry in EMITTERS.
import type { ActivationSpec, BatchNormSpec, DenseSpec, DropoutSpec, GroupNormSpec, InitSpec, LayerKind, LayerNormSpec, LayerSpec } from '../spec/model-spec';
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
  /** Python helper classes the module needs (emitted once per script). */
  helpers: string[];
  /** The engine layer's initial tensors, keys relative to the attribute. */
  tensors: ExportTensor[];
}

/** `layer` is the engine's layer built from `spec`, holding its sizes and initial tensors. */
type Emitter<S extends LayerSpec> = (spec: S, layer: Layer) => EmittedLayer;

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

const ACTIVATION_MODULES: Record<ActivationSpec['kind'], (spec: ActivationSpec) => string> = {
  sigmoid: () => 'nn.Sigmoid()',
  tanh: () => 'nn.Tanh()',
  relu: () => 'nn.ReLU()',
  'leaky-relu': (s) => `nn.LeakyReLU(${pyFloat(s.alpha)})`,
  relu6: () => 'nn.ReLU6()',
  linear: () => 'nn.Identity()',
  softmax: () => 'nn.Softmax(dim=1)',
};

const activation: Emitter<ActivationSpec> = (spec) => ({ module: ACTIVATION_MODULES[spec.kind](spec), note: null, init: [], helpers: [], tensors: [] });

const dropout: Emitter<DropoutSpec> = (spec) => ({ module: `nn.Dropout(${pyFloat(spec.rate)})`, note: null, init: [], helpers: [], tensors: [] });

const batchnorm: Emitter<BatchNormSpec> = (spec, layer) => ({
  module: `BatchNorm1dAnyBatch(${layer.inputSize}, eps=${pyFloat(spec.epsilon)}, momentum=1 - ${pyFloat(spec.momentum)})`,
  note: `the file's momentum (${pyFloat(spec.momentum)}) weighs the old running value (Keras); PyTorch's weighs the new one`,
  init: [],
  helpers: [BATCH_NORM_ANY_BATCH],
  tensors: [
    ...affineTensors(layer),
    { key: 'running_mean', shape: [layer.inputSize], values: layer.state[0].value },
    { key: 'running_var', shape: [layer.inputSize], values: layer.state[1].value },
  ],
});

// A training batch of one sample (a short last batch) is an error in nn.BatchNorm1d, and an empty one (a
// rank's share of it under DDP) would turn the running statistics into NaN; the engine trains on the former.
const BATCH_NORM_ANY_BATCH = `class BatchNorm1dAnyBatch(nn.BatchNorm1d):
    """nn.BatchNorm1d that also trains on a batch of one sample, as NN Debugger's engine does (the sample
    is its own mean, so the output is the bias, no gradient flows back, and the running variance moves
    towards the batch's variance, 0), and on an empty one (a rank's share of such a batch)."""

    def forward(self, x):
        if not self.training or len(x) > 1:
            return super().forward(x)
        if len(x) == 1:
            with torch.no_grad():
                self.running_mean.mul_(1 - self.momentum).add_(self.momentum * x[0])
                self.running_var.mul_(1 - self.momentum)
        # x * 0 keeps the zero gradients the engine has (so every optimiser still steps every parameter).
        return self.weight * (x * 0) + self.bias`;

/** gamma and beta, which PyTorch calls weight and bias. */
const affineTensors = (layer: Layer): ExportTensor[] => [
  { key: 'weight', shape: [layer.inputSize], values: layer.params[0].value },
  { key: 'bias', shape: [layer.inputSize], values: layer.params[1].value },
];

const layernorm: Emitter<LayerNormSpec> = (spec, layer) => ({
  module: `nn.LayerNorm(${layer.inputSize}, eps=${pyFloat(spec.epsilon)})`,
  note: null,
  init: [],
  helpers: [],
  tensors: affineTensors(layer),
});

/** The validator has made sure the groups divide the features, as nn.GroupNorm needs. */
const groupnorm: Emitter<GroupNormSpec> = (spec, layer) => ({
  module: `nn.GroupNorm(${spec.groups}, ${layer.inputSize}, eps=${pyFloat(spec.epsilon)})`,
  note: null,
  init: [],
  helpers: [],
  tensors: affineTensors(layer),
});

// Each kind's emitter, typed per kind. A kind without one is refused with a message naming the layer.
const EMITTERS: { [K in LayerKind]?: Emitter<Extract<LayerSpec, { kind: K }>> } = {
  dense,
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
};

export function emitLayer(spec: LayerSpec, layer: Layer): EmittedLayer {
  const emit = EMITTERS[spec.kind] as Emitter<LayerSpec> | undefined;
  if (!emit) throw new Error(`layers[${spec.index}] (${spec.name}): export to PyTorch does not support ${spec.kind} layers yet`);
  return emit(spec, layer);
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

function transpose(values: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c];
  return out;
}
