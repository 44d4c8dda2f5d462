// The sampled CSV reader's scan: its first threshold comes from the row count the first chunk suggests, so
// a file whose later rows are longer (too few rows copied) or shorter (more than the room made) is scanned
// again with the exact count, and keeps the same rows as when the guess was right; a file that shrinks
// while it is scanned is named at the row; and helper threads take chunks beside the caller, while a
// helper that cannot open the file, or fails during the scan, leaves the caller with the same result; the
// rows the scan parsed are moved into place by a helper that finished its chunks, or by the caller.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { csvSpec as spec, keptRows } from './data-helpers';
import { readCsv } from '../../src/engine/data/csv';
import { memoryReader } from '../../src/engine/data/data-file';
import { moveParsedRows, runSampleScan, sampleScanState, ScanHelpers, type ReadAt } from '../../src/engine/data/csv-sample-scan';
import { csvWasmModule } from '../../src/engine/data/csv-scan';
import { CSV_SELECT, CSV_WASM_LAYOUT } from '../../src/engine/data/csv-scan-wasm';
import { DataError } from '../../src/engine/data/errors';
import { Rng } from '../../src/engine/rng';
import type { ByteReader } from '../../src/engine/data/dataset';

/** Reads `text` with `samples`, counting the bytes read: the kept rows' ids (first cell), or the error as "line:column reason". */
function sampled(text: string, samples: number, seed: number, chunkBytes: number, readAt?: (bytes: Uint8Array) => ByteReader['readAt']): { ids?: number[]; error?: string; bytesRead: number } {
  const bytes = new TextEncoder().encode(text);
  const inner = memoryReader(bytes);
  let bytesRead = 0;
  const reader: ByteReader = {
    ...inner,
    readAt(into, position) {
      const n = (readAt?.(bytes) ?? inner.readAt)(into, position);
      bytesRead += n;
      return n;
    },
  };
  try {
    const d = readCsv('d.csv', reader, spec({ samples }, seed).data, { samples, rng: new Rng(seed).fork('reservoir'), fileBytes: bytes.length, chunkBytes });
    return { ids: Array.from({ length: d.n }, (_, r) => d.x[r * 2]), bytesRead };
  } catch (err) {
    assert.ok(err instanceof DataError, String(err));
    return { error: `${err.line}:${err.column} ${err.reason}`, bytesRead };
  }
}

/** Rows numbered by their first cell, `pad` spaces long before the label (the rows' lengths), with some blank lines. */
function padded(rows: number, pad: (i: number) => number): string {
  const lines = ['id,v,label'];
  for (let i = 0; i < rows; i++) {
    if (i % 13 === 4) lines.push('  ');
    lines.push(`${i},${i % 10},${' '.repeat(pad(i))}${'abc'[i % 3]}`);
  }
  return lines.join('\n') + '\n';
}

test('the rows kept are the contract\'s whether the first guess of the row count was right, too high or too low', () => {
  const files: [string, string][] = [
    ['rows of one length', padded(6000, () => 3)],
    ['longer rows later: too few rows copied at first', padded(6000, (i) => (i < 200 ? 0 : 40))],
    ['shorter rows later: more rows than the room at first', padded(6000, (i) => (i < 200 ? 120 : 0))],
  ];
  const rescans = new Map<string, number>();
  for (const [name, text] of files) {
    const size = new TextEncoder().encode(text).length;
    for (const seed of [1, 2]) {
      for (const samples of [50, 400, 5999, 7000]) {
        const expected = keptRows(text, samples, seed);
        for (const chunkBytes of [777, 4096]) {
          const got = sampled(text, samples, seed, chunkBytes);
          assert.deepEqual(got.ids, expected, `${name}, seed ${seed}, samples ${samples}, chunk ${chunkBytes}`);
          // the header's window and one scan read the file about once; a second scan, about twice
          if (got.bytesRead > 1.7 * size) rescans.set(name, (rescans.get(name) ?? 0) + 1);
        }
      }
    }
  }
  assert.equal(rescans.get('rows of one length'), undefined, 'a right guess scans once');
  assert.ok(rescans.get('longer rows later: too few rows copied at first')! > 0, 'too few rows copied: scanned again');
  assert.ok(rescans.get('shorter rows later: more rows than the room at first')! > 0, 'more rows than the room: scanned again');
});

test('a file that shrinks while it is scanned is named, at about where it ended', () => {
  const text = padded(4000, () => 2);
  const half = (bytes: Uint8Array): ByteReader['readAt'] => (into, position) => {
    const n = Math.max(0, Math.min(into.length, bytes.length / 2 - position));
    into.set(bytes.subarray(position, position + n));
    return n;
  };
  for (const chunkBytes of [500, 1 << 20]) {
    const got = sampled(text, 100, 3, chunkBytes, half);
    assert.match(got.error ?? '', /^\d+:1 d\.csv became shorter while it was read; load it again$/, `chunk ${chunkBytes}`);
    const line = Number(got.error!.split(':')[0]);
    assert.ok(line > 1500 && line < 2500, `line ${line}`);
  }
});

