// The validated, defaults-filled form of a `.nn.json` file. The parser/validator (spec/parse.ts) is the only
// producer; layers, data, trainer and rules consume it. `path` fields point back into the text so
// every later message can be placed on the exact range.
import type { JsonPath } from '../types';

export type ActivationKind = 'sigmoid' | 'tanh' | 'relu' | 'leaky-relu' | 'relu6' | 'linear' | 'softmax';
export type LayerKind =
  | 'dense' | 'conv2d' | ActivationKind | 'dropout' | 'batchnorm' | 'layernorm' | 'groupnorm' | 'instancenorm'
  | 'maxpool' | 'avgpool' | 'globalavgpool' | 'flatten';
export type InitKind = 'zeros' | 'constant' | 'small-gaussian' | 'xavier' | 'xavier-uniform' | 'he' | 'he-uniform' | 'lecun';
export type LossKind = 'mse' | 'binary-cross-entropy' | 'softmax-cross-entropy';
export type Preprocess = 'none' | 'zero-center' | 'standardize' | 'min-max';
export type Task = 'classification' | 'regression';
export type TargetScaling = 'none' | 'standardize';

export interface InitSpec {
  type: InitKind;
  /** `constant` only. */
  value: number;
  /** `small-gaussian` only (default 0.01). */
  std: number;
}

interface LayerBase {
  /** Index in the file's `layers` array. */
  index: number;
  /** Given or default name (`dense_1`, `relu_1`, ... counted per kind). Expanded shorthand activations are `<dense name>/<kind>`. */
  name: string;
  path: JsonPath;
}

export interface DenseSpec extends LayerBase {
  kind: 'dense';
  units: number;
  init: InitSpec;
  biasInit: InitSpec;
  useBias: boolean;
  /** Per-layer overrides of the model's regularization (null = use model's). */
  l1: number | null;
  l2: number | null;
}
export interface ActivationSpec extends LayerBase {
  kind: ActivationKind;
  /** leaky-relu slope (default 0.01). */
  alpha: number;
  /** True when this layer came from a dense layer's `activation` shorthand. */
  shorthand: boolean;
}
export interface DropoutSpec extends LayerBase { kind: 'dropout'; rate: number }
export interface BatchNormSpec extends LayerBase { kind: 'batchnorm'; momentum: number; epsilon: number }
export interface LayerNormSpec extends LayerBase { kind: 'layernorm'; epsilon: number }
export interface GroupNormSpec extends LayerBase { kind: 'groupnorm'; groups: number; epsilon: number }
export interface InstanceNormSpec extends LayerBase { kind: 'instancenorm'; epsilon: number }

/** 2-D convolution over [C, H, W] inputs; weights [filters × C·kh·kw] (PyTorch's layout). */
export interface Conv2dSpec extends LayerBase {
  kind: 'conv2d';
  filters: number;
  /** [kh, kw] */
  kernel: [number, number];
  /** [sh, sw] */
  stride: [number, number];
  /** "same" keeps H and W at stride 1 (odd kernels); a number pads every side with that many zeros. */
  padding: 'valid' | 'same' | number;
  init: InitSpec;
  biasInit: InitSpec;
  useBias: boolean;
  l1: number | null;
  l2: number | null;
}
export interface PoolSpec extends LayerBase {
  kind: 'maxpool' | 'avgpool';
  /** [ph, pw] */
  size: [number, number];
  /** [sh, sw], defaults to `size`. */
  stride: [number, number];
}
export interface GlobalAvgPoolSpec extends LayerBase { kind: 'globalavgpool' }
export interface FlattenSpec extends LayerBase { kind: 'flatten' }

export type LayerSpec =
  | DenseSpec | Conv2dSpec | ActivationSpec | DropoutSpec | BatchNormSpec | LayerNormSpec | GroupNormSpec | InstanceNormSpec
  | PoolSpec | GlobalAvgPoolSpec | FlattenSpec;

export interface DataSpec {
  /** Built-in generator/dataset name or a workspace-relative .csv/.json path. */
  source: string;
  isFile: boolean;
  target: string | null;
  task: Task;
  samples: number;
  classes: number;
  noise: number;
  validationSplit: number;
  preprocess: Preprocess;
  /** Regression only (the validator refuses it on classification). */
  targetScaling: TargetScaling;
  /** Files: the `inputShape` given ([C, H, W], a row holding C·H·W values channel-major); absent: flat features. */
  inputShape?: readonly number[];
}

export type OptimizerSpec =
  | { type: 'sgd'; lr: number; momentum: number; nesterov: boolean }
  | { type: 'adagrad'; lr: number; epsilon: number }
  | { type: 'rmsprop'; lr: number; decay: number; epsilon: number }
  | { type: 'adam'; lr: number; beta1: number; beta2: number; epsilon: number };

export type ScheduleSpec =
  | { type: 'constant' }
  | { type: 'step'; every: number; factor: number }
  | { type: 'exponential'; gamma: number }
  | { type: 'cosine'; minLr: number };

export type ClippingSpec = { mode: 'none' } | { mode: 'norm'; norm: number } | { mode: 'value'; value: number };

export interface ModelSpec {
  name: string;
  seed: number;
  data: DataSpec;
  /** Layers in engine order, shorthand activations expanded right after their dense layer. */
  layers: LayerSpec[];
  loss: LossKind;
  optimizer: OptimizerSpec;
  schedule: ScheduleSpec;
  regularization: { l1: number; l2: number };
  clipping: ClippingSpec;
  epochs: number;
  batchSize: number;
  earlyStopping: { patience: number; minDelta: number } | null;
}

export interface SpecIssue {
  severity: 'error' | 'warning';
  message: string;
  path: JsonPath;
  /** Character offset and length of the offending range in the text. */
  offset: number;
  length: number;
  /** Layer this is about, if any, for messages such as "layers[2] (hidden1): ...". */
  layer: { index: number; name: string } | null;
}

export type ParseResult = { ok: true; spec: ModelSpec; issues: SpecIssue[] } | { ok: false; issues: SpecIssue[] };
