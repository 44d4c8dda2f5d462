// Turns a validated ModelSpec into live layers. Each layer draws its initial weights and its dropout masks
// from Rng streams forked by the layer's name, so editing one layer never changes another's numbers.
import type { DType } from '../types';
import type { ModelSpec } from '../spec/model-spec';
import type { Kernels } from '../kernels/kernels';
import { allocKernelBuffer } from '../kernels/select';
import type { Rng } from '../rng';
import type { Layer } from './layer';
import { DenseLayer } from './dense';
import { ActivationLayer } from './activations';
import { DropoutLayer } from './dropout';
import { BatchNormLayer, FeatureNormLayer } from './normalization';
import { initialize } from './init';

/**
 * Builds the expanded layer list for `inputs` features. Throws when there are no layers or the last
 * layer's width is not `outputs` (the width the data and loss need), naming the layer.
 */
export function buildModel(spec: ModelSpec, inputs: number, outputs: number, dtype: DType, rng: Rng, kernels: Kernels): Layer[] {
  if (spec.layers.length === 0) throw new Error('layers: the model has no layers');
  const initRng = rng.fork('init');
  const dropoutRng = rng.fork('dropout');
  // Buffers live in kernel memory when the kernels have their own (wasm), so products need no copies.
  const alloc = (n: number) => allocKernelBuffer(kernels, dtype, n);
  const layers: Layer[] = [];
  let width = inputs;
  spec.layers.forEach((ls, position) => {
    let layer: Layer;
    switch (ls.kind) {
      case 'dense': {
        const dense = new DenseLayer(ls, position, width, alloc, kernels, spec.regularization);
        const r = initRng.fork(ls.name);
        initialize(dense.weight.value, ls.init, width, ls.units, r);
        if (dense.bias) initialize(dense.bias.value, ls.biasInit, width, ls.units, r);
        layer = dense;
        break;
      }
      case 'dropout':
        layer = new DropoutLayer(ls, position, width, alloc, dropoutRng.fork(ls.name));
        break;
      case 'batchnorm':
        layer = new BatchNormLayer(ls, position, width, alloc);
        break;
      case 'layernorm':
      case 'groupnorm':
        layer = new FeatureNormLayer(ls, position, width, alloc);
        break;
      default:
        layer = new ActivationLayer(ls, position, width, alloc);
    }
    layers.push(layer);
    width = layer.outputSize;
  });
  if (width !== outputs) {
    const last = spec.layers[spec.layers.length - 1];
    const where = `layers[${last.index}] (${last.name})`;
    throw new Error(`${where}: the model ends with ${width} output(s) but the data and loss need ${outputs}`);
  }
  return layers;
}
