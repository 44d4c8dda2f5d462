// Per-channel histograms of image layers: which channels a probe carries (all of a small layer, the worst
// CHANNEL_HISTOGRAMS of a wide one) and that each histogram counts what the channel holds, checked
// against values recomputed here from the layers' buffers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseModel } from '../../src/engine/spec/parse';
import { loadDataset } from '../../src/engine/data/load';
import { Trainer } from '../../src/engine/train/trainer';
import { ProbeObserver } from '../../src/engine/probes/observer';
import { CHANNEL_BINS, CHANNEL_HISTOGRAMS, CHANNEL_SAMPLE, pickChannels, type ChannelLayer } from '../../src/engine/probes/channel-histograms';
import { binOf } from '../../src/engine/probes/histogram';
import type { ProbeSnapshot } from '../../src/engine/types';
import type { Layer } from '../../src/engine/layers/layer';

function cnn(filters: number) {
  return {
    name: 'histogram-cnn',
    seed: 4,
    data: { source: 'shapes', samples: 96, classes: 3, noise: 0.1, validationSplit: 0.25, preprocess: 'none' },
    layers: [
      { type: 'conv2d', filters, kernel: 3, padding: 'same', name: 'conv' },
      { type: 'relu', name: 'act' },
      { type: 'maxpool', size: 2 },
      { type: 'dense', units: 3 },
    ],
    loss: 'softmax-cross-entropy',
    epochs: 1,
    batchSize: 24,
  };
}

interface Captured {
  convGrad: Float64Array;
  actOutput: Float64Array;
}

/** The first probe of a float64 run of cnn(filters), with the conv gradient and ReLU output captured at that step. */
async function firstProbe(filters: number, prepare: (layers: readonly Layer[]) => void = () => {}): Promise<{ snap: ProbeSnapshot; captured: Captured }> {
  const parsed = parseModel(JSON.stringify(cnn(filters)), 'cnn.nn.json');
  if (!parsed.ok) assert.fail(parsed.issues.map((i) => i.message).join('\n'));
  const snaps: ProbeSnapshot[] = [];
  let captured: Captured | null = null;
  const trainer = new Trainer(parsed.spec, loadDataset(parsed.spec, {}), {
    dtype: 'float64',
    yieldEveryMs: 0,
    observers: [
      new ProbeObserver(1000, (s) => snaps.push(s)),
      {
        wants: (step) => step === 1,
        afterBackward: (ctx) => {
          captured = { convGrad: Float64Array.from(ctx.layers[0].params[0].grad), actOutput: Float64Array.from(ctx.layers[1].lastOutput!) };
        },
        afterUpdate: () => {},
      },
    ],
  });
  prepare(trainer.layers);
  await trainer.run();
  return { snap: snaps[0], captured: captured! };
}

const layerOf = (over: Partial<ChannelLayer>): ChannelLayer => ({ output: new Float64Array(0), channels: 3, spatial: 1, stuck: null, filters: null, std: [], filterGradNorms: null, ...over });

test('a small layer shows every channel; a wide one its worst, by stuck share, then filter gradient, then spread', () => {
  assert.deepEqual(pickChannels(layerOf({ channels: 3, stuck: () => [0, 1, 0.5] }), 4), { channels: [0, 1, 2], rankedBy: 'all' });
  assert.deepEqual(pickChannels(layerOf({ channels: 5, stuck: () => [0, 1, 0.5, 0.9, 1] }), 3), { channels: [1, 4, 3], rankedBy: 'stuck' });
  // filters that learn least first; a NaN norm is worse than any number
  assert.deepEqual(pickChannels(layerOf({ channels: 5, filterGradNorms: [3, 0, NaN, 2, 5] }), 3), { channels: [2, 1, 3], rankedBy: 'gradient' });
  assert.deepEqual(pickChannels(layerOf({ channels: 5, std: [0.5, 2, 0.1, 1, 0.1] }), 2), { channels: [2, 4], rankedBy: 'spread' });
  // the stuck share wins over the filter norms when a layer had both
  assert.equal(pickChannels(layerOf({ channels: 5, stuck: () => [0, 0, 0, 0, 0], filterGradNorms: [1, 1, 1, 1, 1] }), 3).rankedBy, 'stuck');
});

test('every channel of a small conv layer: filter gradient histograms bin each weight gradient, output histograms span the channel', async () => {
  const filters = 4;
  const { snap, captured } = await firstProbe(filters);
  const conv = snap.layers[0].channels!.histograms!;
  assert.deepEqual(conv.channels, [0, 1, 2, 3]);
  assert.equal(conv.rankedBy, 'all');
  const K = 9;
  for (let f = 0; f < filters; f++) {
    const expected = new Array<number>(conv.gradient![f].length).fill(0);
    for (let i = f * K; i < (f + 1) * K; i++) expected[binOf(Math.abs(captured.convGrad[i]))]++;
    assert.deepEqual(conv.gradient![f], expected, `filter ${f}`);
  }
  const act = snap.layers[1].channels!.histograms!;
  assert.equal(act.gradient, null, 'a ReLU has no filters');
  const S = 16 * 16;
  const rows = captured.actOutput.length / (filters * S);
  for (let c = 0; c < filters; c++) {
    const h = act.activation[c];
    assert.equal(h.counts.length, CHANNEL_BINS);
    // the batch holds more values than a channel's sample: a sample of them is counted, inside their range
    assert.equal(h.counts.reduce((a, b) => a + b, 0), Math.min(CHANNEL_SAMPLE, rows * S));
    let min = Infinity;
    let max = -Infinity;
    for (let r = 0; r < rows; r++) for (let p = 0; p < S; p++) {
      const x = captured.actOutput[(r * filters + c) * S + p];
      min = Math.min(min, x);
      max = Math.max(max, x);
    }
    assert.ok(h.min >= min && h.max <= max && h.min >= 0, `channel ${c} range`);
    assert.ok(h.max > h.min, `channel ${c} has spread`);
  }
});

test('a wide conv layer: the dead filters come first, in the ReLU by stuck share and in the conv by gradient norm', async () => {
  const filters = CHANNEL_HISTOGRAMS + 4;
  const dead = [5, 17];
  const { snap } = await firstProbe(filters, (layers) => {
    const [w, b] = layers[0].params;
    for (const f of dead) {
      w.value.fill(0, f * 9, (f + 1) * 9);
      b.value[f] = -1;
    }
  });
  const conv = snap.layers[0].channels!.histograms!;
  assert.equal(conv.rankedBy, 'gradient');
  assert.equal(conv.channels.length, CHANNEL_HISTOGRAMS);
  assert.deepEqual(conv.channels.slice(0, 2), dead);
  for (const k of [0, 1]) assert.equal(conv.gradient![k][0], 9, 'a dead filter gets only zero gradients');
  const act = snap.layers[1].channels!.histograms!;
  assert.equal(act.rankedBy, 'stuck');
  assert.deepEqual(act.channels.slice(0, 2), dead);
  assert.equal(new Set(act.channels).size, CHANNEL_HISTOGRAMS);
  for (const k of [0, 1]) assert.deepEqual([act.activation[k].min, act.activation[k].max], [0, 0], 'a dead channel outputs only zeros');
  assert.deepEqual(snap.layers[1].channels!.dead!.flatMap((d, c) => (d ? [c] : [])), dead);
  assert.equal(snap.layers[3].channels ?? null, null, 'the dense layer reads flat features');
});
