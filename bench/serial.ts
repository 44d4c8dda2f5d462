// `node --experimental-wasm-relaxed-simd --import tsx bench/serial.ts [--cases=<substring>] [--threads=N]`:
// the share of a training step spent in the work the thread pool splits (products large enough to split,
// large Adam updates) and outside it, measured by timing each kernel call around a few epochs. On one
// thread the outside share is the serial fraction that bounds what more threads can give (Amdahl); on two
// it is the time spent outside parallel regions. Wall-clock thread scaling cannot be read on a loaded
// machine; these shares can (both parts slow down alike).
import { benchCases, dataset, modelSpec } from './cases';
import { Trainer } from '../src/engine/train/trainer';
import type { WasmKernels } from '../src/engine/kernels/wasm-kernels';
import { SPLIT_MIN_MACS, SPLIT_MIN_WEIGHTS } from '../src/engine/kernels/wasm-kernels';
import { WASM_BUILDS } from '../src/engine/kernels/wasm-bytes';

const args = process.argv.slice(2);
const opt = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const EPOCHS = 6;

type Product = (m: number, n: number, k: number, ...rest: never[]) => unknown;

async function measure(id: string, threads: number): Promise<void> {
  const c = benchCases().find((x) => x.id === id)!;
  const trainer = new Trainer(modelSpec(c), dataset(c.data), { epochs: 1, dtype: 'float32', yieldEveryMs: 0, threads });
  const kernels = (trainer as unknown as { kernels: WasmKernels }).kernels;
  if (!('heap' in kernels)) throw new Error('bench/serial.ts measures the wasm path');
  const mr = WASM_BUILDS.find((b) => kernels.name.startsWith(`wasm-${b.name}`))!.mr;
  let split = 0;
  let small = 0;
  const timed = <F extends (...a: never[]) => unknown>(f: F, splits: (...a: Parameters<F>) => boolean): F =>
    ((...a: Parameters<F>) => {
      const t0 = performance.now();
      const r = f(...a);
      const dt = performance.now() - t0;
      if (splits(...a)) split += dt;
      else small += dt;
      return r;
    }) as F;
  const big = (m: number, n: number, k: number) => m >= 2 * mr && m * n * k >= SPLIT_MIN_MACS;
  const k = kernels as unknown as Record<string, Product>;
  for (const name of ['gemm', 'gemmTN', 'gemmNT', 'gemmBias'] as const) k[name] = timed(k[name].bind(kernels), big);
  kernels.adam = timed(kernels.adam.bind(kernels), (w: Float32Array) => w.length >= SPLIT_MIN_WEIGHTS);
  for (let waited = 0; kernels.activeThreads() < kernels.threads && waited < 5000; waited += 10) await new Promise((r) => setTimeout(r, 10));
  await trainer.run(); // warm-up
  split = 0;
  small = 0;
  const t0 = performance.now();
  for (let e = 0; e < EPOCHS; e++) await trainer.run();
  const total = performance.now() - t0;
  const pct = (x: number) => `${((100 * x) / total).toFixed(1)} %`;
  console.log(`${id.padEnd(24)} ${kernels.name.padEnd(18)} split work ${pct(split).padStart(7)}   small products ${pct(small).padStart(7)}   outside ${pct(total - split - small).padStart(7)}`);
}

async function main(): Promise<void> {
  const filter = opt('cases');
  const threads = Number(opt('threads') ?? 1);
  for (const c of benchCases().filter((x) => !filter || x.id.includes(filter))) await measure(c.id, threads);
}

void main();
