// Shared by the data tests: a model reading `d.csv` (target column `label`) with the given data fields.
import assert from 'node:assert/strict';
import { parseModel } from '../../src/engine/spec/parse';
import { Rng } from '../../src/engine/rng';

export function csvSpec(data: Record<string, unknown>, seed: number) {
  const r = parseModel(
    JSON.stringify({ seed, data: { source: 'd.csv', target: 'label', validationSplit: 0, preprocess: 'none', ...data }, layers: [{ type: 'dense', units: 3 }], loss: 'softmax-cross-entropy' }),
    'm.nn.json',
  );
  if (!r.ok) assert.fail(r.issues.map((i) => i.message).join('\n'));
  return r.spec;
}

/** MurmurHash3's 32-bit finalizer. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The sampling contract, written out on its own as the tests' reference: the data rows (0-based, blank
 * lines not counted) a read of `text` with `samples` and `seed` keeps, in file order. A row's key is
 * fmix32(fmix32(lo ^ s0) ^ hi ^ s1) of the byte offset where it starts (lo and hi its 32-bit halves), s0
 * and s1 the first two draws of the seed's "reservoir" stream; the rows with the smallest keys are kept,
 * the earlier row first at a tie.
 */
export function keptRows(text: string, samples: number, seed: number): number[] {
  const rng = new Rng(seed).fork('reservoir');
  const s0 = rng.nextUint32() | 0;
  const s1 = rng.nextUint32() | 0;
  const bytes = new TextEncoder().encode(text);
  const decoder = new TextDecoder();
  const rows: { key: number; offset: number; index: number }[] = [];
  let header = false;
  for (let start = 0; start < bytes.length; ) {
    let end = bytes.indexOf(10, start);
    if (end < 0) end = bytes.length;
    const blank = decoder.decode(bytes.subarray(start, end)).replace(/^\ufeff/, '').trim() === '';
    if (!blank && !header) header = true;
    else if (!blank) rows.push({ key: fmix32(fmix32((start % 2 ** 32) ^ s0) ^ Math.floor(start / 2 ** 32) ^ s1), offset: start, index: rows.length });
    start = end + 1;
  }
  const kept = [...rows].sort((a, b) => a.key - b.key || a.offset - b.offset).slice(0, samples);
  return kept.map((r) => r.index).sort((a, b) => a - b);
}
