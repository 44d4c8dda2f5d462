// `node --import tsx bench/profile.ts [--cases=<substring>] [--threads=N] [--epochs=N] [--top=N]`: trains each bench
// case under V8's sampling profiler (a child `node --cpu-prof`) and prints where a training step spends its
// time: self time per function, grouped into the stages of a step. bench/PROFILE.md records a reading.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { benchCases, dataset, modelSpec } from './cases';
import { Trainer } from '../src/engine/train/trainer';
import { loadDataset } from '../src/engine/data/load';
import { cnnBenchSpec } from './cnn-spec';

/** The bench's CNN (bench/cnn.ts) is profiled as one more case. */
const CNN_ID = 'cnn b64';
const caseIds = () => [...benchCases().map((c) => c.id), CNN_ID];

const args = process.argv.slice(2);
const opt = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Stage of a step a function belongs to, by name (wasm functions appear under their export index). */
function stageOf(fn: string, url: string): string {
  if (url.startsWith('wasm://') || /^(js-to-wasm|wasm-function)/.test(fn)) return 'wasm kernels';
  const file = path.basename(url);
  if (/dense|conv2d|pooling|activations|normalization|dropout/.test(file)) return `layer TS (${file})`;
  if (/optimizers|clipping|losses|step-runner|buffers|targets|trainer|regularization/.test(file)) return `train TS (${file})`;
  if (/wasm-kernels|wasm-conv|wasm-pool|select|wasm-heap|im2col/.test(file)) return `kernel glue TS (${file})`;
  if (fn === '(garbage collector)') return 'GC';
  if (fn === '(idle)' || fn === '(program)' || fn === '(root)') return fn;
  return 'other';
}

function summarize(file: string): void {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  prof.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
  // Percentages of busy time: the idle thread and process start-up are left out of the total.
  const total = [...self].filter(([id]) => !/^\((idle|root)\)$/.test(byId.get(id)!.callFrame.functionName)).reduce((a, [, us]) => a + us, 0);
  const byFn = new Map<string, number>();
  const byStage = new Map<string, number>();
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (/^\((idle|root)\)$/.test(functionName)) continue;
    const key = `${functionName || '(anonymous)'} ${path.basename(url)}:${lineNumber + 1}`;
    byFn.set(key, (byFn.get(key) ?? 0) + us);
    const stage = stageOf(functionName, url);
    byStage.set(stage, (byStage.get(stage) ?? 0) + us);
  }
  const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)} %`;
  console.log('  by stage:');
  for (const [s, us] of [...byStage].sort((a, b) => b[1] - a[1])) console.log(`    ${pct(us)}  ${s}`);
  console.log('  top functions (self time):');
  for (const [f, us] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, Number(opt('top') ?? 14))) console.log(`    ${pct(us)}  ${f}`);
}

async function child(id: string, epochs: number): Promise<void> {
  let trainer: Trainer;
  if (id === CNN_ID) {
    const spec = cnnBenchSpec(epochs);
    trainer = new Trainer(spec, loadDataset(spec, {}), { epochs, dtype: 'float32', yieldEveryMs: 0 });
  } else {
    const c = benchCases().find((x) => x.id === id)!;
    trainer = new Trainer(modelSpec(c), dataset(c.data), { epochs, dtype: 'float32', yieldEveryMs: 0 });
  }
  const summary = await trainer.run();
  console.log(`  ${trainer.summary().kernel}: ${Math.round(summary.samplesPerSecond).toLocaleString('en-US')} samples/s over ${epochs} epochs`);
}

if (opt('child')) {
  void child(opt('child')!, Number(opt('epochs') ?? 6));
} else {
  const filter = opt('cases');
  const threads = opt('threads');
  for (const id of caseIds().filter((x) => !filter || x.includes(filter))) {
    const dir = mkdtempSync(path.join(tmpdir(), 'nn-prof-'));
    console.log(`${id}${threads ? `, ${threads} thread(s)` : ''}`);
    // the child runs with this process's runtime flags (relaxed SIMD), so it profiles the build the bench measures
    const r = spawnSync(process.execPath, [...process.execArgv.filter((a) => a.startsWith('--experimental')), '--cpu-prof', `--cpu-prof-dir=${dir}`, '--import', 'tsx', __filename, `--child=${id}`, `--epochs=${opt('epochs') ?? 6}`], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, ...(threads ? { NN_DEBUGGER_THREADS: threads } : {}) },
    });
    if (r.status !== 0) throw new Error(`profiling ${id} failed`);
    // One profile per thread (tsx's loader thread too): the largest is the training thread's.
    const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(dir, f));
    summarize(files.sort((a, b) => statSync(b).size - statSync(a).size)[0]);
    rmSync(dir, { recursive: true, force: true });
  }
}
