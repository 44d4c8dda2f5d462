// Turns a validated ModelSpec into live layers: the registry (spec/layer-kinds.ts) gives every layer its
// input and output shape, and the constructor table below, keyed by the same kinds, builds it. Each layer
// draws its initial weights and its dropout masks from Rng streams forked by the layer's name, so editing
// one layer never changes another's numbers.
import type { DType } from '../types';
import type { ActivationSpec, Conv2dSpec, DenseSpec, LayerKind, LayerSpec, ModelSpec, PoolSpec } from '../spec/model-spec';
import { descriptorOf, formatShape, inferShapes, shapeSize, type Shape, type SpecOf } from '../spec/layer-kinds';
import type { Kernels } from '../kernels/kernels';
import { allocKernelBuffer } from '../kernels/select';
import type { Rng } from '../rng';
import type { Layer } from './layer';
import type { Alloc } from './buffers';
import { DenseLayer } from './dense';
import { Conv2dLayer } from './conv2d';
import { ActivationLayer } from './activations';
import { DropoutLayer } from './dropout';
import { BatchNormLayer, FeatureNormLayer } from './normalization';
import { FlattenLayer, GlobalAvgPoolLayer, PoolLayer } from './pooling';
import { initialize } from './init';

interface BuildContext {
  position: number;
  input: Shape;
  output: Shape;
  alloc: Alloc;
  kernels: Kernels;
  regularization: { l1: number; l2: number };
  /** This layer's own streams. */
  initRng: Rng;
  dropoutRng: Rng;
}

type Constructors = { [K in LayerKind]: (spec: SpecOf<K>, c: BuildContext) => Layer };

const activation = (spec: ActivationSpec, c: BuildContext) => new ActivationLayer(spec, c.position, c.input, c.alloc);
const featureNorm = (spec: SpecOf<'layernorm' | 'groupnorm' | 'instancenorm'>, c: BuildContext) => new FeatureNormLayer(spec, c.position, c.input, c.alloc);
const pool = (spec: PoolSpec, c: BuildContext) => new PoolLayer(spec, c.position, c.input, c.output, c.alloc);

const CONSTRUCTORS: Constructors = {
  dense(spec, c) {
    const layer = new DenseLayer(spec, c.position, c.input, c.alloc, c.kernels, c.regularization);
    initWeights(layer, spec, c);
    return layer;
  },
  conv2d(spec, c) {
    const layer = new Conv2dLayer(spec, c.position, c.input, c.output, c.alloc, c.kernels, c.regularization);
    initWeights(layer, spec, c);
    return layer;
  },
  maxpool: pool,
  avgpool: pool,
  globalavgpool: (spec, c) => new GlobalAvgPoolLayer(spec, c.position, c.input, c.output, c.alloc),
  flatten: (spec, c) => new FlattenLayer(spec, c.position, c.input, c.output),
  dropout: (spec, c) => new DropoutLayer(spec, c.position, c.input, c.alloc, c.dropoutRng),
  batchnorm: (spec, c) => new BatchNormLayer(spec, c.position, c.input, c.alloc, c.kernels),
  layernorm: featureNorm,
  groupnorm: featureNorm,
  instancenorm: featureNorm,
  sigmoid: activation,
  tanh: activation,
  relu: activation,
  'leaky-relu': activation,
  relu6: activation,
  linear: activation,
  softmax: activation,
};

/** Initialises a weight layer with its fan-in and fan-out from the registry. */
function initWeights(layer: DenseLayer | Conv2dLayer, spec: DenseSpec | Conv2dSpec, c: BuildContext): void {
  const { fanIn, fanOut } = descriptorOf(spec).fans(spec, c.input)!;
  initialize(layer.weight.value, spec.init, fanIn, fanOut, c.initRng);
  if (layer.bias) initialize(layer.bias.value, spec.biasInit, fanIn, fanOut, c.initRng);
}

/**
 * Builds the expanded layer list for inputs of `input` shape (a number: that many flat features). Throws,
 * naming the layer, when there are no layers, a layer does not fit its input's shape, or the last layer's
 * width is not `outputs` (the width the data and loss need).
 */
export function buildModel(spec: ModelSpec, input: number | Shape, outputs: number, dtype: DType, rng: Rng, kernels: Kernels): Layer[] {
  if (spec.layers.length === 0) throw new Error('layers: the model has no layers');
  const inputShape = typeof input === 'number' ? [input] : input;
  const shaped = inferShapes(spec.layers, inputShape);
  if (shaped.problem) {
    const { spec: l, error } = shaped.problem;
    throw new Error(`layers[${l.index}] (${l.name})${error.field ? `.${error.field}` : ''}: ${error.error}`);
  }
  const initRng = rng.fork('init');
  const dropoutRng = rng.fork('dropout');
  // Buffers live in kernel memory when the kernels have their own (wasm), so products need no copies.
  const alloc = (n: number) => allocKernelBuffer(kernels, dtype, n);
  const layers = shaped.layers.map(({ spec: ls, input: inShape, output }, position) => {
    const make = CONSTRUCTORS[ls.kind] as (s: LayerSpec, c: BuildContext) => Layer;
    const c: BuildContext = {
      position, input: inShape, output, alloc, kernels, regularization: spec.regularization,
      initRng: initRng.fork(ls.name), dropoutRng: dropoutRng.fork(ls.name),
    };
    return make(ls, c);
  });
  const last = layers[layers.length - 1];
  if (last.outputSize !== outputs) {
    const where = `layers[${last.spec.index}] (${last.spec.name})`;
    const shape = last.outputShape.length > 1 ? ` (shape ${formatShape(last.outputShape)}; add a flatten and a dense layer)` : '';
    throw new Error(`${where}: the model ends with ${shapeSize(last.outputShape)} output(s)${shape} but the data and loss need ${outputs}`);
  }
  return layers;
}
