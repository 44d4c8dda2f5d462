// The wasm convolution and pooling passes (kernels/wasm-conv.ts) against the TypeScript loops they replace,
// value for value (NaN, ±Inf and -0 included): im2col/col2im on odd geometries, and whole conv2d, maxpool and
// avgpool layers built once on kernel memory (wasm passes) and once on plain arrays (TS loops), forward and
// backward, with batches that span several unrolled chunks. Also: arrays outside kernel memory are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { col2im, im2col, type ConvGeometry } from '../../src/engine/kernels/im2col';
import { kernelConvOps, wasmKernels } from '../../src/engine/kernels/select';
import { descriptorOf, type Shape } from '../../src/engine/spec/layer-kinds';
import type { Conv2dSpec, PoolSpec } from '../../src/engine/spec/model-spec';
import { Conv2dLayer } from '../../src/engine/layers/conv2d';
import { PoolLayer } from '../../src/engine/layers/pooling';
import type { FloatArray } from '../../src/engine/types';
import { conv2d, lcg, pool } from './engine-helpers';

const w = wasmKernels(1)!;
const heapAlloc = (n: number) => w.heap.allocFloat32(n);
const plainAlloc = (n: number) => new Float32Array(n);
const SPECIAL = [NaN, Infinity, -Infinity, -0, 0];

/** Random values in [-4, 4) with a few special values at random places (none when `special` is false). */
function values(n: number, seed: number, special = true): number[] {
  const r = lcg(seed);
  return Array.from({ length: n }, () => (special && r() < 0.03 ? SPECIAL[Math.floor(r() * SPECIAL.length)] : 8 * r() - 4));
}

function assertSame(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) assert.ok(Object.is(got[i], want[i]), `${what} at ${i}: wasm ${got[i]}, TS ${want[i]}`);
}

function geometry(C: number, H: number, W: number, k: [number, number], s: [number, number], p: [number, number]): ConvGeometry {
  return { channels: C, height: H, width: W, kh: k[0], kw: k[1], strideH: s[0], strideW: s[1], padH: p[0], padW: p[1], outH: Math.floor((H + 2 * p[0] - k[0]) / s[0]) + 1, outW: Math.floor((W + 2 * p[1] - k[1]) / s[1]) + 1 };
}

const GEOMETRIES: ConvGeometry[] = [
  geometry(1, 28, 28, [3, 3], [1, 1], [1, 1]),
  geometry(3, 7, 6, [2, 3], [2, 2], [1, 1]),
  geometry(2, 5, 9, [1, 1], [1, 2], [0, 0]),
  geometry(2, 6, 6, [5, 5], [1, 1], [2, 2]),
  geometry(4, 5, 7, [3, 2], [2, 3], [0, 2]),
  geometry(1, 3, 3, [3, 3], [1, 1], [3, 3]),
  // "same" at stride 1 (the contiguous-block path), a wide kernel on a non-square input
  geometry(2, 5, 8, [3, 5], [1, 1], [1, 2]),
];

test('wasm im2col and col2im equal the TS loops on odd geometries, side by side in a chunk', () => {
  for (const [gi, g] of GEOMETRIES.entries()) {
    const n = 3;
    const P = g.outH * g.outW;
    const K = g.channels * g.kh * g.kw;
    const size = g.channels * g.height * g.width;
    const input = heapAlloc(n * size);
    input.set(values(n * size, 10 + gi));
    const colsW = heapAlloc(K * n * P + 1).fill(42);
    const colsT = new Float32Array(K * n * P + 1).fill(42);
    for (let s = 0; s < n; s++) {
      assert.ok(w.conv.im2col(g, input, s, colsW, s * P, n * P), `geometry ${gi} should run in wasm`);
      im2col(g, input, s, colsT, s * P, n * P);
    }
    assertSame(colsW, colsT, `im2col geometry ${gi}`);
    const cols = heapAlloc(K * n * P);
    cols.set(values(K * n * P, 20 + gi));
    const start = values(n * size, 30 + gi, false);
    const dW = heapAlloc(n * size);
    dW.set(start);
    const dT = Float32Array.from(start);
    for (let s = 0; s < n; s++) {
      assert.ok(w.conv.col2im(g, cols, s * P, s, dW, n * P));
      col2im(g, cols, s * P, s, dT, n * P);
    }
    assertSame(dW, dT, `col2im geometry ${gi}`);
  }
});

