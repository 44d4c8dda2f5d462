// A workspace data file, given as text or as a source the host opened, read into raw rows: CSV through the
// streaming, sampling reader, a JSON array whole (after its size passed the limit).
import { Rng } from '../rng';
import type { ModelSpec } from '../spec/model-spec';
import { readCsv } from './csv';
import type { ByteReader, DataFileSource } from './dataset';
import type { RawData } from './raw';
import { fileKind } from './sources';
import { checkJsonSize, readJsonRecords } from './table';
import { tableToData } from './tabular';

/** A reader over a file given as text (tests, virtual workspaces) or opened from its source, and the file's size. */
function openFile(file: string | DataFileSource): { reader: ByteReader; size: number; path?: string } {
  if (typeof file !== 'string') return { reader: file.open(), size: file.size, ...(file.path === undefined ? {} : { path: file.path }) };
  const bytes = new TextEncoder().encode(file);
  return { reader: memoryReader(bytes), size: bytes.length };
}

/** A reader over bytes already in memory. */
export function memoryReader(bytes: Uint8Array): ByteReader {
  let at = 0;
  return {
    read(into) {
      const n = Math.min(into.length, bytes.length - at);
      into.set(bytes.subarray(at, at + n));
      at += n;
      return n;
    },
    readAt(into, position) {
      const n = Math.max(0, Math.min(into.length, bytes.length - position));
      into.set(bytes.subarray(position, position + n));
      return n;
    },
    close() {},
  };
}

/** A JSON file's whole text, read once its size is within the limit. */
function readWhole(name: string, file: DataFileSource): string {
  checkJsonSize(name, file.size, 'bytes');
  const bytes = new Uint8Array(file.size);
  const reader = file.open();
  let at = 0;
  try {
    for (let n = 1; at < bytes.length && n > 0; at += n) n = reader.read(bytes.subarray(at));
  } finally {
    reader.close();
  }
  return new TextDecoder().decode(bytes.subarray(0, at));
}

/** A workspace data file's rows: a CSV streamed and sampled, a JSON array parsed whole. */
export function readDataFile(spec: ModelSpec, file: string | DataFileSource, options: { chunkBytes?: number; wasmScan?: boolean; helpers?: number; splitOrder?: (n: number) => Int32Array } = {}): RawData {
  const { data } = spec;
  if (fileKind(data.source) === 'json') return tableToData(readJsonRecords(data.source, typeof file === 'string' ? file : readWhole(data.source, file)), data);
  const { reader, size, path } = openFile(file);
  try {
    return readCsv(data.source, reader, data, { samples: data.samples, rng: new Rng(spec.seed).fork('reservoir'), fileBytes: size, chunkBytes: options.chunkBytes, wasm: options.wasmScan, path, helpers: options.helpers, splitOrder: options.splitOrder });
  } finally {
    reader.close();
  }
}
