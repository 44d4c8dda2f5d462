// The engine on every kernel path: float64 finite-difference gradient checks of dense layers whose shapes
// cross the tile edges (tiled and reference paths), and real training runs with the Trainer in float32
// (wasm-simd on 1, 2 and 3 threads, js-tiled) that must converge and agree with each other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Kernels } from '../../src/engine/kernels/kernels';
import { referenceKernels } from '../../src/engine/kernels/reference';
import { tiledKernels } from '../../src/engine/kernels/tiled';
import { availableParallelism } from 'node:os';
import { defaultThreads, wasmKernels } from '../../src/engine/kernels/select';
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

interface Trained {
  kernel: string;
  loss: number;
  accuracy: number;
  /** Every parameter value after training, in layer order. */
  weights: Float32Array;
  /** Every parameter lives in the wasm heap (so the kernels use it in place instead of copying). */
  inHeap: boolean;
}

async function trainWith(path: string, threads: number | undefined): Promise<Trained> {
  const saved = [process.env.NN_DEBUGGER_KERNELS, process.env.NN_DEBUGGER_THREADS];
  process.env.NN_DEBUGGER_KERNELS = path;
  if (threads) {
    process.env.NN_DEBUGGER_THREADS = String(threads);
    // Helpers start asynchronously (the caller does their share until then): wait so every one takes part.
    const kernels = wasmKernels(threads)!;
    for (let waited = 0; kernels.activeThreads() < threads && waited < 10_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
    assert.equal(kernels.activeThreads(), threads, `${threads} threads should have started`);
  } else Reflect.deleteProperty(process.env, 'NN_DEBUGGER_THREADS');
  try {
    // 64×128×128 products are above the size at which the wasm path splits work across threads.
    const spec = makeSpec({ layers: [dense(128), act('relu'), dense(128), act('relu'), dense(3)], batchSize: 64, epochs: 15, seed: 4 });
    const trainer = new Trainer(spec, blobsData(), { dtype: 'float32', yieldEveryMs: 0 });
    const summary = await trainer.run();
    const weights = Float32Array.from(trainer.layers.flatMap((l) => l.params.flatMap((p) => Array.from(p.value))));
    const heap = threads ? wasmKernels(threads)!.heap : null;
    const inHeap = heap !== null && trainer.layers.every((l) => l.params.every((p) => heap.owns(p.value) && heap.owns(p.grad)));
    return { kernel: trainer.summary().kernel, loss: summary.final.loss!, accuracy: summary.final.valAccuracy!, weights, inHeap };
  } finally {
    for (const [k, v] of [['NN_DEBUGGER_KERNELS', saved[0]], ['NN_DEBUGGER_THREADS', saved[1]]] as const) {
      if (v === undefined) Reflect.deleteProperty(process.env, k);
      else process.env[k] = v;
    }
  }
}

test('float32 training converges on every path, and the wasm path is bit-identical for 1, 2 and 3 threads', async () => {
  assert.ok(wasmKernels(1), 'wasm path expected on Node 20');
  const runs = [await trainWith('wasm-simd', 1), await trainWith('wasm-simd', 2), await trainWith('wasm-simd', 3), await trainWith('js-tiled', undefined)];
  assert.deepEqual(runs.map((r) => r.kernel.replace(/^wasm-(relaxed-)?simd/, 'wasm')), ['wasm', 'wasm-x2', 'wasm-x3', 'js-tiled']);
  for (const r of runs) assert.ok(r.accuracy > 0.9 && r.loss < 0.3, `${r.kernel}: loss ${r.loss}, val accuracy ${r.accuracy}`);
  // With helper threads sharing the memory too (V8 may then hand out new buffer objects for it).
  for (const r of runs.slice(0, 3)) assert.ok(r.inHeap, `${r.kernel}: parameters should live in the wasm heap`);
  // Every element of every product and element-wise pass is computed by the same instruction sequence
  // whichever thread runs it, so the whole run is bit-for-bit the same.
  for (const r of runs.slice(1, 3)) {
    assert.equal(r.loss, runs[0].loss, r.kernel);
    assert.ok(r.weights.every((w, i) => Object.is(w, runs[0].weights[i])), `${r.kernel}: weights differ from one thread's`);
  }
  assert.ok(Math.abs(runs[3].loss - runs[0].loss) < 0.02, `wasm ${runs[0].loss} vs js-tiled ${runs[3].loss}`);
});

test('a run uses every core by default, at most the cap it is given, and NN_DEBUGGER_THREADS exactly', () => {
  const saved = process.env.NN_DEBUGGER_THREADS;
  Reflect.deleteProperty(process.env, 'NN_DEBUGGER_THREADS');
  try {
    assert.equal(defaultThreads(), Math.min(availableParallelism(), 16));
    assert.equal(defaultThreads(0), defaultThreads());
    assert.equal(defaultThreads(1), 1);
    assert.equal(defaultThreads(64), defaultThreads());
    process.env.NN_DEBUGGER_THREADS = '3';
    assert.equal(defaultThreads(1), 3);
  } finally {
    if (saved === undefined) Reflect.deleteProperty(process.env, 'NN_DEBUGGER_THREADS');
    else process.env.NN_DEBUGGER_THREADS = saved;
  }
});
