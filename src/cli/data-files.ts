// Reads the workspace data file a model refers to (relative to the model's folder), keyed as written in
// the model, which is how the engine's loader expects DataFiles.
import * as fs from 'fs';
import * as path from 'path';
import type { DataFiles } from '../engine/data/dataset';
import type { ModelSpec } from '../engine/spec/model-spec';
import { DataError } from '../engine/data/errors';

export function readDataFiles(spec: ModelSpec, modelPath: string): DataFiles {
  if (!spec.data.isFile) return {};
  const file = path.resolve(path.dirname(modelPath), spec.data.source);
  try {
    return { [spec.data.source]: fs.readFileSync(file, 'utf8') };
  } catch (err) {
    throw new DataError(`cannot read data file ${spec.data.source} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, ['data', 'source']);
  }
}
