// Generates the WebAssembly module that scans a streamed CSV file's bytes (src/engine/data/csv-scan.ts
// loads it): `selectLines` walks the lines of a sampled file's chunk, 64 bytes at a time with SIMD (line
// feeds found by i8x16.eq + bitmask, one hash per line), stopping at the rows the sample copies, and
// `parseRow` parses a plain row's numbers with the same arithmetic as csv-fast.ts. Writes WAT text, assembles it with the `wabt` npm package and
// embeds the bytes in src/engine/data/csv-scan-wasm.ts (committed generated source, so the build needs no
// extra step). Kept apart from scripts/build-wasm.js: the float kernels share a memory across threads,
// while this module owns a small private one holding the read buffer. Deterministic: the same inputs
// regenerate the same file, which test/unit/csv-scan.test.ts checks. Usage:
// `node scripts/build-csv-wasm.js [--check]`.
'use strict';
const path = require('node:path');

const OUT = path.join(__dirname, '..', 'src', 'engine', 'data', 'csv-scan-wasm.ts');

/** Memory layout (byte addresses): results, the powers of ten, one parsed row, then the read buffer. */
const LAYOUT = {
  /**
   * i32 results of the last call: [0] lines passed, [4, 8) a class cell's bytes, [12] the target cell's
   * offset, [16] where selectLines stopped (the selected line's line feed, NONE or TOO_LONG) and [20] its key.
   */
  results: 0,
  pow10: 64,
  /** One row's values as f64: the features in order, a regression target after them. */
  row: 256,
  /** Room for a row of the most columns a CSV header may have (LIMITS.columns in table.ts). */
  maxColumns: 10000,
};
LAYOUT.buffer = Math.ceil((LAYOUT.row + 8 * LAYOUT.maxColumns) / 4096) * 4096;

const LF = 10;
const splat = (b) => `(v128.const i8x16 ${Array(16).fill(b).join(' ')})`;
/** Four v128 lane masks (16 bytes each, in order) as one 64-bit mask, bit i for byte i. */
const mask64 = (lanes) =>
  lanes.map((v, i) => (i === 0 ? `(i64.extend_i32_u (i8x16.bitmask ${v}))` : `(i64.shl (i64.extend_i32_u (i8x16.bitmask ${v})) (i64.const ${16 * i}))`)).reduce((x, y) => `(i64.or ${x} ${y})`);
const quads = [0, 1, 2, 3];
const lineFeeds = (q) => `(i8x16.eq (v128.load offset=${16 * q} (local.get $p)) ${splat(LF)})`;

/** selectLines' results[16] when no line was selected, and when the line at the returned position is longer than maxLine. */
const SELECT = { none: -1, tooLong: -2 };

/** $h = MurmurHash3's 32-bit finalizer of $h (Math.imul and >>> in csv-sample-scan.ts's rowKey). */
const fmix32 = `
          (local.set $h (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 16))))
          (local.set $h (i32.mul (local.get $h) (i32.const 0x85ebca6b)))
          (local.set $h (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 13))))
          (local.set $h (i32.mul (local.get $h) (i32.const 0xc2b2ae35)))
          (local.set $h (i32.xor (local.get $h) (i32.shr_u (local.get $h) (i32.const 16))))`;

/** At the line feed `$nl` ending the line at `$line`: count it, then stop at it if it is too long or its key is at most $tau. */
const atSelectedLineFeed = `
        (if (i32.gt_u (i32.sub (local.get $nl) (local.get $line)) (local.get $maxLine)) (then
          (i32.store (i32.const ${LAYOUT.results + 16}) (i32.const ${SELECT.tooLong}))
          (br $stop)))
        (local.set $count (i32.add (local.get $count) (i32.const 1)))
        ;; the row's key: fmix32(fmix32(lo ^ s0) ^ hi ^ s1) of its byte offset in the file
        (local.set $off (i64.trunc_f64_u (f64.add (local.get $base) (f64.convert_i32_u (local.get $line)))))
        (local.set $h (i32.xor (i32.wrap_i64 (local.get $off)) (local.get $s0)))${fmix32}
        (local.set $h (i32.xor (i32.xor (local.get $h) (i32.wrap_i64 (i64.shr_u (local.get $off) (i64.const 32)))) (local.get $s1)))${fmix32}
        (if (i32.le_u (local.get $h) (local.get $tau)) (then
          (i32.store (i32.const ${LAYOUT.results + 16}) (local.get $nl))
          (i32.store (i32.const ${LAYOUT.results + 20}) (local.get $h))
          (br $stop)))
        (local.set $line (i32.add (local.get $nl) (i32.const 1)))
        (br_if $stop (i32.ge_u (local.get $line) (local.get $limit)))`;

