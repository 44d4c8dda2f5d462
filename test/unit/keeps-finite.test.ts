// LayerTraits.keepsFinite lets the step runner skip the NaN/Inf check after a layer; these tests hold every
// layer kind that claims it to the claim, in float32 on the wasm path (where training overflows), with
// inputs and gradients at the edges of the float32 range.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LayerSpec } from '../../src/engine/spec/model-spec';
import { LAYER_KIND_NAMES, descriptorOf, inferShapes, shapeSize, traitsOf } from '../../src/engine/spec/layer-kinds';
import { buildModel } from '../../src/engine/layers/build';
import { allocKernelBuffer, wasmKernels } from '../../src/engine/kernels/select';
import { Rng } from '../../src/engine/rng';
import { act, dense, dropout, flatten, globalavgpool, init, lcg, makeSpec, pool, regressionData } from './engine-helpers';
import { Trainer } from '../../src/engine/train/trainer';

const MAX = 3.4028234663852886e38;
const EDGES = [MAX, -MAX, 1e38, -1e38, 6, -6, 1, -1, 1e-45, -1e-45, 0];

/** One layer of each kind, with the input it takes; more than one where the geometry matters. */
const SAMPLES: [LayerSpec, number | number[]][] = [
  [act('relu'), 24],
  [act('relu6'), 24],
  [act('leaky-relu', { alpha: 0.01 }), 24],
  [act('tanh'), 24],
  [act('sigmoid'), 24],
  [act('linear'), 24],
  [act('softmax'), 24],
  [pool('maxpool', 2), [2, 4, 4]],
  [pool('maxpool', 3, 1), [2, 5, 5]],
  [pool('avgpool', 2), [2, 4, 4]],
  [globalavgpool(), [2, 3, 3]],
  [flatten(), [2, 3, 3]],
  [dropout(0.5), 24],
];

test('every layer kind that claims to keep values finite has a sample here', () => {
  for (const kind of LAYER_KIND_NAMES) {
    if (traitsOf(kind)!.keepsFinite === null) continue;
    assert.ok(SAMPLES.some(([s]) => s.kind === kind), `${kind} claims keepsFinite: add a sample`);
  }
});

test('a layer that keeps values finite gives finite outputs (and, for both, input gradients) at the float32 extremes', () => {
  const kernels = wasmKernels(1)!;
  for (const [spec, input] of SAMPLES) {
    const keeps = descriptorOf(spec).traits.keepsFinite;
    if (keeps === null) continue;
    const shape = typeof input === 'number' ? [input] : input;
    const outputs = shapeSize(inferShapes([spec], shape).layers[0].output);
    const [layer] = buildModel(makeSpec({ layers: [spec] }), input, outputs, 'float32', new Rng(3), kernels);
    const batch = 6;
    const n = batch * layer.inputSize;
    for (const seed of [1, 2, 3, 4]) {
      const r = lcg(seed);
      const pick = () => EDGES[Math.floor(r() * EDGES.length)];
      const x = allocKernelBuffer(kernels, 'float32', n);
      for (let i = 0; i < n; i++) x[i] = pick();
      const y = layer.forward(x, batch, true);
      const at = Array.from(y.subarray(0, batch * layer.outputSize)).findIndex((v) => !Number.isFinite(v));
      assert.equal(at, -1, `${spec.kind} forward, seed ${seed}: output ${at} is ${y[at]}`);
      if (keeps !== 'both') continue;
      const dy = allocKernelBuffer(kernels, 'float32', batch * layer.outputSize);
      for (let i = 0; i < dy.length; i++) dy[i] = pick();
      const dx = layer.backward(dy, batch);
      const bad = Array.from(dx.subarray(0, n)).findIndex((v) => !Number.isFinite(v));
      assert.equal(bad, -1, `${spec.kind} backward, seed ${seed}: input gradient ${bad} is ${dx[bad]}`);
    }
  }
});

test('after an unchecked layer, a layer without the claim is still checked: the overflow is reported where it happens', async () => {
  // dense_1 writes 3e38 (finite), the ReLU passes it on unchecked, and dropout's 1/(1-rate) scaling overflows
  const x = [[1, 0, 0, 0]];
  const layers = [dense(16, { init: init('constant', { value: 3e38 }), useBias: false }), act('relu'), dropout(0.5), dense(1)];
  const data = regressionData(x, [[0]], x, [[0]]);
  const spec = makeSpec({ layers, loss: 'mse', batchSize: 1, data: { ...makeSpec({ layers: [] }).data, task: 'regression' } });
  const summary = await new Trainer(spec, data, { yieldEveryMs: 0, dtype: 'float32' }).run();
  assert.equal(summary.nonFinite?.stage, 'forward');
  assert.equal(summary.nonFinite?.layer?.index, 2);
});
