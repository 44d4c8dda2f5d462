// The CNN of the bench (issue 12): MNIST-shaped, conv 8 and 16 filters 3×3 "same" with ReLU and 2×2 max
// pooling, dense 10, Adam, batch 64, on 2 048 bundled digits. Shared by bench/cnn.ts and bench/profile.ts.
import { parseModel } from '../src/engine/spec/parse';
import type { ModelSpec } from '../src/engine/spec/model-spec';

const BENCH_LAYERS = [
  { type: 'conv2d', filters: 8, kernel: 3, padding: 'same', activation: 'relu' },
  { type: 'maxpool', size: 2 },
  { type: 'conv2d', filters: 16, kernel: 3, padding: 'same', activation: 'relu' },
  { type: 'maxpool', size: 2 },
  { type: 'dense', units: 10 },
];

export function parseSpec(text: string, file: string): ModelSpec {
  const r = parseModel(text, file);
  if (!r.ok) throw new Error(r.issues.map((i) => i.message).join('\n'));
  return r.spec;
}

export const cnnBenchSpec = (epochs: number): ModelSpec =>
  parseSpec(JSON.stringify({ name: 'cnn-bench', seed: 1, data: { source: 'mnist', samples: 2048, validationSplit: 0, preprocess: 'zero-center' }, layers: BENCH_LAYERS, loss: 'softmax-cross-entropy', optimizer: { type: 'adam', lr: 0.001 }, epochs, batchSize: 64 }), 'cnn-bench.nn.json');
