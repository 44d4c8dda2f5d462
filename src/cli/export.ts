// `nn-debugger export <model> --to pytorch`: writes the PyTorch script and the files it reads beside it
// (or where --out says). Refuses to replace existing files unless --force.
import * as fs from 'fs';
import * as path from 'path';
import type { Command } from './args';
import { UsageError } from './args';
import { readDataFiles } from './data-files';
import { prepareSpec } from '../engine/session';
import { loadDataset } from '../engine/data/load';
import { exportToPyTorch, type PyTorchExport } from '../engine/export/pytorch';

/** `model.nn.json` -> `model.py` in the same folder. */
export function defaultScriptPath(modelPath: string): string {
  const base = path.basename(modelPath).replace(/\.nn\.json$|\.json$/i, '');
  return path.join(path.dirname(modelPath), `${base}.py`);
}

/** The export of `modelText` for a script at `scriptPath` (its name gives the data and weight files' names). */
export function exportModel(modelText: string, modelPath: string, scriptPath: string, sameInit: boolean): PyTorchExport {
  if (!scriptPath.endsWith('.py')) throw new UsageError(`--out: the script's name must end with .py, got "${scriptPath}"`);
  const spec = prepareSpec(modelText, modelPath);
  const dataset = loadDataset(spec, readDataFiles(spec, modelPath));
  return exportToPyTorch({ spec, dataset, modelFile: path.basename(modelPath), stem: path.basename(scriptPath, '.py'), sameInit });
}

/** Every file of an export with its destination, the script first. */
export function exportTargets(result: PyTorchExport, scriptPath: string): { file: string; bytes: Uint8Array | string }[] {
  const dir = path.dirname(scriptPath);
  return [{ file: scriptPath, bytes: result.script }, ...result.files.map((f) => ({ file: path.join(dir, f.name), bytes: f.bytes }))];
}

export function runExport(cmd: Extract<Command, { name: 'export' }>, modelText: string, out: (line: string) => void): number {
  const scriptPath = cmd.out ?? defaultScriptPath(cmd.model);
  const targets = exportTargets(exportModel(modelText, cmd.model, scriptPath, cmd.sameInit), scriptPath);
  const existing = targets.filter((t) => fs.existsSync(t.file)).map((t) => t.file);
  if (existing.length > 0 && !cmd.force) throw new UsageError(`${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''}; pass --force to replace, or --out another name`);
  for (const t of targets) fs.writeFileSync(t.file, t.bytes);
  out(`wrote ${targets.map((t) => t.file).join(', ')}`);
  out(`run: python3 ${scriptPath} [--epochs N] [--json]   (data-parallel: torchrun --nproc_per_node N ${scriptPath})`);
  return 0;
}
