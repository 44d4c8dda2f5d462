// Run by kernels-relaxed.test.ts in a child Node (with or without --experimental-wasm-relaxed-simd): reports
// which build was picked, whether this runtime validates the relaxed build, and how the picked build's
// products compare with the reference and with themselves on two threads.
import { referenceKernels } from '../../src/engine/kernels/reference';
import { wasmKernels } from '../../src/engine/kernels/select';
import { usableWasmBuild } from '../../src/engine/kernels/wasm-kernels';
import { WASM_BUILDS } from '../../src/engine/kernels/wasm-bytes';
import { lcg } from './engine-helpers';

async function main(): Promise<void> {
  const one = wasmKernels(1)!;
  const two = wasmKernels(2)!;
  for (let waited = 0; two.activeThreads() < 2 && waited < 10_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
  let worstError = 0;
  let identical = true;
  for (const [m, n, k] of [[7, 13, 5], [67, 129, 300], [256, 256, 784]] as const) {
    const r = lcg(m * n + k);
    const a = Float32Array.from({ length: m * k }, () => 2 * r() - 1);
    const b = Float32Array.from({ length: k * n }, () => 2 * r() - 1);
    const ref = new Float64Array(m * n), c1 = new Float32Array(m * n), c2 = new Float32Array(m * n);
    referenceKernels.gemm(m, n, k, Float64Array.from(a), Float64Array.from(b), ref, false);
    one.gemm(m, n, k, a, b, c1, false);
    two.gemm(m, n, k, a, b, c2, false);
    for (let i = 0; i < m * n; i++) {
      worstError = Math.max(worstError, Math.abs(c1[i] - ref[i]) / (k + 1));
      if (!Object.is(c1[i], c2[i])) identical = false;
    }
  }
  const relaxedValid = usableWasmBuild(WASM_BUILDS.filter((b) => b.name === 'relaxed')) !== null;
  console.log(JSON.stringify({ picked: one.name, two: two.name, twoActive: two.activeThreads(), relaxedValid, worstError, identical }));
}

void main();
