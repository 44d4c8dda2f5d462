// The wasm passes behind the per-channel probes on float32 image batches: per-channel sums, sums of squares and
// stuck counts, and the sampled per-channel histograms, each against a float64 loop over the same values, on
// values around every stuck threshold, on NaN and ±Inf, and on geometries whose rows are not a multiple of
// the SIMD width. Then a float32 CNN's probes against values recomputed from its live buffers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocKernelBuffer, kernelIndexBuffer, wasmKernels } from '../../src/engine/kernels/select';
import { channelSums, reluPairSums } from '../../src/engine/probes/channel-sums';
import { channelHistograms, CHANNEL_BINS } from '../../src/engine/probes/channel-histograms';
import { float32AtOrAbove, float32AtOrBelow, stuckTest } from '../../src/engine/probes/stuck-tests';
import { histogram } from '../../src/engine/visuals/pictures';
import { Rng } from '../../src/engine/rng';
import { parseModel } from '../../src/engine/spec/parse';
import { loadDataset } from '../../src/engine/data/load';
import { Trainer } from '../../src/engine/train/trainer';
import { ProbeObserver } from '../../src/engine/probes/observer';
import type { ProbeSnapshot } from '../../src/engine/types';

const kernels = wasmKernels(1);

/** Float32 values at and beside every threshold a stuck test uses, and the non-finite ones. */
function edgeValues(): number[] {
  const out = [0, -0, NaN, Infinity, -Infinity, 1e-45, -1e-45];
  for (const t of [0.01, 0.99, -0.99, -0.01, 6, 1]) {
    out.push(Math.fround(t), float32AtOrAbove(t), float32AtOrBelow(t));
    out.push(float32AtOrAbove(float32AtOrAbove(t) * (1 + 1e-7)), float32AtOrBelow(float32AtOrBelow(t) * (1 - 1e-7)));
  }
  return out;
}

/** A float32 batch [rows × channels × spatial] in kernel memory: edge values, then seeded gaussians (some channels all negative). */
function batch(rows: number, channels: number, spatial: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const a = allocKernelBuffer(kernels!, 'float32', rows * channels * spatial) as Float32Array;
  const edges = edgeValues();
  for (let i = 0; i < a.length; i++) {
    const c = Math.floor(i / spatial) % channels;
    a[i] = c === 1 ? -Math.abs(rng.gaussian()) : i < edges.length * 3 && i % 3 === 0 ? edges[i / 3] : rng.gaussian() * 2;
  }
  return a;
}

/** The reference: float64 sums and squares of every value, and the test's own count, channel by channel. */
function reference(a: Float32Array, channels: number, spatial: number, test: ((x: number) => boolean) | null): { sum: number[]; squares: number[]; count: number[] } {
  const rows = a.length / (channels * spatial);
  const r = { sum: [] as number[], squares: [] as number[], count: [] as number[] };
  for (let c = 0; c < channels; c++) {
    let s = 0, q = 0, n = 0;
    for (let row = 0; row < rows; row++) {
      for (let p = 0; p < spatial; p++) {
        const x = a[(row * channels + c) * spatial + p];
        s += x;
        q += x * x;
        if (test?.(x)) n++;
      }
    }
    r.sum.push(s);
    r.squares.push(q);
    r.count.push(n);
  }
  return r;
}

const close = (a: number, b: number) => a === b || Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b));