/**
 * selectLines(start, end, limit, base, s0, s1, tau, maxLine) -> line. Walks the lines of [start, end) from
 * the line starting at `start`, counting each, and stops at the first whose key (a hash of its byte offset
 * in the file, `base` + its address, seeded by s0 and s1) is at most `tau` (unsigned): it returns that
 * line's start, its line feed in results[16] and its key in results[20]. Otherwise it stops before a line
 * longer than `maxLine` (results[16] TOO_LONG), once the next line starts at or after `limit`, or at the
 * line no line feed before `end` ends (results[16] NONE for both), and returns where that line starts.
 * results[0] counts the lines passed, the selected one included.
 */
const selectLines = `
  (func (export "selectLines") (param $start i32) (param $end i32) (param $limit i32) (param $base f64) (param $s0 i32) (param $s1 i32) (param $tau i32) (param $maxLine i32) (result i32)
    (local $p i32) (local $line i32) (local $count i32) (local $m i64) (local $nl i32) (local $off i64) (local $h i32)
    (local.set $line (local.get $start))
    (local.set $p (local.get $start))
    (i32.store (i32.const ${LAYOUT.results + 16}) (i32.const ${SELECT.none}))
    (block $stop
      (block $blocksDone (loop $blocks
        (br_if $blocksDone (i32.gt_u (i32.add (local.get $p) (i32.const 64)) (local.get $end)))
        (local.set $m ${mask64(quads.map(lineFeeds))})
        (block $eachDone (loop $each
          (br_if $eachDone (i64.eqz (local.get $m)))
          (local.set $nl (i32.add (local.get $p) (i32.wrap_i64 (i64.ctz (local.get $m)))))${atSelectedLineFeed}
          (local.set $m (i64.and (local.get $m) (i64.sub (local.get $m) (i64.const 1))))
          (br $each)))
        (local.set $p (i32.add (local.get $p) (i32.const 64)))
        (br $blocks)))
      (block $tailDone (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $p) (local.get $end)))
        (if (i32.eq (i32.load8_u (local.get $p)) (i32.const ${LF})) (then
          (local.set $nl (local.get $p))${atSelectedLineFeed}))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $tail))))
    (i32.store (i32.const ${LAYOUT.results}) (local.get $count))
    (local.get $line))`;

const SPACE = 32;
const TAB = 9;
const COMMA = 44;
const QUOTE = 34;

/** Advances $i over decimal digits, folding them into `into` (an i64 or i32 local, `cap` bounding an i32 one). */
function digits(label, into, type, cap) {
  const add = `(${type}.add (${type}.mul (local.get ${into}) (${type}.const 10)) ${type === 'i64' ? '(i64.extend_i32_u (local.get $d))' : '(local.get $d)'})`;
  return `
            (block ${label}Done (loop ${label}
              (br_if ${label}Done (i32.ge_u (local.get $i) (local.get $end)))
              (local.set $d (i32.sub (i32.load8_u (local.get $i)) (i32.const 48)))
              (br_if ${label}Done (i32.gt_u (local.get $d) (i32.const 9)))
              ${cap ? `(if (i32.lt_u (local.get ${into}) (i32.const ${cap})) (then (local.set ${into} ${add})))` : `(local.set ${into} ${add})`}
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br ${label})))`;
}

const skipBlanks = (label) => `
        (block ${label}Done (loop ${label}
          (br_if ${label}Done (i32.ge_u (local.get $i) (local.get $end)))
          (local.set $b (i32.load8_u (local.get $i)))
          (br_if ${label}Done (i32.and (i32.ne (local.get $b) (i32.const ${SPACE})) (i32.ne (local.get $b) (i32.const ${TAB}))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br ${label})))`;

/**
 * parseRow(start, end, width, target, classTarget) -> 1 parsed, 0 declined. The same rules and arithmetic
 * as FastRowParser.parse (csv-fast.ts): unquoted ASCII cells, plain decimal numbers by Clinger's fast path
 * (a mantissa of at most 15 digits times or divided by an exact power of ten up to 10^22, one correctly
 * rounded operation), so each value equals Number(text). It declines what csv-fast.ts would convert from
 * text (more digits, a larger exponent) as well as what csv-fast.ts declines; the caller then parses the
 * row there. Values go to the row area (features in column order without the target; a regression
 * target at index width-1); a class cell's bytes to results[4, 8), the target cell's offset to results[12].
 */
