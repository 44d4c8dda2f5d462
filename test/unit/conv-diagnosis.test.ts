// Static rules re-judged for layers on images: a batch norm after a conv layer averages each channel over
// batch × H × W values, so a small batch is a problem only where the image has shrunk to about 1×1; a
// dropout after a conv layer keeps a share of all C·H·W values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseModel } from '../../src/engine/spec/parse';
import { loadDataset } from '../../src/engine/data/load';
import { diagnose } from '../../src/engine/diagnosis';

function staticCodes(layers: unknown[], batchSize: number): string[] {
  const text = JSON.stringify({
    name: 'bn-cnn',
    data: { source: 'shapes', samples: 64, classes: 3, preprocess: 'none' },
    layers,
    loss: 'softmax-cross-entropy',
    batchSize,
  });
  const parsed = parseModel(text, 'bn-cnn.nn.json');
  if (!parsed.ok) assert.fail(parsed.issues.map((i) => i.message).join('\n'));
  const findings = diagnose({ spec: parsed.spec, dataset: loadDataset(parsed.spec, {}), probes: [], epochs: [], summary: null }, {}, ['static']);
  return findings.map((f) => `${f.code}@${f.layer?.name ?? f.field}`);
}

const conv = (extra: Record<string, unknown> = {}) => ({ type: 'conv2d', filters: 4, kernel: 3, padding: 'same', init: 'he', ...extra });

test('batch norm after a conv layer at a small batch: quiet on 16×16 channels, flagged on 1×1 ones and after flattening', () => {
  const onImage = [conv(), { type: 'batchnorm', name: 'bn' }, { type: 'relu' }, { type: 'globalavgpool' }, { type: 'dense', units: 3 }];
  assert.deepEqual(staticCodes(onImage, 2).filter((c) => c.startsWith('batchnorm-unstable')), []);
  // a conv whose kernel covers the whole 16×16 image leaves one position per channel
  const onePixel = [conv({ kernel: 16, padding: 'valid' }), { type: 'batchnorm', name: 'bn' }, { type: 'relu' }, { type: 'dense', units: 3 }];
  assert.deepEqual(staticCodes(onePixel, 2).filter((c) => c.startsWith('batchnorm-unstable')), ['batchnorm-unstable@bn']);
  const pooled = [conv(), { type: 'globalavgpool' }, { type: 'batchnorm', name: 'bn' }, { type: 'relu' }, { type: 'dense', units: 3 }];
  assert.deepEqual(staticCodes(pooled, 2).filter((c) => c.startsWith('batchnorm-unstable')), ['batchnorm-unstable@bn']);
  // and the usual batch is fine everywhere
  assert.deepEqual(staticCodes(onePixel, 32).filter((c) => c.startsWith('batchnorm-unstable')), []);
});

test('dropout after a conv layer drops single values of C·H·W, not whole filters', () => {
  const after = (rate: number, pooled: boolean) => [conv({ activation: 'relu' }), ...(pooled ? [{ type: 'globalavgpool' }] : []), { type: 'dropout', rate, name: 'drop' }, { type: 'flatten' }, { type: 'dense', units: 3 }];
  const dropout = (layers: unknown[]) => staticCodes(layers, 32).filter((c) => c.startsWith('dropout-too-high'));
  // half of 4·16·16 values is plenty; half of the 4 pooled channels is not
  assert.deepEqual(dropout(after(0.5, false)), []);
  assert.deepEqual(dropout(after(0.5, true)), ['dropout-too-high@drop']);
  assert.deepEqual(dropout(after(0.8, false)), ['dropout-too-high@drop'], 'a rate too high is too high on images too');
});
