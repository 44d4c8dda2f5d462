// The CNN bench of issue 12: an MNIST-shaped CNN (conv 8 and 16 filters 3×3 "same" with ReLU and 2×2 max
// pooling, dense 10, Adam, batch 64) trained on the same 2 048 bundled digits by our engine, PyTorch on one
// thread and TensorFlow.js, in one run; prints samples/s per engine and the ratios as one JSON line.
//   node --import tsx bench/cnn.ts                 speed
//   node --import tsx bench/cnn.ts --accuracy [examples/mnist-cnn.nn.json]
//     trains the example with our engine and with PyTorch (same layers, initialisers, Adam, batch size,
//     epochs and preprocessed data) and prints both validation accuracies.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { parseModel } from '../src/engine/spec/parse';
import { loadDataset } from '../src/engine/data/load';
import type { Dataset, Split } from '../src/engine/data/dataset';
import type { ModelSpec } from '../src/engine/spec/model-spec';
import { Trainer } from '../src/engine/train/trainer';
import { torchInfo } from './torch';
import { useBackend } from './tfjs';
import { fmtRate, summarize } from './stats';

const PYTHON = '/usr/bin/python3';
const WARMUP = 1;
const ROUNDS = 4;

const BENCH_LAYERS = [
  { type: 'conv2d', filters: 8, kernel: 3, padding: 'same', activation: 'relu' },
  { type: 'maxpool', size: 2 },
  { type: 'conv2d', filters: 16, kernel: 3, padding: 'same', activation: 'relu' },
  { type: 'maxpool', size: 2 },
  { type: 'dense', units: 10 },
];

function parse(text: string, file: string): ModelSpec {
  const r = parseModel(text, file);
  if (!r.ok) throw new Error(r.issues.map((i) => i.message).join('\n'));
  return r.spec;
}

const benchSpec = (epochs: number) =>
  parse(JSON.stringify({ name: 'cnn-bench', seed: 1, data: { source: 'mnist', samples: 2048, validationSplit: 0, preprocess: 'zero-center' }, layers: BENCH_LAYERS, loss: 'softmax-cross-entropy', optimizer: { type: 'adam', lr: 0.001 }, epochs, batchSize: 64 }), 'cnn-bench.nn.json');

/** Our samples/s per epoch after warm-up (no probes: the engine alone, as the peers run). */
async function ours(spec: ModelSpec, data: Dataset): Promise<number[]> {
  const trainer = new Trainer(spec, data, { yieldEveryMs: 0 });
  const rates: number[] = [];
  trainer.on((e) => {
    if (e.type === 'epoch' && e.metrics.epoch > WARMUP) rates.push(e.metrics.samplesPerSecond);
  });
  await trainer.run();
  return rates;
}

/** The `.nn.json` layers as written, with the initialiser each weight layer resolved to. */
function layersForTorch(spec: ModelSpec): object[] {
  const out: Record<string, unknown>[] = [];
  for (const l of spec.layers) {
    if (l.kind === 'conv2d') out.push({ type: 'conv2d', filters: l.filters, kernel: l.kernel, stride: l.stride, padding: l.padding, init: l.init.type });
    else if (l.kind === 'dense') out.push({ type: 'dense', units: l.units, init: l.init.type });
    else if (l.kind === 'maxpool' || l.kind === 'avgpool') out.push({ type: l.kind, size: l.size, stride: l.stride });
    else out.push({ type: l.kind });
  }
  return out;
}

function runTorch(spec: ModelSpec, data: Dataset, mode: 'speed' | 'accuracy', epochs: number): Record<string, unknown> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nn-cnn-'));
  try {
    const files: Record<string, string> = {};
    const write = (name: string, split: Split) => {
      files[`${name}X`] = path.join(dir, `${name}.x.f32`);
      files[`${name}Y`] = path.join(dir, `${name}.y.i32`);
      writeFileSync(files[`${name}X`], Float32Array.from(split.x));
      writeFileSync(files[`${name}Y`], split.labels);
    };
    write('train', data.train);
    write('val', data.val);
    const cfg = {
      ...files, mode, epochs, warmup: WARMUP, seed: spec.seed, shape: data.inputShape, trainN: data.train.n, valN: data.val.n,
      layers: layersForTorch(spec), lr: spec.optimizer.lr, batch: spec.batchSize,
    };
    const env = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' };
    const out = execFileSync(PYTHON, [path.join(__dirname, 'torch_cnn.py'), JSON.stringify(cfg)], { encoding: 'utf8', env });
    return JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function tfModel(): tf.Sequential {
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: 'heNormal' }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: 'heNormal' }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 10 }));
  return m;
}

