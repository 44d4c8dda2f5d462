// The CNN bench of issue 12: an MNIST-shaped CNN (conv 8 and 16 filters 3×3 "same" with ReLU and 2×2 max
// pooling, dense 10, Adam, batch 64) trained on the same 2 048 bundled digits by our engine on one thread and
// PyTorch on one thread, one epoch each per round, interleaved (a PyTorch process serves rounds), so a load
// change on the shared machine hits both alike; then TensorFlow.js. Prints samples/s over wall time and over
// each engine's own CPU time, the ratios, and one JSON line.
//   node --import tsx bench/cnn.ts                 speed (also the `cnn` case of `npm run bench`)
//   node --import tsx bench/cnn.ts --accuracy [examples/mnist-cnn.nn.json]
//     trains the example with our engine and with PyTorch (same layers, initialisers, Adam, batch size,
//     epochs and preprocessed data) and prints both validation accuracies.
import { execFileSync, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadDataset } from '../src/engine/data/load';
import type { Dataset, Split } from '../src/engine/data/dataset';
import type { ModelSpec } from '../src/engine/spec/model-spec';
import { Trainer } from '../src/engine/train/trainer';
import { torchInfo } from './torch';
import { useBackend } from './tfjs';
import { fmtRate, summarize } from './stats';
import { cnnBenchSpec, parseSpec } from './cnn-spec';

const PYTHON = '/usr/bin/python3';
const WARMUP = 1;
const ROUNDS = 6;

/** One epoch's throughput: samples per second of wall time and per second of the engine's own CPU time. */
interface Round {
  rate: number;
  cpuRate: number;
}

