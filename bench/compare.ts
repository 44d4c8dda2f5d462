// `node --experimental-wasm-relaxed-simd --import tsx bench/compare.ts --base=<checkout> [--cases=cnn|<case id substring>] [--epochs=N] [--threads=N]`:
// this tree's engine against another checkout's (e.g. `git archive <commit> src scripts | tar -x -C dir`,
// with dist/data for MNIST), both loaded in one process and run one epoch each in alternation on the same
// data, so a load change on the shared machine hits both alike. Prints samples per CPU-second of each and
// the median of the per-pair ratios, the reading that stays steady where separate runs spread by ±15 %,
// and the median of the per-pair wall-clock ratios (what matters with two threads, whose helper polls).
import * as path from 'node:path';
import { cnnBenchSpec } from './cnn-spec';
import { benchCases, dataset, modelSpec } from './cases';
import { loadDataset } from '../src/engine/data/load';
import { Trainer } from '../src/engine/train/trainer';
import type { Dataset } from '../src/engine/data/dataset';
import type { ModelSpec } from '../src/engine/spec/model-spec';

const args = process.argv.slice(2);
const opt = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

type TrainerClass = typeof Trainer;

function workloads(filter: string): { id: string; spec: ModelSpec; data: Dataset }[] {
  const out: { id: string; spec: ModelSpec; data: Dataset }[] = [];
  if ('cnn'.includes(filter)) {
    const spec = cnnBenchSpec(1);
    out.push({ id: 'cnn b64', spec, data: loadDataset(spec, {}) });
  }
  for (const c of benchCases().filter((x) => x.id.includes(filter))) out.push({ id: c.id, spec: modelSpec(c), data: dataset(c.data) });
  return out;
}

async function main(): Promise<void> {
  const base = opt('base');
  if (!base) throw new Error('--base=<checkout directory> is required');
  const { Trainer: Base } = (await import(path.resolve(base, 'src/engine/train/trainer.ts'))) as { Trainer: TrainerClass };
  const epochs = Number(opt('epochs') ?? 16);
  const threads = Number(opt('threads') ?? 1);
  const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
  for (const w of workloads(opt('cases') ?? 'cnn')) {
    const make = (T: TrainerClass) => new T({ ...w.spec, epochs: 1 }, w.data, { yieldEveryMs: 0, threads, dtype: 'float32' });
    const engines = { base: make(Base), this: make(Trainer) };
    const rates: Record<keyof typeof engines, number[]> = { base: [], this: [] };
    const wall: Record<keyof typeof engines, number[]> = { base: [], this: [] };
    for (let e = 0; e < epochs + 2; e++) {
      for (const k of e % 2 ? (['this', 'base'] as const) : (['base', 'this'] as const)) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        await engines[k].run();
        const ms = performance.now() - t0;
        const c = process.cpuUsage(c0);
        if (e < 2) continue;
        rates[k].push(w.data.train.n / ((c.user + c.system) / 1e6));
        wall[k].push(w.data.train.n / (ms / 1e3));
      }
    }
    const ratio = (r: typeof rates) => median(r.this.map((x, i) => x / r.base[i])).toFixed(3);
    console.log(`${w.id.padEnd(24)} samples per CPU-second: base ${Math.round(median(rates.base))}, this ${Math.round(median(rates.this))}; this/base per pair ${ratio(rates)}; wall clock ${ratio(wall)} (${threads} thread(s), ${epochs} pairs)`);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
