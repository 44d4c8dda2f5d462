// TensorFlow.js peers (dev dependencies, never bundled): the same model, data, shuffling and Adam, trained
// with a lean custom loop (optimizer.minimize per batch, no model.fit overhead) on the cpu or wasm backend.
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import type { BenchCase } from './cases';
import { Rng } from '../src/engine/rng';

export type TfBackend = 'cpu' | 'wasm';

export async function useBackend(backend: TfBackend): Promise<void> {
  if (backend === 'wasm') setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep);
  if (!(await tf.setBackend(backend))) throw new Error(`tf.js backend ${backend} failed to initialise`);
  await tf.ready();
}

/** Whether the wasm backend runs its SIMD and multi-threaded binaries here (for the bench header). */
export async function tfjsWasmFeatures(): Promise<string> {
  await useBackend('wasm');
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  return `tf.js ${tf.version.tfjs}, wasm backend SIMD ${simd ? 'on' : 'off'}, threads ${threads ? 'on' : 'off (1 thread)'}`;
}

function model(c: BenchCase): tf.Sequential {
  const m = tf.sequential();
  c.hidden.forEach((units, i) => {
    m.add(tf.layers.dense({ units, kernelInitializer: 'heNormal', ...(i === 0 ? { inputShape: [c.data.inputs] } : {}) }));
    if (c.batchNorm) m.add(tf.layers.batchNormalization({ momentum: 0.99, epsilon: 1e-3 }));
    m.add(tf.layers.reLU());
  });
  m.add(tf.layers.dense({ units: c.data.classes }));
  return m;
}

/**
 * A tf.js model kept across rounds; a round is `roundSamples` samples (a whole epoch, or less for the slow
 * cpu backend). `dispose` frees it before another backend is selected.
 */
export async function tfjsSession(c: BenchCase, backend: TfBackend, roundSamples: number): Promise<{ round(): Promise<number>; dispose(): void }> {
  await useBackend(backend);
  const m = model(c);
  const opt = tf.train.adam(1e-3, 0.9, 0.999, 1e-7);
  const { inputs, classes, x, labels, n } = c.data;
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const rng = new Rng(1);
  const xb = new Float32Array(c.batch * inputs);
  const yb = new Int32Array(c.batch);
  let cursor = n;
  const round = async (): Promise<number> => {
    const t0 = performance.now();
    for (let done = 0; done < roundSamples; done += c.batch) {
      if (cursor + c.batch > n) {
        rng.shuffle(order);
        cursor = 0;
      }
      for (let r = 0; r < c.batch; r++) {
        const s = order[cursor + r];
        xb.set(x.subarray(s * inputs, (s + 1) * inputs), r * inputs);
        yb[r] = labels[s];
      }
      cursor += c.batch;
      tf.tidy(() => {
        const xs = tf.tensor2d(xb, [c.batch, inputs]);
        const ys = tf.oneHot(tf.tensor1d(yb, 'int32'), classes);
        opt.minimize(() => tf.losses.softmaxCrossEntropy(ys, m.apply(xs, { training: true }) as tf.Tensor) as tf.Scalar);
      });
    }
    await (m.getWeights()[0] as tf.Tensor).data(); // wait for the last step
    return (Math.ceil(roundSamples / c.batch) * c.batch * 1000) / (performance.now() - t0);
  };
  return {
    round,
    dispose: () => {
      m.dispose();
      opt.dispose();
    },
  };
}
