// The pre-run memory estimate follows the registry's shapes: a conv layer's activations are filters·H·W per
// sample, so a wide conv on MNIST is estimated far above the same-width dense layer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseModel } from '../../src/engine/spec/parse';
import { estimateRunBytes } from '../../src/extension/memory-estimate';

function estimate(first: object): number {
  const r = parseModel(JSON.stringify({ data: { source: 'mnist', samples: 1000 }, layers: [first, { type: 'dense', units: 10 }], loss: 'softmax-cross-entropy', batchSize: 64 }), 'm.nn.json');
  if (!r.ok) assert.fail(r.issues.map((i) => i.message).join('\n'));
  return estimateRunBytes(r.spec, {});
}

test('conv activations count filters × H × W per sample', () => {
  const conv = estimate({ type: 'conv2d', filters: 64, kernel: 3, padding: 'same' });
  const dense = estimate({ type: 'dense', units: 64 });
  // output, gradient and cache of 64 × 28 × 28 float64 values for each of 64 samples
  const convActivations = 64 * 64 * 28 * 28 * 3 * 8;
  assert.ok(conv >= convActivations, `${conv} < ${convActivations}`);
  assert.ok(dense < convActivations / 4, `dense ${dense}`);
  // the flattening dense after the conv holds 64·28·28·10 weights
  assert.ok(conv - convActivations >= 64 * 28 * 28 * 10 * 6 * 8);
});