/** A scan of `file`'s rows after its header with every row copied, by the caller (reading through `read`) and helpers opening `helperPath`. */
function scanFile(file: string, read: ReadAt, helperPath: string | null) {
  const size = fs.statSync(file).size;
  const first = fs.readFileSync(file).indexOf(10) + 1;
  const s = sampleScanState({ first, fileBytes: size, chunkBytes: 8192, s0: 7, s1: 8, tau: 0x0fffffff, maxLine: 1 << 20, layout: CSV_WASM_LAYOUT, codes: CSV_SELECT, parse: null }, 1 << 16, 1 << 22);
  const helpers = helperPath ? new ScanHelpers(helperPath, 1) : null;
  let ok: boolean;
  try {
    ok = runSampleScan(s, read, csvWasmModule(), helpers, () => {});
  } finally {
    helpers?.close();
  }
  const slots = Array.from({ length: Math.min(s.taken[0], s.key.length) }, (_, i) => i).filter((i) => s.used[i]);
  const rows = slots.map((i) => [s.offset[i], s.length[i], s.key[i], s.chunk[i], s.lineInChunk[i]]).sort((a, b) => a[0] - b[0]);
  return { ok, lines: Array.from(s.lines), rows, chunks: s.chunks };
}

test('a helper thread scans chunks beside the caller to the same result; one that cannot open the file, or fails in the scan, leaves it to the caller', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnd-helper-'));
  try {
    const file = path.join(dir, 'd.csv');
    fs.writeFileSync(file, padded(60000, (i) => i % 5));
    const fd = fs.openSync(file, 'r');
    let callerReads = 0;
    const pause = new Int32Array(new SharedArrayBuffer(4));
    // a slow caller, so the helper has started before every chunk is claimed
    const slow: ReadAt = (into, position) => {
      callerReads++;
      Atomics.wait(pause, 0, 0, 5);
      return fs.readSync(fd, into, 0, into.length, position);
    };
    try {
      const alone = scanFile(file, slow, null);
      assert.ok(alone.ok && alone.rows.length > 1000);
      callerReads = 0;
      const helped = scanFile(file, slow, file);
      assert.deepEqual(helped, alone);
      assert.ok(callerReads < helped.chunks, `the caller read ${callerReads} of ${helped.chunks} chunks`);
      // a path that does not open: the caller scans every chunk, and the result is whole
      assert.deepEqual(scanFile(file, slow, path.join(dir, 'missing.csv')), alone);
      // a helper whose reads fail (a directory opens, but does not read) may leave a chunk unfinished: the scan reports it
      assert.equal(scanFile(file, slow, dir).ok, false);
    } finally {
      fs.closeSync(fd);
    }
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
});

test('a helper that finished its chunks moves the parsed rows into place, scan after scan, and without one the caller\'s wait does', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnd-move-'));
  try {
    const file = path.join(dir, 'd.csv');
    const rows = Array.from({ length: 30000 }, (_, i) => `${i},${(i * 7919) % 1000},${'abc'[i % 3]}`);
    fs.writeFileSync(file, ['id,v,label', ...rows].join('\n') + '\n');
    const fd = fs.openSync(file, 'r');
    const pause = new Int32Array(new SharedArrayBuffer(4));
    // a slow caller, so the helper has started before every chunk is claimed
    const slow: ReadAt = (into, position) => {
      Atomics.wait(pause, 0, 0, 2);
      return fs.readSync(fd, into, 0, into.length, position);
    };
    try {
      for (const helper of [true, false]) {
        // one helper serves successive scans of the file (a rescan), moving each one's rows
        const helpers = helper ? new ScanHelpers(file, 1) : null;
        try {
          for (let round = 0; round < (helper ? 2 : 1); round++) {
            const first = 'id,v,label\n'.length;
            const parse = { width: 3, target: 2, regression: false, inputs: 2 };
            const s = sampleScanState({ first, fileBytes: fs.statSync(file).size, chunkBytes: 8192, s0: 7 + round, s1: 8, tau: 0xffffffff, maxLine: 1 << 20, layout: CSV_WASM_LAYOUT, codes: CSV_SELECT, parse }, 1 << 16, 1 << 20);
            assert.ok(runSampleScan(s, slow, csvWasmModule(), helpers, () => {}));
            const n = Math.min(s.taken[0], s.key.length);
            const slots = Array.from({ length: n }, (_, i) => i);
            // every used slot parsed (no arena rows); the unused ends of a thread's runs of slots are rows too, of zeros
            assert.ok(slots.filter((i) => s.used[i]).every((i) => s.at[i] === -1));
            const order = slots.map((i) => n - 1 - i);
            s.moveFrom.set(order);
            const before = Array.from(s.values.subarray(0, 2 * n));
            const expected = order.flatMap((i) => [before[2 * i], before[2 * i + 1]]);
            assert.notDeepEqual(expected, before);
            const moved = moveParsedRows(s, n, 2);
            if (helper) {
              // the caller has not waited yet: only the helper can have moved them
              const since = Date.now();
              while (Atomics.load(s.move, 1) === 0 && Date.now() - since < 10_000) Atomics.wait(pause, 0, 0, 5);
              assert.equal(Atomics.load(s.move, 1), 1, `the helper moved the rows of scan ${round + 1}`);
            }
            moved();
            assert.deepEqual(Array.from(s.values.subarray(0, 2 * n)), expected, helper ? 'moved by the helper' : 'moved by the caller');
          }
        } finally {
          helpers?.close();
        }
      }
    } finally {
      fs.closeSync(fd);
    }
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
});