test('the wasm passes refuse arrays outside kernel memory and arrays too short for the geometry', () => {
  const g = GEOMETRIES[1];
  const P = g.outH * g.outW;
  const size = g.channels * g.height * g.width;
  const cols = heapAlloc(g.channels * g.kh * g.kw * P);
  assert.equal(w.conv.im2col(g, new Float32Array(size), 0, cols, 0, P), false);
  assert.equal(w.conv.im2col(g, heapAlloc(size - 1), 0, cols, 0, P), false);
  assert.equal(w.conv.im2col(g, heapAlloc(size), 0, heapAlloc(cols.length - 1), 0, P), false);
  assert.equal(kernelConvOps(new Float32Array(4)), null);
  assert.equal(kernelConvOps(new Float64Array(4)), null);
  assert.equal(kernelConvOps(heapAlloc(4)), w.conv);
});

/** A layer's forward output and its backward result (plus the parameter gradients) for one batch. */
function run(layer: Conv2dLayer | PoolLayer, input: number[], grad: number[], batch: number, alloc: (n: number) => FloatArray): FloatArray[] {
  const x = alloc(input.length);
  x.set(input);
  const g = alloc(grad.length);
  g.set(grad);
  const out = Float32Array.from(layer.forward(x, batch));
  const dIn = Float32Array.from(layer.backward(g, batch));
  return [out, dIn, ...layer.params.map((p) => Float32Array.from(p.grad))];
}

function convPair(spec: Conv2dSpec, input: Shape): [Conv2dLayer, Conv2dLayer] {
  const output = descriptorOf(spec).outputShape(spec, input) as Shape;
  const make = (alloc: (n: number) => FloatArray) => {
    const layer = new Conv2dLayer(spec, 0, input, output, alloc, w, { l1: 0, l2: 0 });
    layer.weight.value.set(values(layer.weight.value.length, 5, false));
    layer.bias?.value.set(values(layer.bias.value.length, 6, false));
    return layer;
  };
  return [make(heapAlloc), make(plainAlloc)];
}

const CONVS: [string, Conv2dSpec, Shape][] = [
  ['3×3 same on 1×28×28 (the bench layer)', conv2d(8, 3, { padding: 'same' }), [1, 28, 28]],
  ['2×3 stride 2 padding 1', conv2d(3, [2, 3], { stride: [2, 2], padding: 1 }), [3, 7, 6]],
  ['1×1 stride [1, 2] without bias', conv2d(2, 1, { stride: [1, 2], useBias: false }), [3, 4, 5]],
  ['5×5 padding 2', conv2d(5, 5, { padding: 2 }), [2, 6, 6]],
  ['3×3 valid with 25 positions (a bias-gradient sum with a tail past whole lanes)', conv2d(3, 3), [2, 7, 7]],
];

test('conv2d on kernel memory (wasm passes) equals conv2d on plain arrays (TS loops), forward and backward', () => {
  for (const [name, spec, shape] of CONVS) {
    // 2 samples and 150 (past one unrolled chunk of the 28×28 layer), NaN and ±Inf among the inputs and output gradients
    for (const batch of [2, 150]) {
      const [wasmLayer, tsLayer] = convPair(spec, shape);
      assert.ok(kernelConvOps(wasmLayer.weight.value), 'the wasm layer should hold kernel memory');
      const input = values(batch * wasmLayer.inputSize, 7 + batch);
      const grad = values(batch * wasmLayer.outputSize, 8 + batch);
      const got = run(wasmLayer, input, grad, batch, heapAlloc);
      const want = run(tsLayer, input, grad, batch, plainAlloc);
      ['output', 'input gradient', 'weight gradient', 'bias gradient'].slice(0, got.length).forEach((what, i) => assertSame(got[i], want[i], `${name} batch ${batch} ${what}`));
    }
  }
});

