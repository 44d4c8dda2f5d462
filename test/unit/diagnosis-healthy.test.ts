// No false alarms: every healthy example, trained for real at its own seed and (MNIST aside, for time) at
// three other seeds, must raise no warning or error. The published debuggers fail exactly here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { TrainingSession, prepareSpec } from '../../src/engine/session';
import { readDataFiles } from '../../src/cli/data-files';

const EXAMPLES = path.join(__dirname, '..', '..', 'examples');
const healthy = fs.readdirSync(EXAMPLES).filter((f) => f.endsWith('.nn.json')).sort();
const EXTRA_SEEDS = [1, 2, 3];

test('there are healthy examples to check', () => assert.ok(healthy.length >= 4));

for (const file of healthy) {
  const full = path.join(EXAMPLES, file);
  const seeds: (number | undefined)[] = [undefined, ...(file.startsWith('mnist') ? [] : EXTRA_SEEDS)];
  for (const seed of seeds) {
    test(`healthy: ${file}${seed === undefined ? '' : ` (seed ${seed})`} raises no warning or error`, async () => {
      const text = fs.readFileSync(full, 'utf8');
      const files = readDataFiles(prepareSpec(text, full), full);
      const r = await new TrainingSession(text, full, files, { seed, yieldEveryMs: 0 }, {}).run();
      assert.ok(r.probes.length > 0, 'probes ran');
      assert.equal(r.summary.status === 'completed' || r.summary.status === 'early-stopped', true);
      const loud = r.findings.filter((f) => f.severity !== 'info');
      assert.deepEqual(loud.map((f) => `${f.code}@${f.layer?.name ?? f.field}: ${f.message}`), []);
    });
  }
}