const parseRow = `
  (func (export "parseRow") (param $start i32) (param $end i32) (param $width i32) (param $target i32) (param $classTarget i32) (result i32)
    (local $i i32) (local $col i32) (local $b i32) (local $d i32) (local $from i32) (local $last i32) (local $negative i32)
    (local $mantissa i64) (local $intFrom i32) (local $digits i32) (local $scale i32) (local $fracFrom i32)
    (local $expNegative i32) (local $expFrom i32) (local $exp i32) (local $v f64) (local $j i32)
    (local.set $i (local.get $start))
    (block $decline
      (loop $cells${skipBlanks('$lead')}
        (if (i32.eq (local.get $col) (local.get $target))
          (then (i32.store (i32.const ${LAYOUT.results + 12}) (i32.sub (local.get $i) (local.get $start)))))
        (if (i32.and (i32.eq (local.get $col) (local.get $target)) (local.get $classTarget))
          (then
            (local.set $from (local.get $i))
            (local.set $last (local.get $i))
            (block $nameDone (loop $name
              (br_if $nameDone (i32.ge_u (local.get $i) (local.get $end)))
              (local.set $b (i32.load8_u (local.get $i)))
              (br_if $nameDone (i32.eq (local.get $b) (i32.const ${COMMA})))
              (br_if $decline (i32.or (i32.or (i32.eq (local.get $b) (i32.const ${QUOTE})) (i32.ge_u (local.get $b) (i32.const 127)))
                (i32.and (i32.lt_u (local.get $b) (i32.const ${SPACE})) (i32.ne (local.get $b) (i32.const ${TAB})))))
              (if (i32.and (i32.ne (local.get $b) (i32.const ${SPACE})) (i32.ne (local.get $b) (i32.const ${TAB})))
                (then (local.set $last (i32.add (local.get $i) (i32.const 1)))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $name)))
            (br_if $decline (i32.or (i32.eq (local.get $last) (local.get $from)) (i32.gt_u (i32.sub (local.get $last) (local.get $from)) (i32.const 64))))
            (i32.store (i32.const ${LAYOUT.results + 4}) (local.get $from))
            (i32.store (i32.const ${LAYOUT.results + 8}) (local.get $last)))
          (else
            (local.set $negative (i32.const 0))
            (if (i32.lt_u (local.get $i) (local.get $end)) (then
              (local.set $b (i32.load8_u (local.get $i)))
              (local.set $negative (i32.eq (local.get $b) (i32.const 45)))
              (if (i32.or (local.get $negative) (i32.eq (local.get $b) (i32.const 43)))
                (then (local.set $i (i32.add (local.get $i) (i32.const 1)))))))
            (local.set $mantissa (i64.const 0))
            (local.set $intFrom (local.get $i))${digits('$int', '$mantissa', 'i64')}
            (local.set $digits (i32.sub (local.get $i) (local.get $intFrom)))
            (local.set $scale (i32.const 0))
            (if (i32.lt_u (local.get $i) (local.get $end)) (then
              (if (i32.eq (i32.load8_u (local.get $i)) (i32.const 46)) (then
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (local.set $fracFrom (local.get $i))${digits('$frac', '$mantissa', 'i64')}
                (local.set $scale (i32.sub (local.get $fracFrom) (local.get $i)))
                (local.set $digits (i32.sub (local.get $digits) (local.get $scale)))))))
            (br_if $decline (i32.eqz (local.get $digits)))
            (if (i32.lt_u (local.get $i) (local.get $end)) (then
              (if (i32.eq (i32.or (i32.load8_u (local.get $i)) (i32.const 32)) (i32.const 101)) (then
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (local.set $expNegative (i32.const 0))
                (if (i32.lt_u (local.get $i) (local.get $end)) (then
                  (local.set $b (i32.load8_u (local.get $i)))
                  (local.set $expNegative (i32.eq (local.get $b) (i32.const 45)))
                  (if (i32.or (local.get $expNegative) (i32.eq (local.get $b) (i32.const 43)))
                    (then (local.set $i (i32.add (local.get $i) (i32.const 1)))))))
                (local.set $expFrom (local.get $i))
                (local.set $exp (i32.const 0))${digits('$expDigits', '$exp', 'i32', 1000000)}
                (br_if $decline (i32.eq (local.get $i) (local.get $expFrom)))
                (local.set $scale (i32.add (local.get $scale)
                  (select (i32.sub (i32.const 0) (local.get $exp)) (local.get $exp) (local.get $expNegative))))))))
            (br_if $decline (i32.or (i32.gt_u (local.get $digits) (i32.const 15))
              (i32.or (i32.gt_s (local.get $scale) (i32.const 22)) (i32.lt_s (local.get $scale) (i32.const -22)))))
            (local.set $v (f64.convert_i64_u (local.get $mantissa)))
            (local.set $v (if (result f64) (i32.ge_s (local.get $scale) (i32.const 0))
              (then (f64.mul (local.get $v) (f64.load (i32.add (i32.const ${LAYOUT.pow10}) (i32.shl (local.get $scale) (i32.const 3))))))
              (else (f64.div (local.get $v) (f64.load (i32.sub (i32.const ${LAYOUT.pow10}) (i32.shl (local.get $scale) (i32.const 3))))))))
            (if (local.get $negative) (then (local.set $v (f64.neg (local.get $v)))))${skipBlanks('$trail')}
            (if (i32.lt_u (local.get $i) (local.get $end))
              (then (br_if $decline (i32.ne (i32.load8_u (local.get $i)) (i32.const ${COMMA})))))
            (local.set $j (select (i32.sub (local.get $width) (i32.const 1))
              (i32.sub (local.get $col) (i32.gt_u (local.get $col) (local.get $target)))
              (i32.eq (local.get $col) (local.get $target))))
            (f64.store (i32.add (i32.const ${LAYOUT.row}) (i32.shl (local.get $j) (i32.const 3))) (local.get $v))))
        (if (i32.ge_u (local.get $i) (local.get $end))
          (then (return (i32.eq (local.get $col) (i32.sub (local.get $width) (i32.const 1))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (local.set $col (i32.add (local.get $col) (i32.const 1)))
        (br_if $cells (i32.lt_u (local.get $col) (local.get $width)))))
    (i32.const 0))`;