test('wasm channel sums: float64 sums and squares, and the exact stuck count of every activation kind, on threshold neighbours, NaN and Inf', () => {
  assert.ok(kernels, 'wasm SIMD is available on Node 20');
  for (const [rows, channels, spatial] of [[5, 3, 13], [3, 4, 9], [2, 2, 49], [4, 3, 1], [1, 2, 8]]) {
    const a = batch(rows, channels, spatial, rows * 100 + spatial);
    for (const kind of ['relu', 'leaky-relu', 'relu6', 'sigmoid', 'tanh', 'linear']) {
      const t = stuckTest(kind);
      assert.ok(kernels!.channelSums(a, rows, channels, spatial, t ? t.wasm.mode : 0, t ? t.wasm.lo : 0, t ? t.wasm.hi : 0, new Float64Array(3 * channels)), 'the wasm pass runs');
      const got = channelSums(a, channels, spatial, t, kernels);
      const want = reference(a, channels, spatial, t ? t.test : null);
      // the same pass on a plain array (the loop) gives the reference too
      const loop = channelSums(Float32Array.from(a), channels, spatial, t, kernels);
      for (let c = 0; c < channels; c++) {
        const where = `${kind} ${rows}×${channels}×${spatial} channel ${c}`;
        for (const out of [got, loop]) {
          assert.equal(out[2 * channels + c], want.count[c], `${where}: stuck count`);
          // NaN and Inf make some channels' sums non-finite: both paths agree on that too
          assert.ok(close(out[c], want.sum[c]) || (Number.isNaN(out[c]) && Number.isNaN(want.sum[c])), `${where}: sum ${out[c]} vs ${want.sum[c]}`);
          assert.ok(close(out[channels + c], want.squares[c]) || (Number.isNaN(out[channels + c]) && Number.isNaN(want.squares[c])), `${where}: squares`);
        }
      }
    }
  }
});

test('one pass over a ReLU input gives its sums and, bit for bit, the sums and inactive count of the ReLU output', () => {
  assert.ok(kernels);
  const relu = stuckTest('relu');
  for (const [rows, channels, spatial] of [[5, 3, 13], [2, 2, 49], [4, 3, 1], [3, 2, 8]]) {
    const x = batch(rows, channels, spatial, spatial * 7 + rows);
    // the ReLU's output as its forward writes it, in kernel memory
    const y = allocKernelBuffer(kernels, 'float32', x.length) as Float32Array;
    assert.ok(kernels.activation('relu', 0, x, y, x.length));
    const pair = reluPairSums(x, channels, spatial, kernels);
    assert.ok(pair, 'the fused pass runs');
    assert.deepEqual(Array.from(pair.output), Array.from(channelSums(y, channels, spatial, relu, kernels)), `${rows}×${channels}×${spatial}: output sums`);
    const input = channelSums(x, channels, spatial, null, kernels);
    for (let i = 0; i < 3 * channels; i++) assert.ok(close(pair.input[i], input[i]) || (Number.isNaN(pair.input[i]) && Number.isNaN(input[i])), `${rows}×${channels}×${spatial}: input sum ${i}`);
  }
  assert.equal(reluPairSums(new Float32Array(12), 3, 4, kernels), null, 'outside kernel memory each buffer is read instead');
});

test('stuck tests: each float32 bound the wasm pass uses splits float32 values exactly where the float64 test does', () => {
  const values = edgeValues().map(Math.fround);
  for (const kind of ['relu', 'relu6', 'sigmoid', 'tanh']) {
    const t = stuckTest(kind)!;
    const { mode, lo, hi } = t.wasm;
    assert.equal(Math.fround(lo), lo, `${kind}: lo is a float32`);
    for (const x of values) {
      const wasmSays = mode === 1 ? !(x > lo) || x >= hi : x < lo || x > hi;
      assert.equal(wasmSays, t.test(x), `${kind} at ${x}`);
    }
  }
});

