// For python/tests: exports a model to PyTorch into a folder and trains it with the engine, printing the
// engine's per-epoch metrics as one JSON object, so a test can run the script and compare.
//   node --import tsx test/harness/python-engine-run.ts <model.nn.json> <out dir> [--epochs N] [--dtype float32|float64] [--no-same-init]
import * as fs from 'fs';
import * as path from 'path';
import { exportModel, exportTargets } from '../../src/cli/export';
import { prepareSpec } from '../../src/engine/session';
import { loadDataset } from '../../src/engine/data/load';
import { readDataFiles } from '../../src/cli/data-files';
import { Trainer } from '../../src/engine/train/trainer';
import type { EpochMetrics } from '../../src/engine/types';

async function main(argv: string[]): Promise<void> {
  const [model, outDir, ...flags] = argv;
  const flag = (name: string) => {
    const i = flags.indexOf(name);
    return i >= 0 ? flags[i + 1] : undefined;
  };
  const epochs = Number(flag('--epochs') ?? 2);
  const dtype = flag('--dtype') === 'float32' ? 'float32' : 'float64';
  const text = fs.readFileSync(model, 'utf8');
  const stem = path.basename(model).replace(/\.nn\.json$/, '');
  const scriptPath = path.join(outDir, `${stem}.py`);
  fs.mkdirSync(outDir, { recursive: true });
  for (const t of exportTargets(exportModel(text, model, scriptPath, !flags.includes('--no-same-init')), scriptPath)) fs.writeFileSync(t.file, t.bytes);

  const spec = prepareSpec(text, model, { epochs });
  const trainer = new Trainer(spec, loadDataset(spec, readDataFiles(spec, model)), { dtype, yieldEveryMs: 0 });
  const metrics: EpochMetrics[] = [];
  trainer.on((e) => {
    if (e.type === 'epoch') metrics.push(e.metrics);
  });
  const summary = await trainer.run();
  const pick = (m: EpochMetrics) => ({ epoch: m.epoch, loss: m.loss, accuracy: m.accuracy, valLoss: m.valLoss, valAccuracy: m.valAccuracy });
  process.stdout.write(JSON.stringify({ script: scriptPath, dtype, epochs: metrics.map(pick), status: summary.status, final: summary.final }) + '\n');
}

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`python-engine-run: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(2);
});
