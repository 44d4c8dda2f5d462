// Every kernel path against the plain-loop reference, on shapes chosen to break tiling: 1×1, primes,
// sizes just off the 4×4 (TS) and 4×8 (wasm) tiles, k = 0, accumulate on and off, operands inside and
// outside wasm memory, and buffers longer than the product needs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Kernels } from '../../src/engine/kernels/kernels';
import { referenceKernels } from '../../src/engine/kernels/reference';
import { tiledKernels } from '../../src/engine/kernels/tiled';
import { wasmKernels } from '../../src/engine/kernels/select';
import { SPLIT_MIN_MACS, SPLIT_MIN_REDUCTION, SPLIT_MIN_WEIGHTS } from '../../src/engine/kernels/wasm-kernels';
import type { DType, FloatArray } from '../../src/engine/types';

const SHAPES: [number, number, number][] = [
  [1, 1, 1], [1, 7, 3], [5, 1, 2], [2, 3, 1], [3, 5, 0], [4, 8, 4], [4, 8, 16], [5, 9, 17], [7, 11, 13],
  [8, 16, 31], [13, 17, 19], [31, 37, 41], [64, 10, 256], [33, 65, 127],
  // deeper than one 256-deep packed slice, and taller than one 64-row block
  [9, 13, 300], [70, 12, 520],
];
const OPS = ['gemm', 'gemmTN', 'gemmNT'] as const;

function filled(n: number, seed: number, dtype: DType, extra = 0): FloatArray {
  const a = dtype === 'float32' ? new Float32Array(n + extra) : new Float64Array(n + extra);
  let s = seed >>> 0;
  for (let i = 0; i < a.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2 ** 31 - 1;
  }
  return a;
}

/** Largest |ours - ref| relative to the sum of |terms| that produced each entry, so tolerance is scale-free. */
function check(kernels: Kernels, dtype: DType, tol: number, place: (a: FloatArray) => FloatArray = (a) => a): void {
  for (const [m, n, k] of SHAPES) {
    for (const op of OPS) {
      for (const accumulate of [false, true]) {
        const a = filled(m * k, m * 31 + k, dtype, 3);
        const b = filled(k * n, n * 17 + k, dtype, 5);
        const c0 = filled(m * n, m + n, dtype, 2);
        const expected = c0.slice();
        const got = place(c0.slice());
        referenceKernels[op](m, n, k, a, b, expected, accumulate);
        kernels[op](m, n, k, place(a), place(b), got, accumulate);
        const scale = k + (accumulate ? 1 : 0) + 1;
        for (let i = 0; i < m * n; i++) {
          const err = Math.abs(got[i] - expected[i]) / scale;
          assert.ok(err <= tol, `${kernels.name} ${op} ${m}x${n}x${k} acc=${accumulate} [${i}]: ${got[i]} vs ${expected[i]}`);
        }
        for (let i = m * n; i < got.length; i++) assert.equal(got[i], c0[i], `${kernels.name} ${op} wrote past m·n`);
      }
    }
  }
}

test('js-tiled matches the reference in float64 to rounding', () => check(tiledKernels, 'float64', 1e-14));
test('js-tiled matches the reference in float32', () => check(tiledKernels, 'float32', 1e-6));

test('wasm-simd is available on Node 20', () => {
  assert.ok(wasmKernels(), 'WebAssembly SIMD with shared memory should be available on Node 20');
});

test('wasm-simd matches the reference in float32 with ordinary typed arrays (copied in and out)', () => {
  check(wasmKernels()!, 'float32', 1e-6);
});

test('wasm-simd matches the reference in float32 with operands living in wasm memory', () => {
  const w = wasmKernels()!;
  const place = (a: FloatArray): FloatArray => {
    const inHeap = w.heap.allocFloat32(a.length);
    inHeap.set(a);
    return inHeap;
  };
  check(w, 'float32', 1e-6, place);
});

