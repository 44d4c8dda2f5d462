// `node --experimental-wasm-relaxed-simd --import tsx bench/gemm.ts`: GFLOP/s of the wasm products alone
// (operands in wasm memory, as in training) for the three products of a 784-256 dense layer at batch 64 and
// 256, per build and thread count, measured round-robin. For tuning the micro-kernel; the bench proper is
// bench/index.ts.
import { wasmKernels } from '../src/engine/kernels/select';
import type { WasmKernels } from '../src/engine/kernels/wasm-kernels';

const SHAPES: [string, 'gemm' | 'gemmTN' | 'gemmNT', number, number, number][] = [];
for (const b of [64, 256]) {
  SHAPES.push([`forward b${b}`, 'gemm', b, 256, 784], [`weight grad b${b}`, 'gemmTN', 784, 256, b], [`input grad b${b}`, 'gemmNT', b, 256, 256]);
}

const ROUNDS = 15;

function operands(w: WasmKernels, m: number, n: number, k: number) {
  const fill = (len: number) => w.heap.allocFloat32(len).map((_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
  return { a: fill(m * k), b: fill(k * n), c: w.heap.allocFloat32(m * n) };
}

async function main(): Promise<void> {
  const paths = [wasmKernels(1), wasmKernels(1, 'simd'), wasmKernels(2), wasmKernels(2, 'simd')].filter((k, i, all): k is WasmKernels => k !== null && all.indexOf(k) === i);
  for (let waited = 0; paths.some((k) => k.activeThreads() < k.threads) && waited < 5000; waited += 10) await new Promise((r) => setTimeout(r, 10));
  for (const [label, op, m, n, k] of SHAPES) {
    const ops = paths.map((w) => ({ w, ...operands(w, m, n, k), best: Infinity }));
    const reps = Math.max(1, Math.round(2e8 / (m * n * k)));
    for (let round = 0; round < ROUNDS; round++) {
      for (const o of ops) {
        const t0 = performance.now();
        for (let r = 0; r < reps; r++) o.w[op](m, n, k, o.a, o.b, o.c, false);
        o.best = Math.min(o.best, (performance.now() - t0) / reps);
        // a two-thread path's helper polls for a while after its last product: let it sleep before the next path
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    console.log(`${label.padEnd(16)} ${`${m}x${n}x${k}`.padEnd(12)} ${ops.map((o) => `${o.w.name} ${((2 * m * n * k) / o.best / 1e6).toFixed(1)}`).join('   ')}  GFLOP/s (best of ${ROUNDS})`);
  }
}

void main();
