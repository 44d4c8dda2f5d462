// The byte work of parsing a CSV file's rows, behind one interface with two implementations: the
// WebAssembly module that scripts/build-csv-wasm.js generates (a plain row's numbers parsed in place), and
// plain TypeScript for a runtime without WebAssembly SIMD (feature-detected once). The wasm scanner's read
// buffer lives in the module's memory, so each chunk is read straight to where the module parses it. The
// same module finds the rows a sample copies (csv-sample-scan.ts runs its own instances).
import { CSV_WASM_BYTES, CSV_WASM_LAYOUT } from './csv-scan-wasm';

/** Positions are indices into the scanner's buffer (the one `buffer` returned last). */
export interface ByteScanner {
  /**
   * The read buffer, at least `length` bytes, its first `keep` bytes kept from the last one. Valid until the
   * next call (growing the wasm memory replaces every view of it).
   */
  buffer(length: number, keep: number): Uint8Array;
  /**
   * Parses the plain row buffer[start..end) into x[offset..] (the columns but `target`, in order) and
   * returns its target (a number for regression; for a class, 0 and its name's bytes at buffer[classFrom,
   * classTo)), or null when it declines (csv-fast.ts then parses the row), as it does for every row
   * without wasm. `targetAt` is then the target cell's offset in the row.
   */
  parseRow(start: number, end: number, width: number, target: number, regression: boolean, x: Float64Array, offset: number): number | null;
  classFrom: number;
  classTo: number;
  targetAt: number;
}

let compiled: WebAssembly.Module | null | undefined;

/** The wasm module, compiled once; null where the runtime lacks WebAssembly or its SIMD, or refuses to compile it. */
export function csvWasmModule(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  try {
    compiled = typeof WebAssembly === 'object' && WebAssembly.validate(CSV_WASM_BYTES) ? new WebAssembly.Module(CSV_WASM_BYTES) : null;
  } catch {
    compiled = null; // e.g. a content security policy without wasm-unsafe-eval
  }
  return compiled;
}

/** Whether this runtime runs the wasm scanner. */
export function wasmScanAvailable(): boolean {
  return csvWasmModule() !== null;
}

/** A scanner for one file: the wasm one where it runs (unless `wasm` is false), else the TypeScript one. */
export function createByteScanner(wasm = true): ByteScanner {
  const module = wasm ? csvWasmModule() : null;
  return module ? new WasmByteScanner(module) : new JsByteScanner();
}

interface CsvWasmExports {
  memory: WebAssembly.Memory;
  parseRow(start: number, end: number, width: number, target: number, classTarget: number): number;
}

const { results: RESULTS, row: ROW, maxColumns: MAX_COLUMNS, buffer: BUFFER } = CSV_WASM_LAYOUT;
const PAGE = 65536;

class WasmByteScanner implements ByteScanner {
  private readonly ex: CsvWasmExports;
  private i32!: Int32Array;
  private f64!: Float64Array;
  private bytes!: Uint8Array;
  classFrom = 0;
  classTo = 0;
  targetAt = 0;

  constructor(module: WebAssembly.Module) {
    this.ex = new WebAssembly.Instance(module).exports as unknown as CsvWasmExports;
    this.views();
  }

  /** Growing keeps the memory's contents, so whatever is to be kept stays where it is. */
  buffer(length: number): Uint8Array {
    const have = this.ex.memory.buffer.byteLength;
    if (BUFFER + length > have) {
      this.ex.memory.grow(Math.ceil((BUFFER + length - have) / PAGE));
      this.views();
    }
    return this.bytes.subarray(0, length);
  }

  parseRow(start: number, end: number, width: number, target: number, regression: boolean, x: Float64Array, offset: number): number | null {
    if (width > MAX_COLUMNS || this.ex.parseRow(BUFFER + start, BUFFER + end, width, target, regression ? 0 : 1) === 0) return null;
    const { f64, i32 } = this;
    const inputs = width - 1;
    const row = ROW >> 3;
    for (let j = 0; j < inputs; j++) x[offset + j] = f64[row + j];
    this.targetAt = i32[(RESULTS >> 2) + 3];
    if (regression) return f64[row + inputs];
    this.classFrom = i32[(RESULTS >> 2) + 1] - BUFFER;
    this.classTo = i32[(RESULTS >> 2) + 2] - BUFFER;
    return 0;
  }

  private views(): void {
    const buffer = this.ex.memory.buffer;
    this.i32 = new Int32Array(buffer, 0, BUFFER >> 2);
    this.f64 = new Float64Array(buffer, 0, BUFFER >> 3);
    this.bytes = new Uint8Array(buffer, BUFFER);
  }
}

/**
 * A view of `bytes` whose indexOf is Node's Buffer search (memchr, several times faster than the typed-array
 * one over a large file) when the runtime has Buffer; the bytes themselves otherwise.
 */
export const searchable: (bytes: Uint8Array) => Uint8Array =
  typeof Buffer === 'function' ? (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : (bytes) => bytes;

class JsByteScanner implements ByteScanner {
  private bytes = new Uint8Array(0);
  classFrom = 0;
  classTo = 0;
  targetAt = 0;

  buffer(length: number, keep: number): Uint8Array {
    if (length > this.bytes.length) {
      const bigger = new Uint8Array(length);
      bigger.set(this.bytes.subarray(0, keep));
      this.bytes = bigger;
    }
    return this.bytes.subarray(0, length);
  }

  parseRow(): number | null {
    return null;
  }
}