const POOLS: [string, PoolSpec, Shape][] = [
  ['maxpool 2×2 on 8×28×28', pool('maxpool', 2), [8, 28, 28]],
  ['maxpool 2×2 on odd 3×9×19 (a 4-wide block, an overlapping last block, an unused border)', pool('maxpool', 2), [3, 9, 19]],
  ['maxpool 2×2 on 16×14×14 (the bench layer: rows of 7, the tiled gradient with an overlapping last block)', pool('maxpool', 2), [16, 14, 14]],
  ['maxpool 2×2 on 2×6×6 (rows of 3, narrower than one block: one at a time)', pool('maxpool', 2), [2, 6, 6]],
  ['maxpool 3 stride 2 (overlapping windows, uneven border)', pool('maxpool', 3, 2), [2, 7, 8]],
  ['maxpool 2 stride 3', pool('maxpool', 2, 3), [3, 8, 7]],
  ['avgpool 2×2', pool('avgpool', 2), [4, 6, 6]],
  ['avgpool 3 stride 2', pool('avgpool', 3, 2), [2, 7, 8]],
];

test('max and average pooling on kernel memory (wasm passes) equal the TS loops, forward and backward, NaN included', () => {
  for (const [name, spec, shape] of POOLS) {
    const output = descriptorOf(spec).outputShape(spec, shape) as Shape;
    for (const batch of [1, 5]) {
      const layers = [new PoolLayer(spec, 0, shape, output, heapAlloc), new PoolLayer(spec, 0, shape, output, plainAlloc)];
      assert.ok(kernelConvOps(layers[0].forward(heapAlloc(batch * layers[0].inputSize), batch)), 'the wasm layer should hold kernel memory');
      const input = values(batch * layers[0].inputSize, 40 + batch);
      const grad = values(batch * layers[0].outputSize, 50 + batch);
      const [got, want] = [run(layers[0], input, grad, batch, heapAlloc), run(layers[1], input, grad, batch, plainAlloc)];
      assertSame(got[0], want[0], `${name} batch ${batch} output`);
      assertSame(got[1], want[1], `${name} batch ${batch} input gradient`);
    }
  }
});

test('a weight gradient accumulated transposed (few filters, short columns) has the bits of the direct product', () => {
  // 8 filters over 9 taps take the transposed product; the expected gradient is the direct one,
  // work·colsᵀ per sample accumulated in order on the same kernels, on one-sample chunks (28×28) and on
  // chunks of many samples (5×5: 36 per chunk, so 40 samples make two, each deeper than one packed slice)
  for (const [spec, shape, batch] of [[conv2d(8, 3, { padding: 'same' }), [1, 28, 28], 3], [conv2d(8, 3, { padding: 'same' }), [1, 5, 5], 40], [conv2d(3, [1, 2]), [2, 4, 4], 5]] as [Conv2dSpec, Shape, number][]) {
    for (const alloc of [heapAlloc, plainAlloc]) {
      const output = descriptorOf(spec).outputShape(spec, shape) as Shape;
      const layer = new Conv2dLayer(spec, 0, shape, output, alloc, w, { l1: 0, l2: 0 });
      layer.weight.value.set(values(layer.weight.value.length, 5, false));
      const input = alloc(batch * layer.inputSize);
      input.set(values(input.length, 6, false));
      const grad = alloc(batch * layer.outputSize);
      grad.set(values(grad.length, 7, false));
      layer.forward(input, batch);
      layer.backward(grad, batch);
      const [C, H, W] = shape;
      const [F, outH, outW] = output;
      const g = geometry(C, H, W, spec.kernel, spec.stride, [outH === H && spec.kernel[0] > 1 ? (spec.kernel[0] - 1) / 2 : 0, outW === W && spec.kernel[1] > 1 ? (spec.kernel[1] - 1) / 2 : 0]);
      const P = outH * outW;
      const K = C * spec.kernel[0] * spec.kernel[1];
      const expected = new Float32Array(F * K);
      // the layer's chunks: as many samples as fill 8192 unrolled values, side by side, filter-major
      const chunk = Math.max(1, Math.floor(8192 / (K * P)));
      for (let first = 0; first < batch; first += chunk) {
        const n = Math.min(chunk, batch - first);
        const cols = new Float32Array(K * n * P);
        const work = new Float32Array(F * n * P);
        for (let s = 0; s < n; s++) {
          im2col(g, input, first + s, cols, s * P, n * P);
          for (let f = 0; f < F; f++) work.set(grad.subarray((first + s) * F * P + f * P, (first + s) * F * P + (f + 1) * P), f * n * P + s * P);
        }
        w.gemmNT(F, K, n * P, work, cols, expected, first > 0);
      }
      assertSame(layer.weight.grad, expected, `${spec.filters} filters on ${shape.join('×')}, batch ${batch}${alloc === heapAlloc ? ' in kernel memory' : ''}`);
    }
  }
});