/** tf.js samples/s over `steps` batches of 64 per round, or the error that stopped it. */
async function tfjs(backend: 'cpu' | 'wasm', data: Dataset, steps: number, rounds: number): Promise<number[] | string> {
  await useBackend(backend);
  const m = tfModel();
  const opt = tf.train.adam(1e-3);
  // tf.js wants channels last; MNIST has one channel, so the bytes are the same
  const xs = tf.tensor4d(Float32Array.from(data.train.x.subarray(0, 64 * 28 * 28)), [64, 28, 28, 1]);
  const ys = tf.oneHot(tf.tensor1d(data.train.labels.subarray(0, 64), 'int32'), 10);
  try {
    const rates: number[] = [];
    for (let r = 0; r <= rounds; r++) {
      const t0 = performance.now();
      for (let s = 0; s < steps; s++) {
        tf.tidy(() => {
          opt.minimize(() => tf.losses.softmaxCrossEntropy(ys, m.apply(xs, { training: true }) as tf.Tensor) as tf.Scalar);
        });
      }
      await (m.getWeights()[0] as tf.Tensor).data();
      if (r > 0) rates.push((steps * 64 * 1000) / (performance.now() - t0));
    }
    return rates;
  } catch (e) {
    return e instanceof Error ? e.message.split('\n')[0] : String(e);
  } finally {
    m.dispose();
    opt.dispose();
    xs.dispose();
    ys.dispose();
  }
}

async function speed(): Promise<void> {
  const spec = benchSpec(WARMUP + ROUNDS);
  const data = loadDataset(spec, {});
  const torch = torchInfo();
  console.log(`CNN bench (conv 8, conv 16 3×3 + 2×2 max pool, dense 10, Adam, batch 64, ${data.train.n} MNIST digits): ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(2)}`);
  // the machine is shared: our rounds run before and after PyTorch's, so a load change hits both alike
  const oursRates = await ours(spec, data);
  const torchRates = torch ? (runTorch(spec, data, 'speed', WARMUP + ROUNDS).rates as number[]) : null;
  oursRates.push(...(await ours(spec, data)));
  const wasm = await tfjs('wasm', data, 4, 2);
  const cpu = await tfjs('cpu', data, 2, 2);
  const rows: [string, number[] | string | null][] = [['ours', oursRates], ['pytorch cpu 1 thread', torchRates], ['tfjs-wasm', wasm], ['tfjs-cpu', cpu]];
  for (const [engine, r] of rows) {
    const shown = r === null ? 'skipped (python3-torch not installed)' : typeof r === 'string' ? `cannot train: ${r}` : `${fmtRate(summarize(r))} samples/s`;
    console.log(`  ${engine.padEnd(22)} ${shown}`);
  }
  const med = (r: number[] | string | null) => (Array.isArray(r) ? summarize(r).median : null);
  const ratio = (peer: number | null) => (peer ? Number((med(oursRates)! / peer).toFixed(2)) : null);
  console.log(JSON.stringify({
    bench: 'nn-debugger-cnn', oursSamplesPerSecond: Math.round(med(oursRates)!), oursOverTorch1t: ratio(med(torchRates)),
    oursOverTfjsCpu: ratio(med(cpu)), tfjsWasm: typeof wasm === 'string' ? `cannot train: ${wasm}` : 'trains', torchTarget1_5x: ratio(med(torchRates)) === null ? null : ratio(med(torchRates))! >= 1.5,
  }));
}

async function accuracy(file: string): Promise<void> {
  const spec = parse(readFileSync(file, 'utf8'), file);
  const data = loadDataset(spec, {});
  const trainer = new Trainer(spec, data, { yieldEveryMs: 0 });
  const summary = await trainer.run();
  const torch = runTorch(spec, data, 'accuracy', spec.epochs);
  const oursAcc = summary.final.valAccuracy!;
  const torchAcc = torch.valAccuracy as number;
  console.log(`${path.basename(file)}: ${spec.epochs} epochs, ${data.train.n} training / ${data.val.n} validation samples`);
  console.log(`  ours    validation accuracy ${(100 * oursAcc).toFixed(2)} %`);
  console.log(`  pytorch validation accuracy ${(100 * torchAcc).toFixed(2)} % (torch ${String(torch.torch)})`);
  console.log(JSON.stringify({ bench: 'nn-debugger-cnn-accuracy', model: spec.name, ours: oursAcc, torch: torchAcc, differencePoints: Number((100 * (oursAcc - torchAcc)).toFixed(2)) }));
}

const args = process.argv.slice(2);
const run = args[0] === '--accuracy' ? accuracy(args[1] ?? path.join(__dirname, '..', 'examples', 'mnist-cnn.nn.json')) : speed();
run.catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
