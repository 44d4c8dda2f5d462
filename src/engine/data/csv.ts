// A CSV data file streamed in chunks: rows are cut at line breaks (a quoted cell cannot span lines) and
// parsed into one typed array (csv-rows.ts). Read whole, every line is handed over in turn; with
// "samples", the rows kept are a seeded uniform subset found by a scan on every core (csv-sample.ts). Every
// error names the file, line and column.
import { availableParallelism } from 'node:os';
import type { Rng } from '../rng';
import type { DataSpec } from '../spec/model-spec';
import type { ByteReader } from './dataset';
import { createByteScanner, searchable, type ByteScanner } from './csv-scan';
import { CsvRows, lineTooLong } from './csv-rows';
import { readSampledCsv } from './csv-sample';
import type { RawData } from './raw';
import { LIMITS } from './table';

/** How much of the file each read asks for (and, sampling, each thread claims at a time). */
export const CHUNK_BYTES = 1 << 20;

const NEWLINE = 10;

/**
 * Hands every line of the file to `rows`, reading `chunkBytes` at a time into the scanner's buffer. A line
 * is complete before it is handed over, however the chunks cut it; one longer than the line limit is an
 * error on that line (as soon as that is known, so the buffer never holds more than one line and one chunk).
 */
function scanLines(file: string, reader: ByteReader, chunkBytes: number, scanner: ByteScanner, rows: CsvRows): void {
  let buf = scanner.buffer(Math.max(2 * chunkBytes, 4096), 0);
  let len = 0;
  let line = 0;
  /** The file offset of buf[0]. */
  let base = 0;
  const maxLine = LIMITS.lineBytes;
  for (;;) {
    if (buf.length - len < chunkBytes) buf = scanner.buffer(Math.max(2 * buf.length, len + chunkBytes), len);
    const n = reader.read(buf.subarray(len, len + chunkBytes));
    if (n === 0) break;
    const end = len + n;
    const bytes = buf.subarray(0, end);
    const view = searchable(bytes);
    // the line carried over from the last chunk has no line feed: the search starts after it
    let start = 0;
    for (let nl = view.indexOf(NEWLINE, len); nl >= 0; nl = view.indexOf(NEWLINE, start)) {
      if (nl - start > maxLine) throw lineTooLong(file, line + 1);
      rows.line(bytes, start, nl, ++line, base + start);
      start = nl + 1;
    }
    len = end - start;
    if (len > maxLine) throw lineTooLong(file, line + 1);
    // the unfinished line moves to the front, where the next chunk continues it
    if (start > 0) buf.copyWithin(0, start, end);
    base += start;
  }
  if (len > 0) rows.line(buf, 0, len, ++line, base);
}

export interface CsvOptions {
  /** Rows to keep (a seeded uniform subset); 0 keeps all. */
  samples: number;
  /** Seeds the subset. */
  rng: Rng;
  /** The file's size in bytes. */
  fileBytes: number;
  chunkBytes?: number;
  /** Scan with the WebAssembly module where the runtime runs it (the default), else in TypeScript. */
  wasm?: boolean;
  /** The file's path on this machine: helper threads open it to sample it beside the caller. */
  path?: string;
  /** Helper threads for sampling (default: one per core but the caller's, at most 3). */
  helpers?: number;
  /** The order the split will put `n` rows in (position i: row order[i]); a sample places its rows so at once. */
  splitOrder?: (n: number) => Int32Array;
}

/** Reads a CSV file into features and targets, keeping at most `samples` rows in file order. */
export function readCsv(file: string, reader: ByteReader, data: DataSpec, options: CsvOptions): RawData {
  const chunkBytes = options.chunkBytes ?? CHUNK_BYTES;
  if (!Number.isFinite(options.fileBytes) || options.fileBytes < 0) throw new Error(`readCsv: fileBytes must be a size in bytes, not ${options.fileBytes}`);
  const scanner = createByteScanner(options.wasm ?? true);
  if (options.samples > 0) {
    const helpers = options.path === undefined ? 0 : (options.helpers ?? Math.min(3, availableParallelism() - 1));
    return readSampledCsv(file, reader, data, { ...options, chunkBytes, scanner, helpers });
  }
  const rows = new CsvRows(file, data, options.fileBytes, scanner);
  scanLines(file, reader, chunkBytes, scanner, rows);
  return rows.finish();
}
