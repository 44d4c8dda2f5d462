// The engine on every kernel path: float64 finite-difference gradient checks of dense layers whose shapes
// cross the tile edges (tiled and reference paths), and real training runs with the Trainer in float32
// (wasm-simd, its 2-thread split, js-tiled) that must converge and agree with each other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Kernels } from '../../src/engine/kernels/kernels';
import { referenceKernels } from '../../src/engine/kernels/reference';
import { tiledKernels } from '../../src/engine/kernels/tiled';
import { wasmKernels } from '../../src/engine/kernels/select';
import { buildModel } from '../../src/engine/layers/build';
import { Rng } from '../../src/engine/rng';
import { Trainer } from '../../src/engine/train/trainer';
import { act, blobs, classificationData, dense, lcg, makeSpec, maxGradError } from './engine-helpers';

function randomArray(n: number, seed: number): Float64Array {
  const r = lcg(seed);
  return Float64Array.from({ length: n }, () => 2 * r() - 1);
}

for (const kernels of [tiledKernels, referenceKernels] as Kernels[]) {
  test(`float64 gradient check of a 9→13 dense layer, batch 7, on ${kernels.name}`, () => {
    const [layer] = buildModel(makeSpec({ layers: [dense(13)], loss: 'mse' }), 9, 13, 'float64', new Rng(3), kernels);
    const batch = 7;
    const x = randomArray(batch * 9, 1);
    const proj = randomArray(batch * 13, 2);
    const f = () => {
      const y = layer.forward(x, batch, true);
      let s = 0;
      for (let i = 0; i < proj.length; i++) s += proj[i] * y[i];
      return s;
    };
    f();
    const dIn = Float64Array.from(layer.backward(proj, batch));
    const grads = layer.params.map((p) => Float64Array.from(p.grad));
    let worst = maxGradError(x, dIn, f);
    layer.params.forEach((p, k) => (worst = Math.max(worst, maxGradError(p.value, grads[k], f))));
    assert.ok(worst < 1e-6, `relative error ${worst}`);
  });
}

function blobsData() {
  const tr = blobs(300, 3, 21, 0.6);
  const va = blobs(90, 3, 22, 0.6);
  return classificationData(tr.x, tr.y, va.x, va.y, 3);
}

async function trainWith(path: string, threads: string | undefined): Promise<{ kernel: string; loss: number; accuracy: number }> {
  const saved = [process.env.NN_DEBUGGER_KERNELS, process.env.NN_DEBUGGER_THREADS];
  process.env.NN_DEBUGGER_KERNELS = path;
  if (threads) process.env.NN_DEBUGGER_THREADS = threads;
  else Reflect.deleteProperty(process.env, 'NN_DEBUGGER_THREADS');
  try {
    // 64×128×128 products are above the size at which the wasm path splits work across threads.
    const spec = makeSpec({ layers: [dense(128), act('relu'), dense(128), act('relu'), dense(3)], batchSize: 64, epochs: 15, seed: 4 });
    const trainer = new Trainer(spec, blobsData(), { dtype: 'float32', yieldEveryMs: 0 });
    const summary = await trainer.run();
    return { kernel: trainer.summary().kernel, loss: summary.final.loss!, accuracy: summary.final.valAccuracy! };
  } finally {
    for (const [k, v] of [['NN_DEBUGGER_KERNELS', saved[0]], ['NN_DEBUGGER_THREADS', saved[1]]] as const) {
      if (v === undefined) Reflect.deleteProperty(process.env, k);
      else process.env[k] = v;
    }
  }
}

test('float32 training converges on every path and the paths agree', async () => {
  assert.ok(wasmKernels(), 'wasm path expected on Node 20');
  const runs = [await trainWith('wasm-simd', undefined), await trainWith('wasm-simd', '2'), await trainWith('js-tiled', undefined)];
  assert.deepEqual(runs.map((r) => r.kernel), ['wasm-simd', 'wasm-simd-x2', 'js-tiled']);
  for (const r of runs) assert.ok(r.accuracy > 0.9 && r.loss < 0.3, `${r.kernel}: loss ${r.loss}, val accuracy ${r.accuracy}`);
  // Row-split threads compute every element identically, so the whole run is bit-for-bit the same.
  assert.equal(runs[1].loss, runs[0].loss);
  assert.ok(Math.abs(runs[2].loss - runs[0].loss) < 0.02, `wasm ${runs[0].loss} vs js-tiled ${runs[2].loss}`);
});
