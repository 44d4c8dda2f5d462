// Shared by the data tests: a model reading `d.csv` (target column `label`) with the given data fields.
import assert from 'node:assert/strict';
import { parseModel } from '../../src/engine/spec/parse';

export function csvSpec(data: Record<string, unknown>, seed: number) {
  const r = parseModel(
    JSON.stringify({ seed, data: { source: 'd.csv', target: 'label', validationSplit: 0, preprocess: 'none', ...data }, layers: [{ type: 'dense', units: 3 }], loss: 'softmax-cross-entropy' }),
    'm.nn.json',
  );
  if (!r.ok) assert.fail(r.issues.map((i) => i.message).join('\n'));
  return r.spec;
}