test('wasm-simd split over 2 threads matches the reference and is bit-identical to 1 thread', async () => {
  const two = wasmKernels(2)!;
  assert.equal(two.threads, 2);
  for (let waited = 0; two.activeThreads() < 2 && waited < 10_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
  assert.equal(two.activeThreads(), 2, 'the helper thread should have started');
  const place = (a: FloatArray): FloatArray => {
    const inHeap = two.heap.allocFloat32(a.length);
    inHeap.set(a);
    return inHeap;
  };
  check(two, 'float32', 1e-6, place);
  const one = wasmKernels(1)!;
  // Split by rows ([784, 256, 64], [203, 301, 600]: B packed by the job's first chunks, three slices deep in one job)
  // or, with rows too few for a full sweep each, by columns (the others); [16, 1001, 300] and, split by
  // rows, [12, 10, 5000]: few enough rows that B is read in place, each slice's last partial panel packed.
  for (const [m, n, k] of [[64, 256, 784], [784, 256, 64], [203, 301, 600], [67, 129, 300], [16, 1001, 300], [6, 517, 200], [12, 10, 5000]] as [number, number, number][]) {
    for (const op of OPS) {
      for (const accumulate of [false, true]) {
        const a = filled(m * k, 3, 'float32'), b = filled(k * n, 5, 'float32');
        const c1 = filled(m * n, 7, 'float32'), c2 = c1.slice();
        one[op](m, n, k, a, b, c1, accumulate);
        two[op](m, n, k, a, b, c2, accumulate);
        assert.deepEqual(c2, c1, `${op} ${m}x${n}x${k} acc=${accumulate}`);
      }
    }
    // the fused biases, per column (a dense layer's) and per row (a convolution's filters)
    const a = place(filled(m * k, 3, 'float32')), b = place(filled(k * n, 5, 'float32'));
    for (const [fused, length] of [['gemmBias', n], ['gemmRowBias', m]] as const) {
      const results = [one, two].map((w) => {
        const bias = w.heap.allocFloat32(length);
        bias.set(filled(length, 11, 'float32'));
        const ins = (x: FloatArray) => {
          const h = w.heap.allocFloat32(x.length);
          h.set(x);
          return h;
        };
        const c = w.heap.allocFloat32(m * n);
        // a per-row bias joins only products of one packed slice
        assert.equal(w[fused](m, n, k, ins(a), ins(b), bias, c), fused === 'gemmBias' || k <= 256, `${fused} ${m}x${n}x${k} runs in wasm`);
        return c.slice();
      });
      assert.deepEqual(results[1], results[0], `${fused} ${m}x${n}x${k}`);
    }
  }
});

test('reductions split over 2 threads: sums of squares bit-identical to 1 thread, a non-finite value found in any chunk', async () => {
  const two = wasmKernels(2)!;
  for (let waited = 0; two.activeThreads() < 2 && waited < 10_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
  assert.equal(two.activeThreads(), 2, 'the helper thread should have started');
  const one = wasmKernels(1)!;
  // below the split, at it, a dense layer's weights, and long enough that the chunks grow past their minimum
  for (const n of [1, 16383, SPLIT_MIN_REDUCTION - 1, SPLIT_MIN_REDUCTION, SPLIT_MIN_REDUCTION + 7, 784 * 256, 3_000_001]) {
    const values = filled(n, n % 97, 'float32');
    const [a1, a2] = [one, two].map((w) => {
      const a = w.heap.allocFloat32(n);
      a.set(values);
      return a;
    });
    const s1 = one.sumSquares(a1)!;
    assert.equal(two.sumSquares(a2), s1, `sumSquares of ${n}`);
    let exact = 0;
    for (let i = 0; i < n; i++) exact += Math.fround(values[i] * values[i]);
    assert.ok(Math.abs(s1 - exact) <= 1e-12 * exact, `sumSquares of ${n}: ${s1} vs ${exact}`);
    for (const w of [one, two]) {
      const a = w === one ? a1 : a2;
      assert.equal(w.allFinite(a, n), true, `allFinite of ${n}`);
      for (const at of [0, n >> 1, n - 1]) {
        for (const bad of [NaN, Infinity, -Infinity]) {
          const kept = a[at];
          a[at] = bad;
          assert.equal(w.allFinite(a, n), false, `${bad} at ${at} of ${n}, ${w.threads} thread(s)`);
          a[at] = kept;
        }
      }
    }
  }
});

test('a task given to beside() runs on the caller during the next split product, or at settle()', async () => {
  const two = wasmKernels(2)!;
  for (let waited = 0; two.activeThreads() < 2 && waited < 10_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
  const one = wasmKernels(1)!;
  const [m, n, k] = [256, 192, 300];
  const a = filled(m * k, 3, 'float32'), b = filled(k * n, 5, 'float32');
  const expected = new Float32Array(m * n);
  one.gemm(m, n, k, a, b, expected, false);
  const order: string[] = [];
  const c = new Float32Array(m * n);
  two.beside(() => order.push('task'));
  assert.equal(order.length, 0, 'not before a split product');
  two.gemm(m, n, k, a, b, c, false);
  order.push('returned');
  two.settle();
  assert.deepEqual(order, ['task', 'returned'], 'once, inside the product');
  assert.deepEqual(c, expected);
  // no split work: settle() runs it
  two.beside(() => order.push('settled'));
  two.gemm(2, 2, 2, new Float32Array(4), new Float32Array(4), new Float32Array(4), false);
  two.settle();
  two.settle();
  assert.deepEqual(order.slice(2), ['settled']);
  // a throw surfaces once the job's chunks are done (no helper still writes), and the pool goes on
  two.beside(() => {
    throw new Error('side task failed');
  });
  assert.throws(() => two.gemm(m, n, k, a, b, c, false), /side task failed/);
  c.fill(0);
  two.gemm(m, n, k, a, b, c, false);
  assert.deepEqual(c, expected);
  // a product, an Adam update and an activation run by the task stay on the caller, in scratch of their
  // own: the split product beside them and their own results keep the bits of one thread
  const [m2, n2, k2] = [160, 128, 96];
  const a2 = filled(k2 * m2, 7, 'float32'), b2 = filled(k2 * n2, 11, 'float32');
  const expected2 = new Float32Array(m2 * n2);
  one.gemmTN(m2, n2, k2, a2, b2, expected2, false);
  const adamState = (threads: typeof one) => {
    const heap = threads.heap;
    const [w, g, mo, v] = [0, 1, 2, 3].map((seed) => {
      const x = heap.allocFloat32(1 << 17);
      x.set(filled(1 << 17, 13 + seed, 'float32'));
      return x;
    });
    v.set(v.map(Math.abs));
    return { w, g, mo, v, run: () => threads.adam(w, g, mo, v, 0.9, 0.999, 1e-3, 1.2, 1e-8) };
  };
  const adamOne = adamState(one);
  const adamTwo = adamState(two);
  adamOne.run();
  const c2 = new Float32Array(m2 * n2);
  c.fill(0);
  two.beside(() => {
    two.gemmTN(m2, n2, k2, a2, b2, c2, false);
    adamTwo.run();
  });
  two.gemm(m, n, k, a, b, c, false);
  two.settle();
  assert.deepEqual(c, expected, 'the split product');
  assert.deepEqual(c2, expected2, 'the product beside it');
  assert.deepEqual(adamTwo.w, adamOne.w, 'the update beside it');
  assert.ok(m2 * n2 * k2 >= SPLIT_MIN_MACS && adamOne.w.length >= SPLIT_MIN_WEIGHTS, 'sizes that would be split elsewhere');
  // one thread: at once
  one.beside(() => order.push('now'));
  assert.equal(order[order.length - 1], 'now');
});

test('wasm products with B read in place (few rows of A) give the bits of the packed path', () => {
  // Each row of C depends only on its row of A: the first rows of a product tall enough to pack B must
  // equal, bit for bit, the product of those rows alone, which reads B in place (its last partial panel packed).
  const w = wasmKernels(1)!;
  const inHeap = (a: FloatArray): Float32Array => {
    const h = w.heap.allocFloat32(a.length);
    h.set(a);
    return h;
  };
  for (const [m, n, k] of [[1, 5, 3], [4, 8, 9], [8, 784, 9], [16, 196, 72], [13, 21, 300]] as [number, number, number][]) {
    const tall = 40;
    for (const op of ['gemm', 'gemmTN'] as const) {
      for (const accumulate of [false, true]) {
        const aTall = filled(tall * k, m + k, 'float32');
        // gemmTN reads A as [k × rows]: the first m of each depth's row
        const aFew = op === 'gemm' ? aTall.slice(0, m * k) : Float32Array.from({ length: k * m }, (_, i) => aTall[Math.floor(i / m) * tall + (i % m)]);
        const b = inHeap(filled(k * n, n, 'float32'));
        const c0 = filled(tall * n, 7, 'float32');
        const packed = inHeap(c0);
        const inPlace = inHeap(c0.slice(0, m * n));
        w[op](tall, n, k, inHeap(aTall), b, packed, accumulate);
        w[op](m, n, k, inHeap(aFew), b, inPlace, accumulate);
        assert.deepEqual(inPlace, packed.slice(0, m * n), `${op} ${m}x${n}x${k} acc=${accumulate}`);
      }
    }
  }
});

test('a wrong kernel is caught by the comparison', () => {
  const broken: Kernels = { ...tiledKernels, name: 'broken', gemmNT: (m, n, k, a, b, c, acc) => tiledKernels.gemm(m, n, k, a, b, c, acc) };
  assert.throws(() => check(broken, 'float64', 1e-6));
});
