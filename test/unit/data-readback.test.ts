// The sampled CSV reader parses a row as it enters the reservoir only when the schedule of replacements,
// drawn ahead, says it stays to the estimated end of the file; the other rows that stay are read back by
// position after the scan. These tests hold that to the plain path: whatever the size estimate (right,
// far too small: most rows parsed on the way; far too large: most read back), chunk size and seed, the
// rows, values and errors are those of the full read; the schedule drawn ahead names exactly the row that
// replaces each one; the read-back works on a file on disk and names the file when it shrank; and the
// radix sort that puts the slots in file order is a sort.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { csvSpec as spec } from './data-helpers';
import { readCsv } from '../../src/engine/data/csv';
import { sortedByKey } from '../../src/engine/data/csv-kept-rows';
import { memoryReader, readDataFile } from '../../src/engine/data/data-file';
import { dataFileSource } from '../../src/cli/data-files';
import { DataError } from '../../src/engine/data/errors';
import { Reservoir } from '../../src/engine/data/reservoir';
import { Rng } from '../../src/engine/rng';
import type { ByteReader } from '../../src/engine/data/dataset';
import type { RawData } from '../../src/engine/data/raw';

/** A reader over `bytes` that counts the bytes read back by position. */
function countingReader(bytes: Uint8Array): ByteReader & { readBack: number } {
  const inner = memoryReader(bytes);
  const counting = {
    ...inner,
    readBack: 0,
    readAt(into: Uint8Array, position: number) {
      const n = inner.readAt(into, position);
      counting.readBack += n;
      return n;
    },
  };
  return counting;
}

/** A sampled read of `text` with `fileBytes` given as the size (right or wrong): the data, or the error as "line:column reason". */
function sampled(text: string, samples: number, seed: number, fileBytes: (size: number) => number, chunkBytes?: number): { data?: RawData; error?: string; readBack: number } {
  const bytes = new TextEncoder().encode(text);
  const reader = countingReader(bytes);
  const { data } = spec({ samples }, seed);
  try {
    const d = readCsv('d.csv', reader, data, { samples, rng: new Rng(seed).fork('reservoir'), fileBytes: fileBytes(bytes.length), chunkBytes });
    return { data: d, readBack: reader.readBack };
  } catch (err) {
    assert.ok(err instanceof DataError, String(err));
    return { error: `${err.line}:${err.column} ${err.reason}`, readBack: reader.readBack };
  }
}

const ESTIMATES: [string, (size: number) => number][] = [
  ['right', (size) => size],
  ['far too small', (size) => Math.max(1, Math.floor(size / 50))],
  ['far too large', (size) => size * 50],
];

/** Numbered rows (the first cell names the row) with quotes, CRLF, blank lines, a byte-order mark and non-ASCII labels. */
function mixedFile(rows: number): string {
  const lines = ['id,"v, quoted",label'];
  for (let i = 0; i < rows; i++) {
    if (i % 11 === 5) lines.push(i % 2 ? '' : ' \t');
    const v = i % 4 === 0 ? `"${i % 10}"` : i % 4 === 1 ? ` ${i % 10}.5e0 ` : String(i % 10);
    const label = ['a', '"b, c"', 'ü'][i % 3];
    lines.push(`${i},${v},${label}`);
  }
  return '\ufeff' + lines.join('\r\n') + '\r\n';
}

test('the rows kept are the same whether they were parsed on the way or read back, whatever the size estimate and chunk size', () => {
  const text = mixedFile(3000);
  const full = readDataFile(spec({}, 1), text);
  for (const seed of [1, 2, 3]) {
    for (const samples of [40, 700, 2999, 5000]) {
      const reference = sampled(text, samples, seed, (size) => size);
      assert.ok(reference.data, reference.error);
      // the kept rows are rows of the full read, in file order
      const ids = Array.from({ length: reference.data.n }, (_, r) => reference.data!.x[r * 2]);
      assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
      assert.equal(reference.data.n, Math.min(samples, 3000));
      for (let r = 0; r < reference.data.n; r++) {
        const i = ids[r];
        assert.deepEqual([reference.data.x[r * 2 + 1], reference.data.classNames![reference.data.labels[r]]], [full.x[i * 2 + 1], full.classNames![full.labels[i]]]);
      }
      for (const [estimate, fileBytes] of ESTIMATES) {
        for (const chunkBytes of [5, 333, undefined]) {
          const got = sampled(text, samples, seed, fileBytes, chunkBytes);
          assert.deepEqual(got.data, reference.data, `seed ${seed}, samples ${samples}, estimate ${estimate}, chunk ${chunkBytes}`);
        }
      }
    }
  }
  // both paths are taken: a size far too large sends more kept rows to the read-back than the right size; far too small, none
  const readBack = ESTIMATES.map(([, fileBytes]) => sampled(text, 700, 1, fileBytes).readBack);
  assert.ok(readBack[2] > readBack[0] && readBack[1] === 0, `read back: ${readBack.join(', ')}`);
});