test('wasm channel histograms: the histogram of each channel sample, bin for bin, with NaN, Inf, constant and all-non-finite channels', () => {
  assert.ok(kernels);
  const rows = 40;
  const channels = 5;
  const spatial = 30; // 1 200 values a channel: sampled down to CHANNEL_SAMPLE
  const a = allocKernelBuffer(kernels, 'float32', rows * channels * spatial) as Float32Array;
  const rng = new Rng(9);
  for (let i = 0; i < a.length; i++) {
    const c = Math.floor(i / spatial) % channels;
    a[i] = c === 0 ? Math.max(0, rng.gaussian()) : c === 1 ? 0.25 : c === 2 ? NaN : c === 3 && i % 7 === 0 ? (i % 2 ? Infinity : NaN) : rng.gaussian() * 3;
  }
  const layer = { output: a, channels, spatial, stuck: null, filters: null, std: new Array<number>(channels).fill(1), filterGradNorms: null };
  const offsets = kernelIndexBuffer(kernels, Int32Array.from({ length: 100 }, (_, j) => Math.floor((j * 11) / spatial) * channels * spatial + ((j * 11) % spatial)));
  const direct = kernels.sampledHistograms(a, offsets, [0, 4 * spatial], CHANNEL_BINS);
  assert.ok(direct, 'the wasm histograms run');
  [0, 4].forEach((c, i) => {
    const values = Array.from(offsets, (o) => a[o + c * spatial]).filter(Number.isFinite);
    assert.deepEqual(direct[i], histogram(Float64Array.from(values), CHANNEL_BINS), `channel ${c} read at given offsets`);
  });
  const wasm = channelHistograms(layer, kernels);
  const loop = channelHistograms({ ...layer, output: Float32Array.from(a) }, kernels);
  assert.deepEqual(wasm, loop);
  // and against pictures.ts's histogram of every channel's sampled finite values
  for (let c = 0; c < channels; c++) {
    const h = wasm.activation[c];
    assert.equal(h.counts.length, CHANNEL_BINS);
    if (c === 2) assert.deepEqual(h, { min: 0, max: 0, counts: new Array<number>(CHANNEL_BINS).fill(0) }, 'no finite value');
    if (c === 1) assert.deepEqual([h.min, h.max, h.counts[0]], [0.25, 0.25, h.counts.reduce((x, y) => x + y, 0)], 'a constant channel fills bin 0');
  }
  const small = { output: batch(2, 3, 7, 4), channels: 3, spatial: 7, stuck: null, filters: null, std: [1, 1, 1], filterGradNorms: null };
  const whole = channelHistograms(small, kernels);
  for (let c = 0; c < 3; c++) {
    const values: number[] = [];
    for (let r = 0; r < 2; r++) for (let p = 0; p < 7; p++) values.push(small.output[(r * 3 + c) * 7 + p]);
    assert.deepEqual(whole.activation[c], histogram(Float64Array.from(values.filter(Number.isFinite)), CHANNEL_BINS), `small layer channel ${c}: every value`);
  }
});

const CNN = (activation: string) => ({
  name: 'probe-cnn32',
  seed: 8,
  data: { source: 'shapes', samples: 96, classes: 3, noise: 0.1, validationSplit: 0.25, preprocess: 'none' },
  layers: [
    { type: 'conv2d', filters: 5, kernel: 3, padding: 'same', name: 'conv' },
    { type: activation, name: 'act' },
    { type: 'batchnorm', name: 'bn' },
    { type: 'maxpool', size: 2 },
    { type: 'dense', units: 3 },
  ],
  loss: 'softmax-cross-entropy',
  epochs: 1,
  batchSize: 24,
});

/** The first probe of a float32 run and the conv output, activation output and batch-norm input at that step. */
async function float32Probe(activation: string, deadFilter: number | null): Promise<{ snap: ProbeSnapshot; conv: Float64Array; act: Float64Array; bnIn: Float64Array }> {
  const parsed = parseModel(JSON.stringify(CNN(activation)), 'cnn.nn.json');
  if (!parsed.ok) assert.fail(parsed.issues.map((i) => i.message).join('\n'));
  const snaps: ProbeSnapshot[] = [];
  let captured: { conv: Float64Array; act: Float64Array; bnIn: Float64Array } | null = null;
  const trainer = new Trainer(parsed.spec, loadDataset(parsed.spec, {}), {
    dtype: 'float32',
    threads: 1,
    yieldEveryMs: 0,
    observers: [
      new ProbeObserver(1000, (s) => snaps.push(s)),
      {
        wants: (step) => step === 1,
        afterBackward: (ctx) => {
          captured = { conv: Float64Array.from(ctx.layers[0].lastOutput!), act: Float64Array.from(ctx.layers[1].lastOutput!), bnIn: Float64Array.from(ctx.layers[2].lastInput!) };
        },
        afterUpdate: () => {},
      },
    ],
  });
  if (deadFilter !== null) {
    const [w, b] = trainer.layers[0].params;
    w.value.fill(0, deadFilter * 9, (deadFilter + 1) * 9);
    b.value[deadFilter] = -1;
  }
  await trainer.run();
  return { snap: snaps[0], ...captured! };
}

