// The workspace data file a model refers to, as a source the engine streams from disk (the CLI resolves it
// relative to the model's folder; the extension's worker gets the path the extension resolved). Keyed as
// written in the model, which is how the engine's loader expects DataFiles.
import * as fs from 'fs';
import * as path from 'path';
import type { DataFiles, DataFileSource } from '../engine/data/dataset';
import type { ModelSpec } from '../engine/spec/model-spec';
import type { DataFileRef } from '../shared/protocol';
import { DataError } from '../engine/data/errors';

/** Called after every read with the bytes read so far and the file's size. */
export type ReadProgress = (bytes: number, total: number) => void;

function cannotRead(name: string, err: unknown): DataError {
  return new DataError(`cannot read data file ${name} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, ['data', 'source']);
}

/** A data file on disk, opened only when the engine reads it; `name` is how the model spells it. */
export function dataFileSource(name: string, file: string, onRead?: ReadProgress): DataFileSource {
  let size: number;
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
    size = stat.size;
  } catch (err) {
    throw cannotRead(name, err);
  }
  return {
    size,
    path: file,
    open() {
      let fd: number;
      try {
        fd = fs.openSync(file, 'r');
      } catch (err) {
        throw cannotRead(name, err);
      }
      let done = 0;
      return {
        read(into) {
          const n = fs.readSync(fd, into, 0, into.length, null);
          done += n;
          onRead?.(done, Math.max(size, done));
          return n;
        },
        readAt: (into, position) => fs.readSync(fd, into, 0, into.length, position),
        progress: (bytes) => onRead?.(bytes, size),
        close: () => fs.closeSync(fd),
      };
    },
  };
}

export function readDataFiles(spec: ModelSpec, modelPath: string, onRead?: ReadProgress): DataFiles {
  if (!spec.data.isFile) return {};
  const file = path.resolve(path.dirname(modelPath), spec.data.source);
  return { [spec.data.source]: dataFileSource(spec.data.source, file, onRead) };
}

/** Data files as the extension resolved them: a path is streamed from disk, text is used as it is. */
export function openDataFiles(refs: Record<string, DataFileRef>, onRead?: (name: string) => ReadProgress): DataFiles {
  const files: DataFiles = {};
  for (const [name, ref] of Object.entries(refs)) files[name] = 'text' in ref ? ref.text : dataFileSource(name, ref.path, onRead?.(name));
  return files;
}