test('a bad cell gives the full read\'s error when its row stays, however that row was reached, and none when it is replaced', () => {
  const rows = 600;
  const good = Array.from({ length: rows }, (_, i) => `${i},${(i * 37) % 101},${'abc'[i % 3]}`);
  const bads = [(i: number) => `${i},x${i},a`, (i: number) => `${i},1`, (i: number) => `${i},"1,a`];
  let reported = 0;
  let quiet = 0;
  for (const badRow of bads) {
    for (const at of [0, 123, 599]) {
      // two bad rows: which one is reported depends on which stay; it must be the first in the file
      const lines = [...good];
      lines[at] = badRow(at);
      lines[(at + 300) % rows] = badRow((at + 300) % rows);
      const text = ['id,v,label', ...lines].join('\n');
      for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
        const outcomes = ESTIMATES.map(([, fileBytes]) => sampled(text, 60, seed, fileBytes, 64));
        for (const o of outcomes) assert.deepEqual(o.error ?? null, outcomes[0].error ?? null, `seed ${seed}, bad rows ${at}`);
        if (outcomes[0].error) {
          reported++;
          assert.match(outcomes[0].error, /^\d+:\d+ /);
        } else quiet++;
      }
    }
  }
  assert.ok(reported > 0 && quiet > 0, `both cases happened: ${reported} reported, ${quiet} quiet`);
});

test('the schedule drawn ahead names the row that replaces each kept row, as offering every row finds it', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 4000 }), fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 1, max: 5000 }), (capacity, rows, seed, horizonAhead) => {
      // what offering every row does, on past the last horizon: the row in each slot over time
      const plain = new Reservoir(capacity, new Rng(seed));
      const slotOf = Array.from({ length: rows + 1 + horizonAhead }, () => plain.offer());
      const nextInSlot = new Float64Array(slotOf.length).fill(Infinity);
      const lastInSlot = new Map<number, number>();
      slotOf.forEach((slot, i) => {
        if (slot < 0) return;
        if (lastInSlot.has(slot)) nextInSlot[lastInSlot.get(slot)!] = i;
        lastInSlot.set(slot, i);
      });
      // the skipping reservoir asked, at each row it keeps, what replaces it before a horizon
      const ahead = new Reservoir(capacity, new Rng(seed));
      for (let i = 0; i < rows; ) {
        const skippable = ahead.skippable();
        if (skippable > 0) {
          const n = Math.min(skippable, rows - i);
          for (let j = i; j < i + n; j++) assert.equal(slotOf[j], -1, `row ${j} was skipped but the plain reservoir keeps it`);
          ahead.skip(n);
          i += n;
          continue;
        }
        const slot = ahead.offer();
        assert.equal(slot, slotOf[i], `row ${i}`);
        if (slot >= 0) {
          const horizon = i + 1 + horizonAhead;
          const replaced = ahead.replacedAt(horizon);
          if (nextInSlot[i] < horizon) assert.equal(replaced, nextInSlot[i], `row ${i} (slot ${slot}) is replaced at ${nextInSlot[i]}`);
          else assert.ok(replaced >= horizon, `row ${i}: ${replaced} before the horizon ${horizon}, but nothing replaces it until ${nextInSlot[i]}`);
        }
        i++;
      }
    }),
    { numRuns: 300 },
  );
});

test('kept rows are read back from a file on disk, and a file that shrank after the scan is named at the row', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nnd-readback-'));
  const file = path.join(dir, 'd.csv');
  // long rows far apart and short rows close together: reads shared and reads of their own
  const rows = Array.from({ length: 4000 }, (_, i) => `${i},${i % 50 === 7 ? `${i}.${'5'.repeat(40)}` : i % 10},${'abc'[i % 3]}`);
  const text = ['id,v,label', ...rows].join('\n') + '\n';
  fs.writeFileSync(file, text);
  const { data } = spec({ samples: 300 }, 4);
  const read = (source: { open(): ByteReader }, fileBytes: number) => {
    const reader = source.open();
    try {
      return readCsv('d.csv', reader, data, { samples: 300, rng: new Rng(4).fork('reservoir'), fileBytes, chunkBytes: 4096 });
    } finally {
      reader.close();
    }
  };
  const source = dataFileSource('d.csv', file);
  const expected = sampled(text, 300, 4, (size) => size).data;
  assert.deepEqual(read(source, source.size * 50), expected);
  assert.deepEqual(read(source, source.size), expected);
  // the file loses its second half between the scan and the read-back
  const shrinking = {
    open(): ByteReader {
      const reader = source.open();
      return { read: (into) => reader.read(into), readAt: (into, position) => (position > text.length / 2 ? 0 : reader.readAt(into, position)), close: () => reader.close() };
    },
  };
  assert.throws(
    () => read(shrinking, source.size * 50),
    (e: unknown) => e instanceof DataError && /^d\.csv:\d+:1: d\.csv became shorter while it was read; load it again$/.test(e.message) && e.line! > 2000,
  );
  fs.rmSync(dir, { recursive: true });
});

test('slots are put in file order by a radix sort of their offsets, small or beyond 32 bits', () => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.oneof(fc.integer({ min: 0, max: 70000 }), fc.integer({ min: 0, max: 2 ** 48 })), { maxLength: 300 }), (keys) => {
      const order = sortedByKey(Float64Array.from(keys), keys.length);
      assert.deepEqual(Array.from(order, (i) => keys[i]), [...keys].sort((a, b) => a - b));
    }),
    { numRuns: 300 },
  );
});