/** The powers of ten 10^0..10^22 (each exact in a double) as a data segment. */
function pow10Data() {
  const bytes = new Uint8Array(new Float64Array(Array.from({ length: 23 }, (_, i) => Number(`1e${i}`))).buffer);
  return Array.from(bytes, (b) => `\\${b.toString(16).padStart(2, '0')}`).join('');
}

function watText() {
  return `;; Generated by scripts/build-csv-wasm.js: CSV byte scanning (line feeds with SIMD, plain rows' numbers).
(module
  (memory (export "memory") ${Math.ceil(LAYOUT.buffer / 65536) + 1})
  (data (i32.const ${LAYOUT.pow10}) "${pow10Data()}")${selectLines}${parseRow})
`;
}

async function buildCsvWasmSource() {
  const wabt = await require('wabt')();
  const features = { simd: true };
  const mod = wabt.parseWat('csv-scan.wat', watText(), features);
  mod.validate(features);
  const { buffer } = mod.toBinary({ log: false, write_debug_names: true });
  mod.destroy();
  const lines = Array.from(buffer).join(', ').match(/.{1,110}(, |$)/g).map((l) => `  ${l.trim()}`).join('\n');
  return `// GENERATED by scripts/build-csv-wasm.js (node scripts/build-csv-wasm.js); do not edit by hand.
// The CSV byte-scanning module (SIMD line feeds, plain rows' numbers) and its memory layout.

/** Byte addresses in the module's memory: last call's i32 results, one parsed row's f64 values, the read buffer. */
export const CSV_WASM_LAYOUT = { results: ${LAYOUT.results}, row: ${LAYOUT.row}, maxColumns: ${LAYOUT.maxColumns}, buffer: ${LAYOUT.buffer} } as const;

/** selectLines' results[16] when it selected no line, and when it stopped before a line that is too long. */
export const CSV_SELECT = { none: ${SELECT.none}, tooLong: ${SELECT.tooLong} } as const;

/** ${buffer.length} bytes. */
export const CSV_WASM_BYTES = new Uint8Array([
${lines}
]);
`;
}

module.exports = { buildCsvWasmSource, OUT };

if (require.main === module) require('./generated-source').writeOrCheck(OUT, buildCsvWasmSource, 'scripts/build-csv-wasm.js');