/** Our engine on one thread (no probes: the engine alone, as the peers run); each round is one more epoch. */
function oursSession(spec: ModelSpec, data: Dataset): { label: string; round(): Promise<Round> } {
  const trainer = new Trainer({ ...spec, epochs: 1 }, data, { yieldEveryMs: 0, threads: 1, dtype: 'float32' });
  return {
    label: `ours (${trainer.summary().kernel}, 1 thread)`,
    round: async () => {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await trainer.run();
      const wall = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(c0);
      return { rate: data.train.n / wall, cpuRate: data.train.n / ((cpu.user + cpu.system) / 1e6) };
    },
  };
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

/** Writes the splits where torch_cnn.py reads them and returns its configuration. */
function torchConfig(dir: string, spec: ModelSpec, data: Dataset, mode: 'serve' | 'accuracy', epochs: number): Record<string, unknown> {
  const files: Record<string, string> = {};
  const write = (name: string, split: Split) => {
    files[`${name}X`] = path.join(dir, `${name}.x.f32`);
    files[`${name}Y`] = path.join(dir, `${name}.y.i32`);
    writeFileSync(files[`${name}X`], Float32Array.from(split.x));
    writeFileSync(files[`${name}Y`], split.labels);
  };
  write('train', data.train);
  write('val', data.val);
  return {
    ...files, mode, epochs, seed: spec.seed, shape: data.inputShape, trainN: data.train.n, valN: data.val.n,
    layers: layersForTorch(spec), lr: spec.optimizer.lr, batch: spec.batchSize,
  };
}

const TORCH_ENV = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' };

function torchAccuracy(spec: ModelSpec, data: Dataset): Record<string, unknown> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nn-cnn-'));
  try {
    const cfg = torchConfig(dir, spec, data, 'accuracy', spec.epochs);
    const out = execFileSync(PYTHON, [path.join(__dirname, 'torch_cnn.py'), JSON.stringify(cfg)], { encoding: 'utf8', env: TORCH_ENV });
    return JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A PyTorch process on one thread that trains one epoch per round. */
async function torchSession(spec: ModelSpec, data: Dataset): Promise<{ label: string; round(): Promise<Round>; dispose(): void }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nn-cnn-'));
  const cfg = torchConfig(dir, spec, data, 'serve', 0);
  const child = spawn(PYTHON, [path.join(__dirname, 'torch_cnn.py'), JSON.stringify(cfg)], { env: TORCH_ENV, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown>> => {
    const line = await lines.next();
    if (line.done) throw new Error('bench/torch_cnn.py exited');
    return JSON.parse(line.value as string) as Record<string, unknown>;
  };
  const ready = await next();
  return {
    label: `pytorch ${String(ready.torch)} (1 thread)`,
    round: async () => {
      child.stdin.write('round\n');
      const r = await next();
      return { rate: r.rate as number, cpuRate: r.cpuRate as number };
    },
    dispose: () => {
      child.stdin.end();
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
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

const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

async function speed(): Promise<void> {
  const spec = cnnBenchSpec(1);
  const data = loadDataset(spec, {});
  console.log(`CNN bench (conv 8, conv 16 3×3 + 2×2 max pool, dense 10, Adam, batch 64, ${data.train.n} MNIST digits): ${os.cpus().length} cores, load average ${load()}`);
  const ours = oursSession(spec, data);
  const torch = torchInfo() ? await torchSession(spec, data) : null;
  const sessions = torch ? [ours, torch] : [ours];
  const rounds: Round[][] = sessions.map(() => []);
  try {
    for (let r = 0; r < WARMUP + ROUNDS; r++) {
      // alternate who goes first, so neither always follows the other's cache and load pattern
      const order = r % 2 ? [...sessions.keys()].reverse() : [...sessions.keys()];
      for (const s of order) {
        const result = await sessions[s].round();
        if (r >= WARMUP) rounds[s].push(result);
      }
    }
  } finally {
    torch?.dispose();
  }
  const wasm = await tfjs('wasm', data, 4, 2);
  const cpu = await tfjs('cpu', data, 2, 2);
  const med = (r: Round[], key: keyof Round) => summarize(r.map((x) => x[key])).median;
  console.log(`  ${'engine'.padEnd(36)} ${'samples/s wall (min–max)'.padStart(26)} ${'samples per CPU-second'.padStart(24)}`);
  sessions.forEach((s, i) => {
    console.log(`  ${s.label.padEnd(36)} ${fmtRate(summarize(rounds[i].map((x) => x.rate))).padStart(26)} ${fmtRate(summarize(rounds[i].map((x) => x.cpuRate))).padStart(24)}`);
  });
  if (!torch) console.log('  pytorch: skipped (python3-torch not installed)');
  for (const [engine, r] of [['tfjs-wasm', wasm], ['tfjs-cpu', cpu]] as const) {
    console.log(`  ${engine.padEnd(36)} ${typeof r === 'string' ? `cannot train: ${r}` : `${fmtRate(summarize(r))} samples/s wall`}`);
  }
  const ratio = (a: number, b: number | null) => (b ? Number((a / b).toFixed(2)) : null);
  const oursRate = med(rounds[0], 'rate');
  const torchRate = torch ? med(rounds[1], 'rate') : null;
  const oursOverTorch1t = ratio(oursRate, torchRate);
  console.log(`  load average at the end: ${load()}`);
  console.log(JSON.stringify({
    bench: 'nn-debugger-cnn', oursSamplesPerSecond: Math.round(oursRate), torchSamplesPerSecond: torchRate && Math.round(torchRate),
    oursOverTorch1t, oursOverTorch1tCpuTime: torch ? ratio(med(rounds[0], 'cpuRate'), med(rounds[1], 'cpuRate')) : null,
    oursOverTfjsCpu: ratio(oursRate, Array.isArray(cpu) ? summarize(cpu).median : null), tfjsWasm: typeof wasm === 'string' ? `cannot train: ${wasm}` : 'trains',
    'ours 1 thread >= 1.5x pytorch 1 thread': oursOverTorch1t === null ? null : oursOverTorch1t >= 1.5,
  }));
}

async function accuracy(file: string): Promise<void> {
  const spec = parseSpec(readFileSync(file, 'utf8'), file);
  const data = loadDataset(spec, {});
  const trainer = new Trainer(spec, data, { yieldEveryMs: 0 });
  const summary = await trainer.run();
  const torch = torchAccuracy(spec, data);
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
