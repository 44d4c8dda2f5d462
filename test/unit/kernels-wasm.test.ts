// The wasm path's plumbing: the embedded module is what scripts/build-wasm.js generates today, the heap
// keeps earlier views valid while it grows, and selection picks the right path per dtype.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { WasmHeap } from '../../src/engine/kernels/wasm-heap';
import { allocKernelBuffer, availableKernels, selectKernels, wasmKernels } from '../../src/engine/kernels/select';

const require = createRequire(__filename);

test('src/engine/kernels/wasm-bytes.ts is up to date with scripts/build-wasm.js', async () => {
  const { buildWasmSource, OUT } = require('../../scripts/build-wasm.js') as { buildWasmSource(): Promise<string>; OUT: string };
  assert.equal(readFileSync(OUT, 'utf8'), await buildWasmSource(), 'run: node scripts/build-wasm.js');
});

test('heap growth keeps earlier views valid and owned', () => {
  const heap = new WasmHeap(1);
  const first = heap.allocFloat32(1000);
  first.fill(3);
  const big = heap.allocFloat32(5_000_000); // forces several pages of growth
  big[big.length - 1] = 7;
  assert.equal(first[999], 3);
  assert.ok(heap.owns(first) && heap.owns(big));
  assert.equal(heap.f32[(first.byteOffset >> 2) + 999], 3);
  assert.equal(heap.f32[(big.byteOffset >> 2) + big.length - 1], 7);
  assert.ok(!heap.owns(new Float32Array(4)));
  assert.equal(first.byteOffset % 16, 0);
});

test('heap allocations start zeroed and exhaustion is a RangeError, not a silent wrap', () => {
  const heap = new WasmHeap(1);
  const a = heap.allocFloat32(50_000);
  assert.ok(a.every((v) => v === 0));
  assert.throws(() => heap.alloc(2 ** 31), RangeError);
  const b = heap.allocFloat32(10);
  assert.ok(b.byteOffset >= a.byteOffset + a.byteLength, 'a failed allocation must not move the top');
});

test('float32 selects wasm-simd, float64 the tiled TS path', () => {
  assert.equal(selectKernels('float32').name, process.env.NN_DEBUGGER_KERNELS ?? 'wasm-simd');
  if (!process.env.NN_DEBUGGER_KERNELS) assert.equal(selectKernels('float64').name, 'js-tiled');
  assert.deepEqual(availableKernels('float64').map((k) => k.name), ['js-tiled', 'js-reference']);
});

test('kernel buffers live in wasm memory only for the wasm path', () => {
  const w = wasmKernels()!;
  assert.ok(w.heap.owns(allocKernelBuffer(w, 'float32', 10) as Float32Array));
  assert.ok(allocKernelBuffer(availableKernels('float64')[0], 'float64', 10) instanceof Float64Array);
  assert.ok(!w.heap.owns(allocKernelBuffer(availableKernels('float32')[1], 'float32', 10) as Float32Array));
});