/** Per channel mean, std and the share where `stuck` holds, in float64 over [rows × C × S]. */
function perChannel(values: Float64Array, C: number, S: number, stuck: (x: number) => boolean) {
  const rows = values.length / (C * S);
  const mean: number[] = [], std: number[] = [], share: number[] = [];
  for (let c = 0; c < C; c++) {
    let s = 0, q = 0, n = 0;
    for (let r = 0; r < rows; r++) for (let p = 0; p < S; p++) {
      const x = values[(r * C + c) * S + p];
      s += x;
      q += x * x;
      if (stuck(x)) n++;
    }
    const m = s / (rows * S);
    mean.push(m);
    std.push(Math.sqrt(Math.max(0, q / (rows * S) - m * m)));
    share.push(n / (rows * S));
  }
  return { mean, std, share };
}

test('a float32 CNN on the wasm path: per-channel moments, dead filters and saturation match float64 recomputations from the live buffers', async () => {
  const C = 5;
  const S = 16 * 16;
  for (const activation of ['relu', 'sigmoid']) {
    const dead = activation === 'relu' ? 3 : null;
    const { snap, conv, act, bnIn } = await float32Probe(activation, dead);
    const t = stuckTest(activation)!;
    const near = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${activation} ${what}: ${a} vs ${b}`);
    const convRef = perChannel(conv, C, S, () => false);
    const actRef = perChannel(act, C, S, t.test);
    // the ReLU's test on its output gives what it gives on its input (the conv output)
    if (activation === 'relu') assert.deepEqual(perChannel(conv, C, S, t.test).share, actRef.share);
    const [convProbe, actProbe, bnProbe] = snap.layers;
    for (let c = 0; c < C; c++) {
      near(convProbe.channels!.activationMean[c], convRef.mean[c], `conv mean ${c}`);
      near(convProbe.channels!.activationStd[c], convRef.std[c], `conv std ${c}`);
      near(actProbe.channels!.activationMean[c], actRef.mean[c], `act mean ${c}`);
      near(actProbe.channels!.activationStd[c], actRef.std[c], `act std ${c}`);
    }
    const whole = perChannel(act, 1, act.length, () => false);
    near(actProbe.activationMean!, whole.mean[0], 'layer mean');
    near(actProbe.activationStd!, whole.std[0], 'layer std');
    if (activation === 'relu') {
      assert.deepEqual(actProbe.channels!.dead, actRef.share.map((s) => (s === 1 ? 1 : 0)));
      assert.equal(actProbe.channels!.dead![dead!], 1, 'the zeroed filter is dead');
      assert.equal(actProbe.deadRatio, actProbe.channels!.dead!.filter((d) => d === 1).length / C);
      assert.equal(actProbe.saturationRatio, null);
    } else {
      assert.deepEqual(actProbe.channels!.saturation, actRef.share);
      near(actProbe.saturationRatio!, actRef.share.reduce((a, b) => a + b, 0) / C, 'saturation ratio');
      assert.equal(actProbe.deadRatio, null);
    }
    const bnRef = perChannel(bnIn, C, S, () => false);
    for (let c = 0; c < C; c++) near(bnProbe.channels!.batchNorm!.batchMean[c], bnRef.mean[c], `bn batch mean ${c}`);
    near(bnProbe.batchNorm!.batchMean, bnRef.mean.reduce((a, b) => a + b, 0) / C, 'bn layer batch mean');
  }
});

test('a float32 CNN probed at every step trains bit for bit as an unprobed one', async () => {
  const run = async (probed: boolean) => {
    const parsed = parseModel(JSON.stringify({ ...CNN('relu'), epochs: 2 }), 'cnn.nn.json');
    if (!parsed.ok) assert.fail('parse');
    const losses: number[] = [];
    const t = new Trainer(parsed.spec, loadDataset(parsed.spec, {}), { dtype: 'float32', yieldEveryMs: 0, observers: probed ? [new ProbeObserver(1, () => {})] : [] });
    t.on((e) => {
      if (e.type === 'step') losses.push(e.metrics.loss);
    });
    await t.run();
    return { losses, weights: t.layers.flatMap((l) => l.params.map((p) => Array.from(p.value))) };
  };
  const a = await run(true);
  const b = await run(false);
  assert.ok(a.losses.length >= 6);
  assert.deepEqual(a.losses, b.losses);
  assert.deepEqual(a.weights, b.weights);
});
