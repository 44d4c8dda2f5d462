// Generates the WebAssembly SIMD float32 GEMM kernel: writes WAT text, assembles it with the `wabt` npm
// package and embeds the bytes as base64 in src/engine/kernels/wasm-bytes.ts (committed generated source,
// so the extension build needs no extra step). Deterministic: the same inputs regenerate the same file,
// which test/unit/kernels-wasm.test.ts checks. Usage: `node scripts/build-wasm.js [--check]`.
'use strict';
const path = require('node:path');

/**
 * Register tile: MR rows of C by NV×4 columns, held in MR×NV f32x4 accumulators. 4×8 without unrolling
 * measured fastest under V8 on x64 (about 29 GFLOP/s on 64×256×784); 6×8, 4×12, 8×4 or unrolling by 2-4
 * spilled registers and ran at 14-23 GFLOP/s.
 */
const MR = 4;
const NV = 2;
const UNROLL = 1;

/**
 * The two builds, fastest first: the loader takes the first one the runtime validates. Relaxed SIMD (VS Code's
 * Electron, Node 22+; Node 20 with --experimental-wasm-relaxed-simd) fuses each multiply-add.
 */
const VARIANTS = [
  { name: 'relaxed', features: { relaxed_simd: true }, madd: (a, b, c) => `(f32x4.relaxed_madd ${a} ${b} ${c})` },
  { name: 'simd', features: {}, madd: (a, b, c) => `(f32x4.add ${c} (f32x4.mul ${a} ${b}))` },
].map((v) => ({ MR, NV, ...v, NR: (v.NV ?? NV) * 4 }));
/** Rows of packed A swept against each B panel before moving on, so that A block stays in L2 (64×256 floats). */
const MC = 64;
const FEATURES = { simd: true, threads: true };
const NR = NV * 4;
const OUT = path.join(__dirname, '..', 'src', 'engine', 'kernels', 'wasm-bytes.ts');

const range = (n) => Array.from({ length: n }, (_, i) => i);
const acc = (r, v) => `$c${r}_${v}`;

/** i8x16.shuffle of two v128 by f32 lanes: 0-3 pick from `a`, 4-7 from `b`. */
function shuffle32(a, b, lanes) {
  const bytes = lanes.flatMap((l) => range(4).map((x) => 4 * l + x));
  return `(i8x16.shuffle ${bytes.join(' ')} ${a} ${b})`;
}

/**
 * A panel of a transposed B, four depths at a time: each of the NR source rows gives one v128 of four
 * consecutive depths (zero for the rows past a partial panel's width), and 4×4 transposes (eight shuffles
 * each) turn them into four packed rows.
 */
function packTransposedQuads(t) {
  const load = (j) => `(local.set $r${j} ${j === 0 ? '' : `(if (result v128) (i32.ge_s (i32.const ${j}) (local.get $w)) (then (v128.const i32x4 0 0 0 0)) (else `}(v128.load (i32.add (local.get $src) (i32.mul (i32.const ${j}) (local.get $ld4))))${j === 0 ? '' : '))'})`;
  const transpose = (v) => {
    const [r0, r1, r2, r3] = range(4).map((x) => `(local.get $r${4 * v + x})`);
    return [
      `(local.set $t0 ${shuffle32(r0, r1, [0, 4, 1, 5])})`,
      `(local.set $t1 ${shuffle32(r2, r3, [0, 4, 1, 5])})`,
      `(local.set $t2 ${shuffle32(r0, r1, [2, 6, 3, 7])})`,
      `(local.set $t3 ${shuffle32(r2, r3, [2, 6, 3, 7])})`,
      ...[['$t0', '$t1', [0, 1, 4, 5]], ['$t0', '$t1', [2, 3, 6, 7]], ['$t2', '$t3', [0, 1, 4, 5]], ['$t2', '$t3', [2, 3, 6, 7]]].map(
        ([a, b, lanes], q) => `(v128.store offset=${(q * t.NR + 4 * v) * 4} (local.get $d) ${shuffle32(`(local.get ${a})`, `(local.get ${b})`, lanes)})`,
      ),
    ].join('\n            ');
  };
  return `(if (local.get $t)
        (then
          (local.set $ld4 (i32.shl (local.get $ld) (i32.const 2)))
          (block $quadsDone (loop $quads
            (br_if $quadsDone (i32.gt_s (i32.add (local.get $p) (i32.const 4)) (local.get $k)))
            (local.set $src (i32.add (local.get $b) (i32.shl (i32.add (i32.mul (local.get $j0) (local.get $ld)) (local.get $p)) (i32.const 2))))
            ${range(t.NR).map(load).join('\n            ')}
            ${range(t.NV).map(transpose).join('\n            ')}
            (local.set $d (i32.add (local.get $d) (i32.const ${4 * t.NR * 4})))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (br $quads)))))`;
}

/**
 * pack(b, ld, k, n, transposed, dst): B element (p, j) at b + 4(p·ld + j), or b + 4(j·ld + p) when transposed,
 * into ceil(n/NR) panels of k×NR floats, zero-padded, so the micro-kernel streams B contiguously from L1.
 * Full panels are copied a v128 at a time, transposed panels four depths at a time; the rest one float at a time.
 */
function packFunc(t) {
  return `
  (func $pack (export "pack") (param $b i32) (param $ld i32) (param $k i32) (param $n i32) (param $t i32) (param $dst i32)
    (local $j0 i32) (local $w i32) (local $p i32) (local $jj i32) (local $src i32) (local $d i32) (local $ld4 i32)
    ${range(t.NR).map((j) => `(local $r${j} v128)`).join(' ')} (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $d (local.get $dst))
    (block $done (loop $panels
      (br_if $done (i32.ge_s (local.get $j0) (local.get $n)))
      (local.set $w (i32.sub (local.get $n) (local.get $j0)))
      (if (i32.gt_s (local.get $w) (i32.const ${t.NR})) (then (local.set $w (i32.const ${t.NR}))))
      (local.set $p (i32.const 0))
      ${packTransposedQuads(t)}
      (block $rowsDone (loop $rows
        (br_if $rowsDone (i32.ge_s (local.get $p) (local.get $k)))
        (if (i32.and (i32.eq (local.get $w) (i32.const ${t.NR})) (i32.eqz (local.get $t)))
          (then
            (local.set $src (i32.add (local.get $b)
              (i32.shl (i32.add (i32.mul (local.get $p) (local.get $ld)) (local.get $j0)) (i32.const 2))))
            ${range(t.NV).map((v) => `(v128.store offset=${v * 16} (local.get $d) (v128.load offset=${v * 16} (local.get $src)))`).join('\n            ')})
          (else
            (local.set $jj (i32.const 0))
            (block $colsDone (loop $cols
              (br_if $colsDone (i32.ge_s (local.get $jj) (i32.const ${t.NR})))
              (f32.store (i32.add (local.get $d) (i32.shl (local.get $jj) (i32.const 2)))
                (if (result f32) (i32.lt_s (local.get $jj) (local.get $w))
                  (then (f32.load (i32.add (local.get $b) (i32.shl
                    (if (result i32) (local.get $t)
                      (then (i32.add (i32.mul (i32.add (local.get $j0) (local.get $jj)) (local.get $ld)) (local.get $p)))
                      (else (i32.add (i32.mul (local.get $p) (local.get $ld)) (i32.add (local.get $j0) (local.get $jj)))))
                    (i32.const 2)))))
                  (else (f32.const 0))))
              (local.set $jj (i32.add (local.get $jj) (i32.const 1)))
              (br $cols)))))
        (local.set $d (i32.add (local.get $d) (i32.const ${t.NR * 4})))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $rows)))
      (local.set $j0 (i32.add (local.get $j0) (i32.const ${t.NR})))
      (br $panels))))`;
}

/**
 * packA(a, rs, ps, m, k, dst): op(A) with element (i, p) at a + 4(i·rs + p·ps) into ceil(m/MR) blocks of k×MR
 * floats (rows past m repeat the last row), so a strided Aᵀ is read contiguously by the micro-kernel. A block's
 * MR rows are one v128 per depth when they are adjacent in memory (rs = 1, a transposed A); rows of
 * consecutive depths (ps = 1) go four depths at a time through a 4×4 transpose; the rest one float at a time.
 */
function packAFunc(t) {
  if (t.MR !== 4) throw new Error('packA: the v128 paths assume MR = 4');
  const row = (r) => `(i32.add (local.get $src) (i32.shl (i32.mul (local.get $row${r}) (local.get $rs)) (i32.const 2)))`;
  const q = (x) => `(local.get $q${x})`;
  return `
  (func $packA (export "packA") (param $a i32) (param $rs i32) (param $ps i32) (param $m i32) (param $k i32) (param $dst i32)
    (local $i i32) (local $p i32) (local $r i32) (local $row i32) (local $d i32) (local $src i32)
    (local $row0 i32) (local $row1 i32) (local $row2 i32) (local $row3 i32)
    (local $q0 v128) (local $q1 v128) (local $q2 v128) (local $q3 v128) (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $d (local.get $dst))
    (block $done (loop $blocks
      (br_if $done (i32.ge_s (local.get $i) (local.get $m)))
      (local.set $p (i32.const 0))
      ${range(4).map((r) => `(local.set $row${r} (select (i32.add (local.get $i) (i32.const ${r})) (i32.sub (local.get $m) (i32.const 1)) (i32.lt_s (i32.add (local.get $i) (i32.const ${r})) (local.get $m))))`).join('\n      ')}
      (if (i32.and (i32.eq (local.get $rs) (i32.const 1)) (i32.le_s (i32.add (local.get $i) (i32.const 4)) (local.get $m)))
        (then
          (local.set $src (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 2))))
          (block $vDone (loop $vLoop
            (br_if $vDone (i32.ge_s (local.get $p) (local.get $k)))
            (v128.store (local.get $d) (v128.load (i32.add (local.get $src) (i32.shl (i32.mul (local.get $p) (local.get $ps)) (i32.const 2)))))
            (local.set $d (i32.add (local.get $d) (i32.const 16)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $vLoop)))))
      (if (i32.eq (local.get $ps) (i32.const 1))
        (then
          (block $qDone (loop $qLoop
            (br_if $qDone (i32.gt_s (i32.add (local.get $p) (i32.const 4)) (local.get $k)))
            (local.set $src (i32.add (local.get $a) (i32.shl (local.get $p) (i32.const 2))))
            ${range(4).map((r) => `(local.set $q${r} (v128.load ${row(r)}))`).join('\n            ')}
            (local.set $t0 ${shuffle32(q(0), q(1), [0, 4, 1, 5])})
            (local.set $t1 ${shuffle32(q(2), q(3), [0, 4, 1, 5])})
            (local.set $t2 ${shuffle32(q(0), q(1), [2, 6, 3, 7])})
            (local.set $t3 ${shuffle32(q(2), q(3), [2, 6, 3, 7])})
            ${[['$t0', '$t1', [0, 1, 4, 5]], ['$t0', '$t1', [2, 3, 6, 7]], ['$t2', '$t3', [0, 1, 4, 5]], ['$t2', '$t3', [2, 3, 6, 7]]].map(
              ([x, y, lanes], n) => `(v128.store offset=${n * 16} (local.get $d) ${shuffle32(`(local.get ${x})`, `(local.get ${y})`, lanes)})`).join('\n            ')}
            (local.set $d (i32.add (local.get $d) (i32.const 64)))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (br $qLoop)))))
      (block $pDone (loop $pLoop
        (br_if $pDone (i32.ge_s (local.get $p) (local.get $k)))
        (local.set $src (i32.add (local.get $a) (i32.shl (i32.mul (local.get $p) (local.get $ps)) (i32.const 2))))
        (local.set $r (i32.const 0))
        (block $rDone (loop $rLoop
          (br_if $rDone (i32.ge_s (local.get $r) (i32.const ${t.MR})))
          (local.set $row (i32.add (local.get $i) (local.get $r)))
          (if (i32.ge_s (local.get $row) (local.get $m)) (then (local.set $row (i32.sub (local.get $m) (i32.const 1)))))
          (f32.store (local.get $d) (f32.load (i32.add (local.get $src) (i32.shl (i32.mul (local.get $row) (local.get $rs)) (i32.const 2)))))
          (local.set $d (i32.add (local.get $d) (i32.const 4)))
          (local.set $r (i32.add (local.get $r) (i32.const 1)))
          (br $rLoop)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $pLoop)))
      (local.set $i (i32.add (local.get $i) (i32.const ${t.MR})))
      (br $blocks))))`;
}

/**
 * gemm(m, n, k, ap, bp, c, acc, tmp, bias, ldb, bt, jFrom, jTo): columns [jFrom, jTo) of C[m×n] = A·B (acc 0), += A·B (acc 1), = A·B + 1·biasᵀ
 * (acc 2, the dense layer's bias fused into the store) or = A·B + bias·1ᵀ (acc 3, a bias per row: a
 * convolution's per filter), with A packed by packA, MC rows at a time against
 * every B panel. B is packed by pack (ldb 0), or read in place with rows ldb floats apart, its last partial
 * panel (n not a multiple of NR) packed at bt: with few rows of A (a convolution's filters) each panel is
 * read only a few times, and packing it cost more than the contiguous reads saved. Partial tiles (m or n not
 * a multiple of the tile) go through the scratch tile `tmp`. jFrom is a multiple of NR: a thread computing a
range of B panels for every row shares the work of a product too short to split by rows. The relaxed build multiplies-adds with
 * f32x4.relaxed_madd (one fused instruction where the CPU has FMA), the plain build with a multiply then an add.
 */
function gemmFunc(t) {
  if (UNROLL !== 1) throw new Error('gemm: a B panel read in place steps by a row stride; the unrolled offsets assume packed panels');
  const accLocals = range(t.MR).flatMap((r) => range(t.NV).map((v) => `(local ${acc(r, v)} v128)`)).join(' ');
  const zero = range(t.MR).flatMap((r) => range(t.NV).map((v) => `(local.set ${acc(r, v)} (v128.const i32x4 0 0 0 0))`)).join('\n        ');
  const step = (u) => [
    ...range(t.NV).map((v) => `(local.set $b${v} (v128.load offset=${(u * t.NR + v * 4) * 4} (local.get $pb)))`),
    ...range(t.MR).flatMap((r) => [
      `(local.set $av (v128.load32_splat offset=${(u * t.MR + r) * 4} (local.get $pa)))`,
      ...range(t.NV).map((v) => `(local.set ${acc(r, v)} ${t.madd('(local.get $av)', `(local.get $b${v})`, `(local.get ${acc(r, v)})`)})`),
    ]),
  ].join('\n          ');
  const advance = (u) => `(local.set $pa (i32.add (local.get $pa) (i32.const ${u * t.MR * 4})))
          (local.set $pb (i32.add (local.get $pb) (local.get $bstride)))
          (local.set $p (i32.sub (local.get $p) (i32.const ${u})))`;
  const storeFull = range(t.MR).map((r) => [
    `(local.set $pc (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (i32.add (local.get $i) (i32.const ${r})) (local.get $n)) (local.get $j)) (i32.const 2))))`,
    ...range(t.NV).map((v) => `(v128.store offset=${v * 16} (local.get $pc) (if (result v128) (i32.eq (local.get $acc) (i32.const 1))
            (then (f32x4.add (v128.load offset=${v * 16} (local.get $pc)) (local.get ${acc(r, v)})))
            (else (if (result v128) (local.get $acc) (then (f32x4.add (local.get ${acc(r, v)}) (if (result v128) (i32.eq (local.get $acc) (i32.const 3))
              (then (v128.load32_splat (i32.add (local.get $bias) (i32.shl (i32.add (local.get $i) (i32.const ${r})) (i32.const 2)))))
              (else (v128.load offset=${v * 16} (local.get $pbias)))))) (else (local.get ${acc(r, v)}))))))`),
  ].join('\n            ')).join('\n            ');
  const storeTmp = range(t.MR).flatMap((r) => range(t.NV).map((v) => `(v128.store offset=${(r * t.NR + v * 4) * 4} (local.get $tmp) (local.get ${acc(r, v)}))`)).join('\n            ');
  return `
  (func $gemm (export "gemm") (param $m i32) (param $n i32) (param $k i32) (param $ap i32)
    (param $bp i32) (param $c i32) (param $acc i32) (param $tmp i32) (param $bias i32) (param $ldb i32) (param $bt i32) (param $jFrom i32) (param $jTo i32)
    (local $bstride i32) (local $pbias i32) (local $i0 i32) (local $iEnd i32) (local $i i32) (local $j i32) (local $rows i32) (local $cols i32) (local $panel i32) (local $pa i32) (local $pb i32)
    (local $p i32) (local $pc i32) (local $r i32) (local $q i32) (local $x f32) (local $av v128)
    ${range(t.NV).map((v) => `(local $b${v} v128)`).join(' ')}
    ${accLocals}
    (block $chunksDone (loop $chunks
    (br_if $chunksDone (i32.ge_s (local.get $i0) (local.get $m)))
    (local.set $iEnd (i32.add (local.get $i0) (i32.const ${MC})))
    (if (i32.gt_s (local.get $iEnd) (local.get $m)) (then (local.set $iEnd (local.get $m))))
    (local.set $j (local.get $jFrom))
    (block $jDone (loop $jLoop
      (br_if $jDone (i32.ge_s (local.get $j) (local.get $jTo)))
      (local.set $cols (i32.sub (local.get $n) (local.get $j)))
      (if (i32.gt_s (local.get $cols) (i32.const ${t.NR})) (then (local.set $cols (i32.const ${t.NR}))))
      (local.set $bstride (i32.const ${t.NR * 4}))
      (if (i32.eqz (local.get $ldb))
        (then (local.set $panel (i32.add (local.get $bp) (i32.mul (local.get $j) (i32.shl (local.get $k) (i32.const 2))))))
        (else (if (i32.eq (local.get $cols) (i32.const ${t.NR}))
          (then
            (local.set $panel (i32.add (local.get $bp) (i32.shl (local.get $j) (i32.const 2))))
            (local.set $bstride (i32.shl (local.get $ldb) (i32.const 2))))
          (else (local.set $panel (local.get $bt))))))
      (local.set $pbias (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2))))
      (local.set $i (local.get $i0))
      (block $iDone (loop $iLoop
        (br_if $iDone (i32.ge_s (local.get $i) (local.get $iEnd)))
        (local.set $rows (i32.sub (local.get $m) (local.get $i)))
        (if (i32.gt_s (local.get $rows) (i32.const ${t.MR})) (then (local.set $rows (i32.const ${t.MR}))))
        ${zero}
        (local.set $pa (i32.add (local.get $ap) (i32.mul (local.get $i) (i32.shl (local.get $k) (i32.const 2)))))
        (local.set $pb (local.get $panel))
        (local.set $p (local.get $k))
        (block $pDone (loop $pLoop
          (br_if $pDone (i32.lt_s (local.get $p) (i32.const ${UNROLL})))
          ${range(UNROLL).map(step).join('\n          ')}
          ${advance(UNROLL)}
          (br $pLoop)))
        ${UNROLL === 1 ? '' : `(block $tDone (loop $tLoop
          (br_if $tDone (i32.le_s (local.get $p) (i32.const 0)))
          ${step(0)}
          ${advance(1)}
          (br $tLoop)))`}
        (if (i32.and (i32.eq (local.get $rows) (i32.const ${t.MR})) (i32.eq (local.get $cols) (i32.const ${t.NR})))
          (then
            ${storeFull})
          (else
            ${storeTmp}
            (local.set $r (i32.const 0))
            (block $rDone (loop $rLoop
              (br_if $rDone (i32.ge_s (local.get $r) (local.get $rows)))
              (local.set $q (i32.const 0))
              (block $qDone (loop $qLoop
                (br_if $qDone (i32.ge_s (local.get $q) (local.get $cols)))
                (local.set $pc (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (i32.add (local.get $i) (local.get $r)) (local.get $n))
                  (i32.add (local.get $j) (local.get $q))) (i32.const 2))))
                (local.set $x (f32.load (i32.add (local.get $tmp) (i32.shl (i32.add (i32.mul (local.get $r) (i32.const ${t.NR})) (local.get $q)) (i32.const 2)))))
                (f32.store (local.get $pc) (if (result f32) (i32.eq (local.get $acc) (i32.const 1))
                  (then (f32.add (f32.load (local.get $pc)) (local.get $x)))
                  (else (if (result f32) (local.get $acc)
                    (then (f32.add (local.get $x) (f32.load (if (result i32) (i32.eq (local.get $acc) (i32.const 3))
                      (then (i32.add (local.get $bias) (i32.shl (i32.add (local.get $i) (local.get $r)) (i32.const 2))))
                      (else (i32.add (local.get $pbias) (i32.shl (local.get $q) (i32.const 2))))))))
                    (else (local.get $x))))))
                (local.set $q (i32.add (local.get $q) (i32.const 1)))
                (br $qLoop)))
              (local.set $r (i32.add (local.get $r) (i32.const 1)))
              (br $rLoop)))))
        (local.set $i (i32.add (local.get $i) (i32.const ${t.MR})))
        (br $iLoop)))
      (local.set $j (i32.add (local.get $j) (i32.const ${t.NR})))
      (br $jLoop)))
    (local.set $i0 (local.get $iEnd))
    (br $chunks))))`;
}

/**
 * adam(w, g, m, v, n, b1, b2, stepSize, invSqrtC2, eps) -> Σw: one Adam update of n float32 weights with
 * float32 moments, four lanes at a time (PyTorch's arrangement: w -= stepSize·m / (√v·invSqrtC2 + eps)).
 * Returns the sum of the updated weights so the caller can detect a non-finite update without a second pass.
 */
function adamFunc() {
  return `
  (func $adam (export "adam") (param $w i32) (param $g i32) (param $m i32) (param $v i32) (param $n i32)
    (param $b1 f32) (param $b2 f32) (param $step f32) (param $ic2 f32) (param $eps f32) (result f32)
    (local $i i32) (local $end i32) (local $gi v128) (local $mi v128) (local $vi v128) (local $wi v128) (local $sum v128)
    (local $B1 v128) (local $B2 v128) (local $C1 v128) (local $C2 v128) (local $S v128) (local $IC v128) (local $E v128)
    (local $sg f32) (local $sm f32) (local $sv f32) (local $sw f32) (local $tail f32)
    (local.set $B1 (f32x4.splat (local.get $b1)))
    (local.set $B2 (f32x4.splat (local.get $b2)))
    (local.set $C1 (f32x4.splat (f32.sub (f32.const 1) (local.get $b1))))
    (local.set $C2 (f32x4.splat (f32.sub (f32.const 1) (local.get $b2))))
    (local.set $S (f32x4.splat (local.get $step)))
    (local.set $IC (f32x4.splat (local.get $ic2)))
    (local.set $E (f32x4.splat (local.get $eps)))
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (block $vDone (loop $vLoop
      (br_if $vDone (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $gi (v128.load (i32.add (local.get $g) (local.get $i))))
      (local.set $mi (f32x4.add (f32x4.mul (local.get $B1) (v128.load (i32.add (local.get $m) (local.get $i)))) (f32x4.mul (local.get $C1) (local.get $gi))))
      (local.set $vi (f32x4.add (f32x4.mul (local.get $B2) (v128.load (i32.add (local.get $v) (local.get $i))))
        (f32x4.mul (local.get $C2) (f32x4.mul (local.get $gi) (local.get $gi)))))
      (v128.store (i32.add (local.get $m) (local.get $i)) (local.get $mi))
      (v128.store (i32.add (local.get $v) (local.get $i)) (local.get $vi))
      (local.set $wi (f32x4.sub (v128.load (i32.add (local.get $w) (local.get $i)))
        (f32x4.div (f32x4.mul (local.get $S) (local.get $mi)) (f32x4.add (f32x4.mul (f32x4.sqrt (local.get $vi)) (local.get $IC)) (local.get $E)))))
      (v128.store (i32.add (local.get $w) (local.get $i)) (local.get $wi))
      (local.set $sum (f32x4.add (local.get $sum) (local.get $wi)))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $vLoop)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $sDone (loop $sLoop
      (br_if $sDone (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $sg (f32.load (i32.add (local.get $g) (local.get $i))))
      (local.set $sm (f32.add (f32.mul (local.get $b1) (f32.load (i32.add (local.get $m) (local.get $i)))) (f32.mul (f32.sub (f32.const 1) (local.get $b1)) (local.get $sg))))
      (local.set $sv (f32.add (f32.mul (local.get $b2) (f32.load (i32.add (local.get $v) (local.get $i))))
        (f32.mul (f32.sub (f32.const 1) (local.get $b2)) (f32.mul (local.get $sg) (local.get $sg)))))
      (f32.store (i32.add (local.get $m) (local.get $i)) (local.get $sm))
      (f32.store (i32.add (local.get $v) (local.get $i)) (local.get $sv))
      (local.set $sw (f32.sub (f32.load (i32.add (local.get $w) (local.get $i)))
        (f32.div (f32.mul (local.get $step) (local.get $sm)) (f32.add (f32.mul (f32.sqrt (local.get $sv)) (local.get $ic2)) (local.get $eps)))))
      (f32.store (i32.add (local.get $w) (local.get $i)) (local.get $sw))
      (local.set $tail (f32.add (local.get $tail) (local.get $sw)))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $sLoop)))
    (f32.add (local.get $tail) (f32.add (f32.add (f32x4.extract_lane 0 (local.get $sum)) (f32x4.extract_lane 1 (local.get $sum)))
      (f32.add (f32x4.extract_lane 2 (local.get $sum)) (f32x4.extract_lane 3 (local.get $sum))))))`;
}

/**
 * sumSquares(a, n) -> Σa² in float64, for gradient norms without a JS loop. Eight floats per iteration into
 * four f64x2 accumulators: with one pair, each add waited on the previous one.
 */
function sumSquaresFunc() {
  const sq = (off, lo, hi) => `(local.set $x (v128.load offset=${off} (i32.add (local.get $a) (local.get $i))))
      (local.set $x (f32x4.mul (local.get $x) (local.get $x)))
      (local.set ${lo} (f64x2.add (local.get ${lo}) (f64x2.promote_low_f32x4 (local.get $x))))
      (local.set ${hi} (f64x2.add (local.get ${hi}) (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x)))))`;
  return `
  (func $sumSquares (export "sumSquares") (param $a i32) (param $n i32) (result f64)
    (local $i i32) (local $end i32) (local $x v128) (local $lo v128) (local $hi v128) (local $lo2 v128) (local $hi2 v128) (local $s f64)
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 2)))
    (block $vDone (loop $vLoop
      (br_if $vDone (i32.ge_u (local.get $i) (local.get $end)))
      ${sq(0, '$lo', '$hi')}
      ${sq(16, '$lo2', '$hi2')}
      (local.set $i (i32.add (local.get $i) (i32.const 32)))
      (br $vLoop)))
    (local.set $lo (f64x2.add (f64x2.add (local.get $lo) (local.get $hi)) (f64x2.add (local.get $lo2) (local.get $hi2))))
    (local.set $s (f64.add (f64x2.extract_lane 0 (local.get $lo)) (f64x2.extract_lane 1 (local.get $lo))))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $sDone (loop $sLoop
      (br_if $sDone (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $s (f64.add (local.get $s) (f64.promote_f32 (f32.mul (f32.load (i32.add (local.get $a) (local.get $i))) (f32.load (i32.add (local.get $a) (local.get $i)))))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $sLoop)))
    (local.get $s))`;
}

/**
 * moments(a, n, out) -> stores Σa, Σa² (float64, squared after promotion) at out, out + 8: activation mean
 * and std. Eight floats per iteration into two sets of accumulators, so consecutive adds do not wait on each other.
 */
function momentsFunc() {
  const step = (off, s0, s1, q0, q1) => `(local.set $x (v128.load offset=${off} (i32.add (local.get $a) (local.get $i))))
      (local.set $lo (f64x2.promote_low_f32x4 (local.get $x)))
      (local.set $hi (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x))))
      (local.set ${s0} (f64x2.add (local.get ${s0}) (local.get $lo)))
      (local.set ${s1} (f64x2.add (local.get ${s1}) (local.get $hi)))
      (local.set ${q0} (f64x2.add (local.get ${q0}) (f64x2.mul (local.get $lo) (local.get $lo))))
      (local.set ${q1} (f64x2.add (local.get ${q1}) (f64x2.mul (local.get $hi) (local.get $hi))))`;
  return `
  (func $moments (export "moments") (param $a i32) (param $n i32) (param $out i32)
    (local $i i32) (local $end i32) (local $x v128) (local $lo v128) (local $hi v128)
    (local $s0 v128) (local $s1 v128) (local $q0 v128) (local $q1 v128)
    (local $s2 v128) (local $s3 v128) (local $q2 v128) (local $q3 v128) (local $y f64) (local $s f64) (local $q f64)
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 2)))
    (block $vDone (loop $vLoop
      (br_if $vDone (i32.ge_u (local.get $i) (local.get $end)))
      ${step(0, '$s0', '$s1', '$q0', '$q1')}
      ${step(16, '$s2', '$s3', '$q2', '$q3')}
      (local.set $i (i32.add (local.get $i) (i32.const 32)))
      (br $vLoop)))
    (local.set $s0 (f64x2.add (f64x2.add (local.get $s0) (local.get $s1)) (f64x2.add (local.get $s2) (local.get $s3))))
    (local.set $q0 (f64x2.add (f64x2.add (local.get $q0) (local.get $q1)) (f64x2.add (local.get $q2) (local.get $q3))))
    (local.set $s (f64.add (f64x2.extract_lane 0 (local.get $s0)) (f64x2.extract_lane 1 (local.get $s0))))
    (local.set $q (f64.add (f64x2.extract_lane 0 (local.get $q0)) (f64x2.extract_lane 1 (local.get $q0))))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $sDone (loop $sLoop
      (br_if $sDone (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $y (f64.promote_f32 (f32.load (i32.add (local.get $a) (local.get $i)))))
      (local.set $s (f64.add (local.get $s) (local.get $y)))
      (local.set $q (f64.add (local.get $q) (f64.mul (local.get $y) (local.get $y))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $sLoop)))
    (f64.store (local.get $out) (local.get $s))
    (f64.store offset=8 (local.get $out) (local.get $q)))`;
}

/**
 * sumSquaredDiff(a, b, n) -> Σ(a - b)² in float64 (difference in float32, squared after promotion): update
 * ratios. Eight floats per iteration into four accumulators.
 */
function sumSquaredDiffFunc() {
  const step = (off, lo, hi) => `(local.set $x (f32x4.sub (v128.load offset=${off} (i32.add (local.get $a) (local.get $i))) (v128.load offset=${off} (i32.add (local.get $b) (local.get $i)))))
      (local.set ${lo} (f64x2.add (local.get ${lo}) (f64x2.mul (f64x2.promote_low_f32x4 (local.get $x)) (f64x2.promote_low_f32x4 (local.get $x)))))
      (local.set $x (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x)))
      (local.set ${hi} (f64x2.add (local.get ${hi}) (f64x2.mul (f64x2.promote_low_f32x4 (local.get $x)) (f64x2.promote_low_f32x4 (local.get $x)))))`;
  return `
  (func $sumSquaredDiff (export "sumSquaredDiff") (param $a i32) (param $b i32) (param $n i32) (result f64)
    (local $i i32) (local $end i32) (local $x v128) (local $lo v128) (local $hi v128) (local $lo2 v128) (local $hi2 v128) (local $y f64) (local $s f64)
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 2)))
    (block $vDone (loop $vLoop
      (br_if $vDone (i32.ge_u (local.get $i) (local.get $end)))
      ${step(0, '$lo', '$hi')}
      ${step(16, '$lo2', '$hi2')}
      (local.set $i (i32.add (local.get $i) (i32.const 32)))
      (br $vLoop)))
    (local.set $lo (f64x2.add (f64x2.add (local.get $lo) (local.get $hi)) (f64x2.add (local.get $lo2) (local.get $hi2))))
    (local.set $s (f64.add (f64x2.extract_lane 0 (local.get $lo)) (f64x2.extract_lane 1 (local.get $lo))))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $sDone (loop $sLoop
      (br_if $sDone (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $y (f64.promote_f32 (f32.sub (f32.load (i32.add (local.get $a) (local.get $i))) (f32.load (i32.add (local.get $b) (local.get $i))))))
      (local.set $s (f64.add (local.get $s) (f64.mul (local.get $y) (local.get $y))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $sLoop)))
    (local.get $s))`;
}

/**
 * binCounts(a, idx, n, lut, counts, stride): for n entries of a (entry idx[k], or k when idx is 0) adds one to
 * the count of the bin of |a|. The bin is read off the float32 exponent: lut holds, per exponent e, the one bin
 * edge inside that binade as f64 (+Inf when none) and, 2048 bytes on, the bin of the binade's lowest value as
 * i32, so a bin costs two loads and a compare. NaN and Inf land in the slots the lut gives exponent 255.
 * Entry k counts in table k mod 4 (four tables stride bytes apart, zeroed first, summed into the first at
 * the end): neighbouring entries mostly share a bin, and one table made each increment wait for the
 * previous one's store.
 */
function binCountsFunc() {
  return `
  (func $binCounts (export "binCounts") (param $a i32) (param $idx i32) (param $n i32) (param $lut i32) (param $counts i32) (param $stride i32)
    (local $k i32) (local $i i32) (local $bits i32) (local $e i32) (local $c i32)
    (memory.fill (local.get $counts) (i32.const 0) (i32.shl (local.get $stride) (i32.const 2)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $k) (local.get $n)))
      (local.set $i (local.get $k))
      (if (local.get $idx) (then (local.set $i (i32.load (i32.add (local.get $idx) (i32.shl (local.get $k) (i32.const 2)))))))
      (local.set $bits (i32.and (i32.load (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 2)))) (i32.const 0x7fffffff)))
      (local.set $e (i32.shr_u (local.get $bits) (i32.const 23)))
      (local.set $c (i32.add
        (i32.add (local.get $counts) (i32.mul (i32.and (local.get $k) (i32.const 3)) (local.get $stride)))
        (i32.shl (i32.add
          (i32.load offset=2048 (i32.add (local.get $lut) (i32.shl (local.get $e) (i32.const 2))))
          (f64.ge (f64.promote_f32 (f32.reinterpret_i32 (local.get $bits))) (f64.load (i32.add (local.get $lut) (i32.shl (local.get $e) (i32.const 3))))))
          (i32.const 2))))
      (i32.store (local.get $c) (i32.add (i32.load (local.get $c)) (i32.const 1)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $next)))
    (local.set $c (local.get $counts))
    (local.set $k (i32.add (local.get $counts) (local.get $stride)))
    (block $sumDone (loop $sum
      (br_if $sumDone (i32.ge_u (local.get $c) (local.get $k)))
      (i32.store (local.get $c) (i32.add
        (i32.add (i32.load (local.get $c)) (i32.load (i32.add (local.get $c) (local.get $stride))))
        (i32.add (i32.load (i32.add (local.get $c) (i32.shl (local.get $stride) (i32.const 1)))) (i32.load (i32.add (local.get $c) (i32.mul (local.get $stride) (i32.const 3)))))))
      (local.set $c (i32.add (local.get $c) (i32.const 4)))
      (br $sum))))`;
}

/**
 * The ReLU family's inactive test turned round, "live": above lo and not at or above hi (NaN hi: no upper
 * bound), on four lanes of x against the splats $L and $H, and on one value $f against $lo and $hi. What
 * channelSums' mode 1 counts and what deadUnits looks for.
 */
const liveVec = (x) => `(v128.andnot (f32x4.gt ${x} (local.get $L)) (f32x4.ge ${x} (local.get $H)))`;
const LIVE_ONE = `(i32.and (f32.gt (local.get $f) (local.get $lo)) (i32.eqz (f32.ge (local.get $f) (local.get $hi))))`;

/**
 * deadUnits(a, rows, units, lo, hi) -> how many units of a [rows × units] batch are stuck at every row under
 * the ReLU family's inactive test (channelSums' mode 1: not above lo, or at or above hi, NaN for no upper
 * bound): a dense layer's dead units. Four units at a time down the rows, stopping once all four were live.
 */
function deadUnitsFunc() {
  return `
  (func $deadUnits (export "deadUnits") (param $a i32) (param $rows i32) (param $units i32) (param $lo f32) (param $hi f32) (result i32)
    (local $u i32) (local $p i32) (local $end i32) (local $stride i32) (local $live v128) (local $x v128) (local $L v128) (local $H v128)
    (local $dead i32) (local $f f32) (local $any i32)
    (local.set $L (f32x4.splat (local.get $lo)))
    (local.set $H (f32x4.splat (local.get $hi)))
    (local.set $stride (i32.shl (local.get $units) (i32.const 2)))
    (block $vDone (loop $vLoop
      (br_if $vDone (i32.gt_u (i32.add (local.get $u) (i32.const 4)) (local.get $units)))
      (local.set $p (i32.add (local.get $a) (i32.shl (local.get $u) (i32.const 2))))
      (local.set $end (i32.add (local.get $p) (i32.mul (local.get $rows) (local.get $stride))))
      (local.set $live (v128.const i32x4 0 0 0 0))
      (block $rDone (loop $rLoop
        (br_if $rDone (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $x (v128.load (local.get $p)))
        (local.set $live (v128.or (local.get $live) ${liveVec('(local.get $x)')}))
        (br_if $rDone (i32x4.all_true (local.get $live)))
        (local.set $p (i32.add (local.get $p) (local.get $stride)))
        (br $rLoop)))
      (local.set $dead (i32.add (local.get $dead) (i32.sub (i32.const 4) (i32.popcnt (i32x4.bitmask (local.get $live))))))
      (local.set $u (i32.add (local.get $u) (i32.const 4)))
      (br $vLoop)))
    (block $sDone (loop $sLoop
      (br_if $sDone (i32.ge_u (local.get $u) (local.get $units)))
      (local.set $p (i32.add (local.get $a) (i32.shl (local.get $u) (i32.const 2))))
      (local.set $end (i32.add (local.get $p) (i32.mul (local.get $rows) (local.get $stride))))
      (local.set $any (i32.const 0))
      (block $tDone (loop $tLoop
        (br_if $tDone (i32.or (local.get $any) (i32.ge_u (local.get $p) (local.get $end))))
        (local.set $f (f32.load (local.get $p)))
        (local.set $any ${LIVE_ONE})
        (local.set $p (i32.add (local.get $p) (local.get $stride)))
        (br $tLoop)))
      (local.set $dead (i32.add (local.get $dead) (i32.eqz (local.get $any))))
      (local.set $u (i32.add (local.get $u) (i32.const 1)))
      (br $sLoop)))
    (local.get $dead))`;
}

/** copy(src, n, dst): n float32 values from src to dst (regions apart): the weights kept for an update ratio. */
function copyFunc() {
  return `
  (func $copy (export "copy") (param $src i32) (param $n i32) (param $dst i32)
    (memory.copy (local.get $dst) (local.get $src) (i32.shl (local.get $n) (i32.const 2))))`;
}

/**
 * demote(src, n, dst): n float64 values at src rounded to float32 at dst (round to nearest even, as a JS store
 * into a Float32Array), four at a time: a batch's inputs, staged from the float64 dataset by a plain copy.
 */
function demoteFunc() {
  const half = (off) => `(f32x4.demote_f64x2_zero (v128.load offset=${off} (local.get $src)))`;
  return `
  (func $demote (export "demote") (param $src i32) (param $n i32) (param $dst i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $dst) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vDone (loop $vLoop
      (br_if $vDone (i32.ge_u (local.get $dst) (local.get $end)))
      (v128.store (local.get $dst) ${shuffle32(half(0), half(16), [0, 1, 4, 5])})
      (local.set $src (i32.add (local.get $src) (i32.const 32)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
      (br $vLoop)))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $sDone (loop $sLoop
      (br_if $sDone (i32.ge_u (local.get $dst) (local.get $end)))
      (f32.store (local.get $dst) (f32.demote_f64 (f64.load (local.get $src))))
      (local.set $src (i32.add (local.get $src) (i32.const 8)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
      (br $sLoop))))`;
}

/** gather(src, idx, n, dst): dst[k] = src[idx[k]] for n float32 entries: the update ratio's weight sample. */
function gatherFunc() {
  return `
  (func $gather (export "gather") (param $src i32) (param $idx i32) (param $n i32) (param $dst i32)
    (local $k i32) (local $end i32)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $k) (local.get $end)))
      (f32.store (i32.add (local.get $dst) (local.get $k))
        (f32.load (i32.add (local.get $src) (i32.shl (i32.load (i32.add (local.get $idx) (local.get $k))) (i32.const 2)))))
      (local.set $k (i32.add (local.get $k) (i32.const 4)))
      (br $next))))`;
}

/** gatherDiff(src, idx, n, before, out): Σ(src[idx[k]] - before[k])² and Σbefore[k]² (float64) at out, out + 8. */
function gatherDiffFunc() {
  return `
  (func $gatherDiff (export "gatherDiff") (param $src i32) (param $idx i32) (param $n i32) (param $before i32) (param $out i32)
    (local $k i32) (local $end i32) (local $b f64) (local $d f64) (local $sd f64) (local $sb f64)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $k) (local.get $end)))
      (local.set $b (f64.promote_f32 (f32.load (i32.add (local.get $before) (local.get $k)))))
      (local.set $d (f64.sub (f64.promote_f32 (f32.load (i32.add (local.get $src) (i32.shl (i32.load (i32.add (local.get $idx) (local.get $k))) (i32.const 2))))) (local.get $b)))
      (local.set $sd (f64.add (local.get $sd) (f64.mul (local.get $d) (local.get $d))))
      (local.set $sb (f64.add (local.get $sb) (f64.mul (local.get $b) (local.get $b))))
      (local.set $k (i32.add (local.get $k) (i32.const 4)))
      (br $next)))
    (f64.store (local.get $out) (local.get $sd))
    (f64.store offset=8 (local.get $out) (local.get $sb)))`;
}

/** Activation codes shared with wasm-kernels.ts (ACTIVATION_CODES): the piecewise-linear kinds. */
const ACT = { linear: 0, relu: 1, 'leaky-relu': 2, relu6: 3 };

/**
 * A loop over n floats, 4 lanes at a time then one at a time, with byte offset $i: `vec` and `one` are the
 * bodies (v128 and f32), each given the load of a named array at $i. Used by the element-wise passes.
 */
function laneLoop(vec, one) {
  const load = (kind) => (arr) => `(${kind}.load (i32.add (local.get $${arr}) (local.get $i)))`;
  return `
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (block $vDone (loop $vLoop
      (br_if $vDone (i32.ge_u (local.get $i) (local.get $end)))
      ${vec(load('v128'))}
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $vLoop)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $sDone (loop $sLoop
      (br_if $sDone (i32.ge_u (local.get $i) (local.get $end)))
      ${one(load('f32'))}
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $sLoop)))`;
}

/**
 * act(kind, alpha, x, y, n): y = f(x) for the piecewise-linear activations, with the TS loops' results for
 * every input (NaN through ReLU gives 0 as `x > 0 ? x : 0` does; leaky-ReLU scales by alpha in float32).
 */
function actFunc() {
  const vec = (ld) => `(local.set $v ${ld('x')})
      (local.set $pos (f32x4.gt (local.get $v) (v128.const f32x4 0 0 0 0)))
      (v128.store (i32.add (local.get $y) (local.get $i))
        (if (result v128) (i32.eq (local.get $kind) (i32.const ${ACT.relu})) (then (v128.and (local.get $v) (local.get $pos)))
        (else (if (result v128) (i32.eq (local.get $kind) (i32.const ${ACT['leaky-relu']})) (then (v128.bitselect (local.get $v) (f32x4.mul (local.get $A) (local.get $v)) (local.get $pos)))
        (else (if (result v128) (i32.eq (local.get $kind) (i32.const ${ACT.relu6}))
          (then (v128.andnot (v128.bitselect (v128.const f32x4 6 6 6 6) (local.get $v) (f32x4.ge (local.get $v) (v128.const f32x4 6 6 6 6))) (f32x4.le (local.get $v) (v128.const f32x4 0 0 0 0))))
        (else (local.get $v))))))))`;
  const one = (ld) => `(local.set $s ${ld('x')})
      (f32.store (i32.add (local.get $y) (local.get $i))
        (if (result f32) (i32.eq (local.get $kind) (i32.const ${ACT.relu})) (then (select (local.get $s) (f32.const 0) (f32.gt (local.get $s) (f32.const 0))))
        (else (if (result f32) (i32.eq (local.get $kind) (i32.const ${ACT['leaky-relu']})) (then (select (local.get $s) (f32.mul (local.get $alpha) (local.get $s)) (f32.gt (local.get $s) (f32.const 0))))
        (else (if (result f32) (i32.eq (local.get $kind) (i32.const ${ACT.relu6}))
          (then (select (f32.const 0) (select (f32.const 6) (local.get $s) (f32.ge (local.get $s) (f32.const 6))) (f32.le (local.get $s) (f32.const 0))))
        (else (local.get $s))))))))`;
  return `
  (func $act (export "act") (param $kind i32) (param $alpha f32) (param $x i32) (param $y i32) (param $n i32)
    (local $i i32) (local $end i32) (local $v v128) (local $pos v128) (local $A v128) (local $s f32)
    (local.set $A (f32x4.splat (local.get $alpha)))${laneLoop(vec, one)})`;
}

/** actGrad(kind, alpha, x, dy, dx, n): dx = f'(x)·dy for the same activations (the TS loops' masks: x > 0, 0 < x < 6). */
function actGradFunc() {
  const vec = (ld) => `(local.set $v ${ld('x')})
      (local.set $g ${ld('dy')})
      (local.set $pos (f32x4.gt (local.get $v) (v128.const f32x4 0 0 0 0)))
      (v128.store (i32.add (local.get $dx) (local.get $i))
        (if (result v128) (i32.eq (local.get $kind) (i32.const ${ACT.relu})) (then (v128.and (local.get $g) (local.get $pos)))
        (else (if (result v128) (i32.eq (local.get $kind) (i32.const ${ACT['leaky-relu']})) (then (v128.bitselect (local.get $g) (f32x4.mul (local.get $A) (local.get $g)) (local.get $pos)))
        (else (if (result v128) (i32.eq (local.get $kind) (i32.const ${ACT.relu6}))
          (then (v128.and (local.get $g) (v128.and (local.get $pos) (f32x4.lt (local.get $v) (v128.const f32x4 6 6 6 6)))))
        (else (local.get $g))))))))`;
  const one = (ld) => `(local.set $s ${ld('x')})
      (local.set $d ${ld('dy')})
      (f32.store (i32.add (local.get $dx) (local.get $i))
        (if (result f32) (i32.eq (local.get $kind) (i32.const ${ACT.relu})) (then (select (local.get $d) (f32.const 0) (f32.gt (local.get $s) (f32.const 0))))
        (else (if (result f32) (i32.eq (local.get $kind) (i32.const ${ACT['leaky-relu']})) (then (select (local.get $d) (f32.mul (local.get $alpha) (local.get $d)) (f32.gt (local.get $s) (f32.const 0))))
        (else (if (result f32) (i32.eq (local.get $kind) (i32.const ${ACT.relu6}))
          (then (select (local.get $d) (f32.const 0) (i32.and (f32.gt (local.get $s) (f32.const 0)) (f32.lt (local.get $s) (f32.const 6)))))
        (else (local.get $d))))))))`;
  return `
  (func $actGrad (export "actGrad") (param $kind i32) (param $alpha f32) (param $x i32) (param $dy i32) (param $dx i32) (param $n i32)
    (local $i i32) (local $end i32) (local $v v128) (local $g v128) (local $pos v128) (local $A v128) (local $s f32) (local $d f32)
    (local.set $A (f32x4.splat (local.get $alpha)))${laneLoop(vec, one)})`;
}

/**
 * colSums(g, rows, n, out): out[j] = Σ_r g[r·n + j], rows summed in order in float32 (the bias gradient;
 * the same additions, in the same order, as the TS loop into a Float32Array).
 */
function colSumsFunc() {
  return `
  (func $colSums (export "colSums") (param $g i32) (param $rows i32) (param $n i32) (param $out i32)
    (local $j i32) (local $r i32) (local $p i32) (local $stride i32) (local $v v128) (local $s f32)
    (local.set $stride (i32.shl (local.get $n) (i32.const 2)))
    (block $vDone (loop $vLoop
      (br_if $vDone (i32.gt_s (i32.add (local.get $j) (i32.const 4)) (local.get $n)))
      (local.set $v (v128.const i32x4 0 0 0 0))
      (local.set $p (i32.add (local.get $g) (i32.shl (local.get $j) (i32.const 2))))
      (local.set $r (i32.const 0))
      (block $rDone (loop $rLoop
        (br_if $rDone (i32.ge_s (local.get $r) (local.get $rows)))
        (local.set $v (f32x4.add (local.get $v) (v128.load (local.get $p))))
        (local.set $p (i32.add (local.get $p) (local.get $stride)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rLoop)))
      (v128.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))) (local.get $v))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $vLoop)))
    (block $sDone (loop $sLoop
      (br_if $sDone (i32.ge_s (local.get $j) (local.get $n)))
      (local.set $s (f32.const 0))
      (local.set $p (i32.add (local.get $g) (i32.shl (local.get $j) (i32.const 2))))
      (local.set $r (i32.const 0))
      (block $rDone2 (loop $rLoop2
        (br_if $rDone2 (i32.ge_s (local.get $r) (local.get $rows)))
        (local.set $s (f32.add (local.get $s) (f32.load (local.get $p))))
        (local.set $p (i32.add (local.get $p) (local.get $stride)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rLoop2)))
      (f32.store (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2))) (local.get $s))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $sLoop))))`;
}

/**
 * Batch norm over features (a [rows × n] batch, one statistic per column), in the float64 arithmetic of the
 * TypeScript loops in normalization.ts and in the same order per feature, so the results are theirs to the
 * bit: the sums four features at a time (two f64x2 chains), the element-wise passes two, the odd last one alone.
 * bnMoments(x, rows, n, mean, var): mean[j] = Σx/rows, var[j] = Σ(x - mean[j])²/rows (float64 out).
 * bnApply(x, rows, n, mean, inv, g, b, xhat, out): xhat = (x - mean)·inv, out = g·xhat + b (xhat as stored).
 * bnGradSums(dy, xhat, rows, n, sg, sb): sg[j] = Σdy·xhat, sb[j] = Σdy (float64 out).
 * bnInputGrad(dy, xhat, rows, n, g, meanD, meanDX, inv, dx): dx = (dy·g - meanD - xhat·meanDX)·inv.
 */
function batchNormFuncs() {
  const f2 = (addr) => `(f64x2.promote_low_f32x4 (v128.load64_zero ${addr}))`;
  const f1 = (addr) => `(f64.promote_f32 (f32.load ${addr}))`;
  const put2 = (addr, v) => `(v128.store64_lane 0 ${addr} (f32x4.demote_f64x2_zero ${v}))`;
  const put1 = (addr, v) => `(f32.store ${addr} (f32.demote_f64 ${v}))`;
  const L = (x) => `(local.get $${x})`;
  const at4 = (base, idx) => `(i32.add ${L(base)} (i32.shl ${idx} (i32.const 2)))`;
  const at8 = (base, idx) => `(i32.add ${L(base)} (i32.shl ${idx} (i32.const 3)))`;
  // a column reduction: for each four features (then a pair, then the odd last one), `body` over every row at
  // $p; the features of a group are independent chains of adds, each in row order
  const columns = (groups) => `
    (local.set $stride (i32.shl ${L('n')} (i32.const 2)))
    (local.set $j (i32.const 0))${groups.map(([width, init, body, done], g) => `
    (block $g${g}Done (loop $g${g}Loop
      (br_if $g${g}Done (i32.gt_s (i32.add ${L('j')} (i32.const ${width})) ${L('n')}))
      ${init}
      (local.set $r (i32.const 0))
      (block $r${g}Done (loop $r${g}Loop
        (br_if $r${g}Done (i32.ge_s ${L('r')} ${L('rows')}))
        ${body}
        (local.set $p (i32.add ${L('p')} ${L('stride')}))
        (local.set $r (i32.add ${L('r')} (i32.const 1)))
        (br $r${g}Loop)))
      ${done}
      (local.set $j (i32.add ${L('j')} (i32.const ${width})))
      (br $g${g}Loop)))`).join('')}`;
  // the upper two floats of a v128 as f64x2
  const high = (v) => `(f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 ${v} ${v}))`;
  // an element-wise pass in memory order: row by row, pairs of features then the odd last one ($q: element index)
  const elements = (body2, body1) => `
    (local.set $r (i32.const 0))
    (block $rDone (loop $rLoop
      (br_if $rDone (i32.ge_s ${L('r')} ${L('rows')}))
      (local.set $j (i32.const 0))
      (local.set $q (i32.mul ${L('r')} ${L('n')}))
      (block $pDone (loop $pLoop
        (br_if $pDone (i32.gt_s (i32.add ${L('j')} (i32.const 2)) ${L('n')}))
        ${body2}
        (local.set $j (i32.add ${L('j')} (i32.const 2)))
        (local.set $q (i32.add ${L('q')} (i32.const 2)))
        (br $pLoop)))
      (if (i32.lt_s ${L('j')} ${L('n')}) (then ${body1}))
      (local.set $r (i32.add ${L('r')} (i32.const 1)))
      (br $rLoop)))`;
  const locals = `(local $j i32) (local $r i32) (local $p i32) (local $q i32) (local $stride i32) (local $s v128) (local $t v128) (local $u v128) (local $w v128) (local $v v128) (local $m v128) (local $d v128) (local $h v128) (local $s1 f64) (local $t1 f64) (local $m1 f64) (local $d1 f64) (local $h1 f64) (local $cnt f64)`;
  const zero = (...names) => names.map((x) => `(local.set $${x} (v128.const i64x2 0 0))`).join(' ');
  const divided = (v) => `(f64x2.div ${v} (f64x2.splat ${L('cnt')}))`;
  const moments = `
  (func $bnMoments (export "bnMoments") (param $x i32) (param $rows i32) (param $n i32) (param $mean i32) (param $var i32)
    ${locals}
    (local.set $cnt (f64.convert_i32_s ${L('rows')}))
    ${columns([
      [4, `${zero('s', 't')} (local.set $p ${at4('x', L('j'))})`,
        `(local.set $v (v128.load ${L('p')})) (local.set $s (f64x2.add ${L('s')} (f64x2.promote_low_f32x4 ${L('v')}))) (local.set $t (f64x2.add ${L('t')} ${high(L('v'))}))`,
        `(v128.store ${at8('mean', L('j'))} ${divided(L('s'))}) (v128.store offset=16 ${at8('mean', L('j'))} ${divided(L('t'))})`],
      [2, `${zero('s')} (local.set $p ${at4('x', L('j'))})`,
        `(local.set $s (f64x2.add ${L('s')} ${f2(L('p'))}))`,
        `(v128.store ${at8('mean', L('j'))} ${divided(L('s'))})`],
      [1, `(local.set $s1 (f64.const 0)) (local.set $p ${at4('x', L('j'))})`,
        `(local.set $s1 (f64.add ${L('s1')} ${f1(L('p'))}))`,
        `(f64.store ${at8('mean', L('j'))} (f64.div ${L('s1')} ${L('cnt')}))`],
    ])}
    ${columns([
      [4, `${zero('s', 't')} (local.set $m (v128.load ${at8('mean', L('j'))})) (local.set $h (v128.load offset=16 ${at8('mean', L('j'))})) (local.set $p ${at4('x', L('j'))})`,
        `(local.set $v (v128.load ${L('p')}))
        (local.set $d (f64x2.sub (f64x2.promote_low_f32x4 ${L('v')}) ${L('m')})) (local.set $s (f64x2.add ${L('s')} (f64x2.mul ${L('d')} ${L('d')})))
        (local.set $d (f64x2.sub ${high(L('v'))} ${L('h')})) (local.set $t (f64x2.add ${L('t')} (f64x2.mul ${L('d')} ${L('d')})))`,
        `(v128.store ${at8('var', L('j'))} ${divided(L('s'))}) (v128.store offset=16 ${at8('var', L('j'))} ${divided(L('t'))})`],
      [2, `${zero('s')} (local.set $m (v128.load ${at8('mean', L('j'))})) (local.set $p ${at4('x', L('j'))})`,
        `(local.set $d (f64x2.sub ${f2(L('p'))} ${L('m')})) (local.set $s (f64x2.add ${L('s')} (f64x2.mul ${L('d')} ${L('d')})))`,
        `(v128.store ${at8('var', L('j'))} ${divided(L('s'))})`],
      [1, `(local.set $s1 (f64.const 0)) (local.set $m1 (f64.load ${at8('mean', L('j'))})) (local.set $p ${at4('x', L('j'))})`,
        `(local.set $d1 (f64.sub ${f1(L('p'))} ${L('m1')})) (local.set $s1 (f64.add ${L('s1')} (f64.mul ${L('d1')} ${L('d1')})))`,
        `(f64.store ${at8('var', L('j'))} (f64.div ${L('s1')} ${L('cnt')}))`],
    ])})`;
  const apply = `
  (func $bnApply (export "bnApply") (param $x i32) (param $rows i32) (param $n i32) (param $mean i32) (param $inv i32) (param $g i32) (param $b i32) (param $xhat i32) (param $out i32)
    ${locals}
    ${elements(
      `(local.set $h (f32x4.demote_f64x2_zero (f64x2.mul (f64x2.sub ${f2(at4('x', L('q')))} (v128.load ${at8('mean', L('j'))})) (v128.load ${at8('inv', L('j'))}))))
        (v128.store64_lane 0 ${at4('xhat', L('q'))} ${L('h')})
        ${put2(at4('out', L('q')), `(f64x2.add (f64x2.mul ${f2(at4('g', L('j')))} (f64x2.promote_low_f32x4 ${L('h')})) ${f2(at4('b', L('j')))})`)}`,
      `(local.set $h1 (f64.promote_f32 (f32.demote_f64 (f64.mul (f64.sub ${f1(at4('x', L('q')))} (f64.load ${at8('mean', L('j'))})) (f64.load ${at8('inv', L('j'))})))))
        ${put1(at4('xhat', L('q')), L('h1'))}
        ${put1(at4('out', L('q')), `(f64.add (f64.mul ${f1(at4('g', L('j')))} ${L('h1')}) ${f1(at4('b', L('j')))})`)}`,
    )})`;
  const gradSums = `
  (func $bnGradSums (export "bnGradSums") (param $dy i32) (param $xhat i32) (param $rows i32) (param $n i32) (param $sg i32) (param $sb i32)
    ${locals}
    ${columns([
      [4, `${zero('s', 't', 'u', 'w')} (local.set $p (i32.shl ${L('j')} (i32.const 2)))`,
        `(local.set $v (v128.load (i32.add ${L('dy')} ${L('p')}))) (local.set $h (v128.load (i32.add ${L('xhat')} ${L('p')})))
        (local.set $d (f64x2.promote_low_f32x4 ${L('v')}))
        (local.set $s (f64x2.add ${L('s')} (f64x2.mul ${L('d')} (f64x2.promote_low_f32x4 ${L('h')}))))
        (local.set $u (f64x2.add ${L('u')} ${L('d')}))
        (local.set $d ${high(L('v'))})
        (local.set $t (f64x2.add ${L('t')} (f64x2.mul ${L('d')} ${high(L('h'))})))
        (local.set $w (f64x2.add ${L('w')} ${L('d')}))`,
        `(v128.store ${at8('sg', L('j'))} ${L('s')}) (v128.store offset=16 ${at8('sg', L('j'))} ${L('t')})
      (v128.store ${at8('sb', L('j'))} ${L('u')}) (v128.store offset=16 ${at8('sb', L('j'))} ${L('w')})`],
      [2, `${zero('s', 'u')} (local.set $p (i32.shl ${L('j')} (i32.const 2)))`,
        `(local.set $d ${f2(`(i32.add ${L('dy')} ${L('p')})`)})
        (local.set $s (f64x2.add ${L('s')} (f64x2.mul ${L('d')} ${f2(`(i32.add ${L('xhat')} ${L('p')})`)})))
        (local.set $u (f64x2.add ${L('u')} ${L('d')}))`,
        `(v128.store ${at8('sg', L('j'))} ${L('s')}) (v128.store ${at8('sb', L('j'))} ${L('u')})`],
      [1, `(local.set $s1 (f64.const 0)) (local.set $t1 (f64.const 0)) (local.set $p (i32.shl ${L('j')} (i32.const 2)))`,
        `(local.set $d1 ${f1(`(i32.add ${L('dy')} ${L('p')})`)})
        (local.set $s1 (f64.add ${L('s1')} (f64.mul ${L('d1')} ${f1(`(i32.add ${L('xhat')} ${L('p')})`)})))
        (local.set $t1 (f64.add ${L('t1')} ${L('d1')}))`,
        `(f64.store ${at8('sg', L('j'))} ${L('s1')}) (f64.store ${at8('sb', L('j'))} ${L('t1')})`],
    ])})`;
  const inputGrad = `
  (func $bnInputGrad (export "bnInputGrad") (param $dy i32) (param $xhat i32) (param $rows i32) (param $n i32) (param $g i32) (param $meanD i32) (param $meanDX i32) (param $inv i32) (param $dx i32)
    ${locals}
    ${elements(
      put2(at4('dx', L('q')), `(f64x2.mul (f64x2.sub (f64x2.sub (f64x2.mul ${f2(at4('dy', L('q')))} ${f2(at4('g', L('j')))}) (v128.load ${at8('meanD', L('j'))})) (f64x2.mul ${f2(at4('xhat', L('q')))} (v128.load ${at8('meanDX', L('j'))}))) (v128.load ${at8('inv', L('j'))}))`),
      put1(at4('dx', L('q')), `(f64.mul (f64.sub (f64.sub (f64.mul ${f1(at4('dy', L('q')))} ${f1(at4('g', L('j')))}) (f64.load ${at8('meanD', L('j'))})) (f64.mul ${f1(at4('xhat', L('q')))} (f64.load ${at8('meanDX', L('j'))}))) (f64.load ${at8('inv', L('j'))}))`),
    )})`;
  return moments + apply + gradSums + inputGrad;
}

/** allFinite(a, n) -> 1 when no entry is NaN or ±Inf (x - x is NaN exactly for those), else 0. */
function allFiniteFunc() {
  const vec = (ld) => `(local.set $v ${ld('a')})
      (local.set $bad (v128.or (local.get $bad) (f32x4.ne (f32x4.sub (local.get $v) (local.get $v)) (v128.const f32x4 0 0 0 0))))`;
  const one = (ld) => `(local.set $s ${ld('a')})
      (if (f32.ne (f32.sub (local.get $s) (local.get $s)) (f32.const 0)) (then (return (i32.const 0))))`;
  return `
  (func $allFinite (export "allFinite") (param $a i32) (param $n i32) (result i32)
    (local $i i32) (local $end i32) (local $v v128) (local $bad v128) (local $s f32)${laneLoop(vec, one)}
    (i32.eqz (v128.any_true (local.get $bad))))`;
}

/**
 * channelSums(a, rows, channels, spatial, mode, lo, hi, out): one pass over a [rows × channels × spatial]
 * image batch that stores, per channel c, Σx and Σx² (float64, squared after promotion) at out + 8c and
 * out + 8(channels + c), and at out + 8(2·channels + c) how many values are stuck: mode 1 (the ReLU family's
 * inactive test) counts values not above lo or at or above hi (NaN for no upper bound; NaN values count);
 * mode 2 (saturation) counts values below lo or above hi; mode 0 counts nothing. The probes' per-channel
 * moments, dead filters and stuck shares. One loop per mode, eight values a step in four float64 chains
 * (two when counting: four spill registers under V8).
 */
function channelSumsFunc() {
  const stuckVec = [
    null,
    // mode 1 counts the live values (fewer operations); the stuck count is the rest
    liveVec,
    (x) => `(v128.or (f32x4.lt ${x} (local.get $L)) (f32x4.gt ${x} (local.get $H)))`,
  ];
  const stuckOne = [
    null,
    LIVE_ONE,
    `(i32.or (f32.lt (local.get $f) (local.get $lo)) (f32.gt (local.get $f) (local.get $hi)))`,
  ];
  const promote = (x, half) => (half === 0 ? `(f64x2.promote_low_f32x4 ${x})` : `(f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 ${x} ${x}))`);
  // four values at `offset` from $p into chains $s{k}, $s{k+1} (and $q…), plus their stuck count
  const four = (mode, offset, k) => `
            (local.set $x (v128.load offset=${offset} (local.get $p)))
            (local.set $lo2 ${promote('(local.get $x)', 0)})
            (local.set $hi2 ${promote('(local.get $x)', 1)})
            (local.set $s${k} (f64x2.add (local.get $s${k}) (local.get $lo2)))
            (local.set $s${k + 1} (f64x2.add (local.get $s${k + 1}) (local.get $hi2)))
            (local.set $q${k} (f64x2.add (local.get $q${k}) (f64x2.mul (local.get $lo2) (local.get $lo2))))
            (local.set $q${k + 1} (f64x2.add (local.get $q${k + 1}) (f64x2.mul (local.get $hi2) (local.get $hi2))))${mode ? `
            (local.set $cnt (i32x4.sub (local.get $cnt) ${stuckVec[mode]('(local.get $x)')}))` : ''}`;
  const sumLanes = (v) => `(f64.add (f64x2.extract_lane 0 ${v}) (f64x2.extract_lane 1 ${v}))`;
  const modeFunc = (mode) => `
  (func $channelSums${mode} (param $a i32) (param $rows i32) (param $channels i32) (param $spatial i32) (param $lo f32) (param $hi f32) (param $out i32)
    (local $c i32) (local $r i32) (local $p i32) (local $v8 i32) (local $v4 i32) (local $end i32) (local $x v128) (local $lo2 v128) (local $hi2 v128)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128) (local $q0 v128) (local $q1 v128) (local $q2 v128) (local $q3 v128)
    (local $cnt v128) (local $L v128) (local $H v128) (local $f f32) (local $y f64) (local $s f64) (local $q f64) (local $n i32) (local $o i32)
    (local.set $L (f32x4.splat (local.get $lo)))
    (local.set $H (f32x4.splat (local.get $hi)))
    (block $cDone (loop $cLoop
      (br_if $cDone (i32.ge_u (local.get $c) (local.get $channels)))
      ${['s0', 's1', 's2', 's3', 'q0', 'q1', 'q2', 'q3', 'cnt'].map((v) => `(local.set $${v} (v128.const i32x4 0 0 0 0))`).join(' ')}
      (local.set $s (f64.const 0))
      (local.set $q (f64.const 0))
      (local.set $n (i32.const 0))
      (local.set $r (i32.const 0))
      (block $rDone (loop $rLoop
        (br_if $rDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $p (i32.add (local.get $a) (i32.shl (i32.mul (i32.add (i32.mul (local.get $r) (local.get $channels)) (local.get $c)) (local.get $spatial)) (i32.const 2))))
        (local.set $v8 (i32.add (local.get $p) (i32.shl (i32.and (local.get $spatial) (i32.const -8)) (i32.const 2))))
        (local.set $v4 (i32.add (local.get $p) (i32.shl (i32.and (local.get $spatial) (i32.const -4)) (i32.const 2))))
        (local.set $end (i32.add (local.get $p) (i32.shl (local.get $spatial) (i32.const 2))))
        (block $v8Done (loop $v8Loop
          (br_if $v8Done (i32.ge_u (local.get $p) (local.get $v8)))${four(mode, 0, 0)}${four(mode, 16, mode ? 0 : 2)}
          (local.set $p (i32.add (local.get $p) (i32.const 32)))
          (br $v8Loop)))
        (if (i32.lt_u (local.get $p) (local.get $v4)) (then${four(mode, 0, 0)}
          (local.set $p (i32.add (local.get $p) (i32.const 16)))))
        (block $sDone (loop $sLoop
          (br_if $sDone (i32.ge_u (local.get $p) (local.get $end)))
          (local.set $f (f32.load (local.get $p)))
          (local.set $y (f64.promote_f32 (local.get $f)))
          (local.set $s (f64.add (local.get $s) (local.get $y)))
          (local.set $q (f64.add (local.get $q) (f64.mul (local.get $y) (local.get $y))))${mode ? `
          (local.set $n (i32.add (local.get $n) ${stuckOne[mode]}))` : ''}
          (local.set $p (i32.add (local.get $p) (i32.const 4)))
          (br $sLoop)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rLoop)))
      (local.set $s0 (f64x2.add (f64x2.add (local.get $s0) (local.get $s1)) (f64x2.add (local.get $s2) (local.get $s3))))
      (local.set $q0 (f64x2.add (f64x2.add (local.get $q0) (local.get $q1)) (f64x2.add (local.get $q2) (local.get $q3))))
      (local.set $o (i32.add (local.get $out) (i32.shl (local.get $c) (i32.const 3))))
      (f64.store (local.get $o) (f64.add (local.get $s) ${sumLanes('(local.get $s0)')}))
      (local.set $o (i32.add (local.get $o) (i32.shl (local.get $channels) (i32.const 3))))
      (f64.store (local.get $o) (f64.add (local.get $q) ${sumLanes('(local.get $q0)')}))
      (local.set $o (i32.add (local.get $o) (i32.shl (local.get $channels) (i32.const 3))))
      (local.set $n (i32.add (local.get $n) (i32.add
        (i32.add (i32x4.extract_lane 0 (local.get $cnt)) (i32x4.extract_lane 1 (local.get $cnt)))
        (i32.add (i32x4.extract_lane 2 (local.get $cnt)) (i32x4.extract_lane 3 (local.get $cnt))))))
      (f64.store (local.get $o) (f64.convert_i32_u ${mode === 1 ? '(i32.sub (i32.mul (local.get $rows) (local.get $spatial)) (local.get $n))' : '(local.get $n)'}))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br $cLoop))))`;
  const args = ['a', 'rows', 'channels', 'spatial', 'lo', 'hi', 'out'].map((x) => `(local.get $${x})`).join(' ');
  return `${[0, 1, 2].map(modeFunc).join('')}
  (func $channelSums (export "channelSums") (param $a i32) (param $rows i32) (param $channels i32) (param $spatial i32) (param $mode i32) (param $lo f32) (param $hi f32) (param $out i32)
    (if (i32.eq (local.get $mode) (i32.const 1)) (then (call $channelSums1 ${args}) (return)))
    (if (i32.eq (local.get $mode) (i32.const 2)) (then (call $channelSums2 ${args}) (return)))
    (call $channelSums0 ${args}))
`;
}

/**
 * reluChannelSums(a, rows, channels, spatial, out): channelSums' pass over the input x of a ReLU, which also
 * gives the ReLU's own output statistics without reading its output: per channel c, Σx, Σx² at out + 8c and
 * out + 8(channels + c), Σy and Σy² of y = (x > 0 ? x : 0) (the ReLU's forward, bit for bit, summed in the
 * same order channelSums would) at out + 8(2·channels + c) and out + 8(3·channels + c), and how many x are
 * not above 0 at out + 8(4·channels + c).
 */
function reluChannelSumsFunc() {
  const sumLanes = (v) => `(f64.add (f64x2.extract_lane 0 ${v}) (f64x2.extract_lane 1 ${v}))`;
  const high = (x) => `(i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 ${x} ${x})`;
  const store = (k, value) => `
      (f64.store (i32.add (local.get $out) (i32.shl (i32.add (local.get $c) (i32.mul (local.get $channels) (i32.const ${k}))) (i32.const 3))) ${value})`;
  return `
  (func $reluChannelSums (export "reluChannelSums") (param $a i32) (param $rows i32) (param $channels i32) (param $spatial i32) (param $out i32)
    (local $c i32) (local $r i32) (local $p i32) (local $v4 i32) (local $end i32) (local $x v128) (local $m v128) (local $lo v128) (local $hi v128)
    (local $s0 v128) (local $s1 v128) (local $q0 v128) (local $q1 v128) (local $t0 v128) (local $t1 v128) (local $u0 v128) (local $u1 v128) (local $alive v128)
    (local $f f64) (local $g f64) (local $s f64) (local $q f64) (local $t f64) (local $u f64) (local $n i32)
    (block $cDone (loop $cLoop
      (br_if $cDone (i32.ge_u (local.get $c) (local.get $channels)))
      ${['s0', 's1', 'q0', 'q1', 't0', 't1', 'u0', 'u1', 'alive'].map((v) => `(local.set $${v} (v128.const i32x4 0 0 0 0))`).join(' ')}
      (local.set $s (f64.const 0)) (local.set $q (f64.const 0)) (local.set $t (f64.const 0)) (local.set $u (f64.const 0))
      (local.set $n (i32.const 0))
      (local.set $r (i32.const 0))
      (block $rDone (loop $rLoop
        (br_if $rDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $p (i32.add (local.get $a) (i32.shl (i32.mul (i32.add (i32.mul (local.get $r) (local.get $channels)) (local.get $c)) (local.get $spatial)) (i32.const 2))))
        (local.set $v4 (i32.add (local.get $p) (i32.shl (i32.and (local.get $spatial) (i32.const -4)) (i32.const 2))))
        (local.set $end (i32.add (local.get $p) (i32.shl (local.get $spatial) (i32.const 2))))
        (block $vDone (loop $vLoop
          (br_if $vDone (i32.ge_u (local.get $p) (local.get $v4)))
          (local.set $x (v128.load (local.get $p)))
          (local.set $lo (f64x2.promote_low_f32x4 (local.get $x)))
          (local.set $hi (f64x2.promote_low_f32x4 ${high('(local.get $x)')}))
          (local.set $s0 (f64x2.add (local.get $s0) (local.get $lo)))
          (local.set $s1 (f64x2.add (local.get $s1) (local.get $hi)))
          (local.set $q0 (f64x2.add (local.get $q0) (f64x2.mul (local.get $lo) (local.get $lo))))
          (local.set $q1 (f64x2.add (local.get $q1) (f64x2.mul (local.get $hi) (local.get $hi))))
          (local.set $m (f32x4.gt (local.get $x) (v128.const f32x4 0 0 0 0)))
          (local.set $alive (i32x4.sub (local.get $alive) (local.get $m)))
          (local.set $x (v128.and (local.get $x) (local.get $m)))
          (local.set $lo (f64x2.promote_low_f32x4 (local.get $x)))
          (local.set $hi (f64x2.promote_low_f32x4 ${high('(local.get $x)')}))
          (local.set $t0 (f64x2.add (local.get $t0) (local.get $lo)))
          (local.set $t1 (f64x2.add (local.get $t1) (local.get $hi)))
          (local.set $u0 (f64x2.add (local.get $u0) (f64x2.mul (local.get $lo) (local.get $lo))))
          (local.set $u1 (f64x2.add (local.get $u1) (f64x2.mul (local.get $hi) (local.get $hi))))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (br $vLoop)))
        (block $sDone (loop $sLoop
          (br_if $sDone (i32.ge_u (local.get $p) (local.get $end)))
          (local.set $f (f64.promote_f32 (f32.load (local.get $p))))
          (local.set $s (f64.add (local.get $s) (local.get $f)))
          (local.set $q (f64.add (local.get $q) (f64.mul (local.get $f) (local.get $f))))
          (local.set $g (select (local.get $f) (f64.const 0) (f64.gt (local.get $f) (f64.const 0))))
          (local.set $n (i32.add (local.get $n) (f64.gt (local.get $f) (f64.const 0))))
          (local.set $t (f64.add (local.get $t) (local.get $g)))
          (local.set $u (f64.add (local.get $u) (f64.mul (local.get $g) (local.get $g))))
          (local.set $p (i32.add (local.get $p) (i32.const 4)))
          (br $sLoop)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rLoop)))${store(0, `(f64.add (local.get $s) ${sumLanes('(f64x2.add (local.get $s0) (local.get $s1))')})`)}${store(1, `(f64.add (local.get $q) ${sumLanes('(f64x2.add (local.get $q0) (local.get $q1))')})`)}${store(2, `(f64.add (local.get $t) ${sumLanes('(f64x2.add (local.get $t0) (local.get $t1))')})`)}${store(3, `(f64.add (local.get $u) ${sumLanes('(f64x2.add (local.get $u0) (local.get $u1))')})`)}
      (local.set $n (i32.add (local.get $n) (i32.add
        (i32.add (i32x4.extract_lane 0 (local.get $alive)) (i32x4.extract_lane 1 (local.get $alive)))
        (i32.add (i32x4.extract_lane 2 (local.get $alive)) (i32x4.extract_lane 3 (local.get $alive))))))${store(4, '(f64.convert_i32_u (i32.sub (i32.mul (local.get $rows) (local.get $spatial)) (local.get $n)))')}
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br $cLoop))))`;
}

/**
 * sampledHistograms(a, offsets, n, bases, channels, bins, values, out): for each of `channels` channels, the
 * histogram of its sampled values a[offsets[j] + bases[ch]] (j < n, non-finite ones left out) over `bins`
 * equal bins from their min to their max, as src/engine/visuals/pictures.ts's histogram computes it (float64,
 * the same comparisons and rounding). Per channel, 3 + bins float64 at out: min, max, values kept, counts.
 * `values` holds n float64 and 2·bins i32 of scratch.
 */
function sampledHistogramsFunc() {
  // counts are kept as i32 in two interleaved sets (even and odd j) after the scratch values, so runs of equal
  // values (a ReLU's zeros) do not wait on one memory cell; they are summed into out as float64 at the end
  const countAt = (set) => `(i32.add (local.get $counts) (i32.shl (i32.add (local.get $b) (i32.mul (i32.const ${set}) (local.get $bins))) (i32.const 2)))`;
  const bin = (set) => `
        (local.set $b (i32.const 0))
        (if (f64.gt (local.get $width) (f64.const 0))
          (then
            (local.set $b (i32.trunc_f64_s (f64.floor (f64.div (f64.sub (f64.load (i32.add (local.get $values) (i32.shl (local.get $j) (i32.const 3)))) (local.get $min)) (local.get $width)))))
            (if (i32.gt_s (local.get $b) (local.get $top)) (then (local.set $b (local.get $top))))))
        (i32.store ${countAt(set)} (i32.add (i32.load ${countAt(set)}) (i32.const 1)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))`;
  return `
  (func $sampledHistograms (export "sampledHistograms") (param $a i32) (param $offsets i32) (param $n i32) (param $bases i32) (param $channels i32) (param $bins i32) (param $values i32) (param $out i32)
    (local $ch i32) (local $base i32) (local $j i32) (local $k i32) (local $b i32) (local $o i32) (local $top i32) (local $counts i32)
    (local $x f64) (local $min f64) (local $max f64) (local $width f64)
    (local.set $top (i32.sub (local.get $bins) (i32.const 1)))
    (local.set $counts (i32.add (local.get $values) (i32.shl (local.get $n) (i32.const 3))))
    (block $chDone (loop $chLoop
      (br_if $chDone (i32.ge_u (local.get $ch) (local.get $channels)))
      (local.set $base (i32.add (local.get $a) (i32.shl (i32.load (i32.add (local.get $bases) (i32.shl (local.get $ch) (i32.const 2)))) (i32.const 2))))
      (local.set $min (f64.const inf))
      (local.set $max (f64.const -inf))
      (local.set $k (i32.const 0))
      (local.set $j (i32.const 0))
      (block $gDone (loop $gLoop
        (br_if $gDone (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $x (f64.promote_f32 (f32.load (i32.add (local.get $base) (i32.shl (i32.load (i32.add (local.get $offsets) (i32.shl (local.get $j) (i32.const 2)))) (i32.const 2))))))
        (if (f64.eq (f64.sub (local.get $x) (local.get $x)) (f64.const 0))
          (then
            (f64.store (i32.add (local.get $values) (i32.shl (local.get $k) (i32.const 3))) (local.get $x))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (if (f64.lt (local.get $x) (local.get $min)) (then (local.set $min (local.get $x))))
            (if (f64.gt (local.get $x) (local.get $max)) (then (local.set $max (local.get $x))))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $gLoop)))
      (memory.fill (local.get $counts) (i32.const 0) (i32.shl (local.get $bins) (i32.const 3)))
      (local.set $width (f64.div (f64.sub (local.get $max) (local.get $min)) (f64.convert_i32_u (local.get $bins))))
      (local.set $j (i32.const 0))
      (block $bDone (loop $bLoop
        (br_if $bDone (i32.ge_u (i32.add (local.get $j) (i32.const 1)) (local.get $k)))${bin(0)}${bin(1)}
        (br $bLoop)))
      (if (i32.lt_u (local.get $j) (local.get $k)) (then${bin(0)}))
      (local.set $o (i32.add (local.get $out) (i32.shl (i32.mul (local.get $ch) (i32.add (local.get $bins) (i32.const 3))) (i32.const 3))))
      (f64.store (local.get $o) (local.get $min))
      (f64.store offset=8 (local.get $o) (local.get $max))
      (f64.store offset=16 (local.get $o) (f64.convert_i32_u (local.get $k)))
      (local.set $b (i32.const 0))
      (block $cDone (loop $cLoop
        (br_if $cDone (i32.ge_u (local.get $b) (local.get $bins)))
        (f64.store offset=24 (i32.add (local.get $o) (i32.shl (local.get $b) (i32.const 3)))
          (f64.convert_i32_u (i32.add (i32.load ${countAt(0)}) (i32.load ${countAt(1)}))))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $cLoop)))
      (local.set $ch (i32.add (local.get $ch) (i32.const 1)))
      (br $chLoop))))`;
}

/**
 * Convolution and pooling passes (src/engine/kernels/wasm-conv.ts): im2col/col2im per sample, the moves
 * between the filter-major GEMM result and sample-major outputs (bias added, bias gradient summed), and max
 * and average pooling forward and backward. Each computes what the TypeScript loops compute, in the same
 * order and precision (float64 sums where the loops sum in JS numbers), so both paths give equal results.
 * Addresses are bytes; counts are floats.
 */
function convFuncs() {
  const L = (name) => `(local.get $${name})`;
  const addr = (base, idx) => `(i32.add ${base} (i32.shl ${idx} (i32.const 2)))`;
  /** A counted loop `for (v = from; v < to; v++) body`. */
  const loop = (v, from, to, body) => `(local.set $${v} ${from})
    (block $${v}Done (loop $${v}Loop
      (br_if $${v}Done (i32.ge_s (local.get $${v}) ${to}))
      ${body}
      (local.set $${v} (i32.add (local.get $${v}) (i32.const 1)))
      (br $${v}Loop)))`;
  /** A pass over n floats at dst (and src), a v128 at a time then one at a time. */
  const span = (name, params, locals, vec, one) => `
  (func $${name} ${params} (param $n i32)
    (local $end i32) ${locals}
    (local.set $end (i32.add (local.get $dst) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vDone (loop $vLoop
      (br_if $vDone (i32.ge_u (local.get $dst) (local.get $end)))
      ${vec}
      (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
      (local.set $src (i32.add (local.get $src) (i32.const 16)))
      (br $vLoop)))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $sDone (loop $sLoop
      (br_if $sDone (i32.ge_u (local.get $dst) (local.get $end)))
      ${one}
      (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
      (local.set $src (i32.add (local.get $src) (i32.const 4)))
      (br $sLoop))))`;
  const geometry = ['C', 'H', 'W', 'kh', 'kw', 'sh', 'sw', 'ph', 'pw', 'oh', 'ow'].map((p) => `(param $${p} i32)`).join(' ');
  const window = ['planes', 'H', 'W', 'oh', 'ow', 'ph', 'pw', 'sh', 'sw'].map((p) => `(param $${p} i32)`).join(' ');
  // validColumns of im2col.ts: the output columns whose input column falls inside the image
  const columns = `(local.set $t (i32.sub ${L('pw')} ${L('kj')}))
        (local.set $lo (select (i32.div_s (i32.add ${L('t')} (i32.sub ${L('sw')} (i32.const 1))) ${L('sw')}) (i32.const 0) (i32.gt_s ${L('t')} (i32.const 0))))
        (if (i32.gt_s ${L('lo')} ${L('ow')}) (then (local.set $lo ${L('ow')})))
        (local.set $t (i32.sub (i32.add (i32.sub ${L('W')} (i32.const 1)) ${L('pw')}) ${L('kj')}))
        (local.set $hi (select (i32.add (i32.div_s ${L('t')} ${L('sw')}) (i32.const 1)) (i32.const 0) (i32.ge_s ${L('t')} (i32.const 0))))
        (if (i32.gt_s ${L('hi')} ${L('ow')}) (then (local.set $hi ${L('ow')})))
        (if (i32.lt_s ${L('hi')} ${L('lo')}) (then (local.set $hi ${L('lo')})))`;
  const unroll = (inner, blockwise = null) => `(local.set $row ${L('cols')})
    (local.set $rs (i32.shl ${L('rs')} (i32.const 2)))
    ${loop('c', '(i32.const 0)', L('C'), `(local.set $plane (i32.add ${L('x')} (i32.shl (i32.mul ${L('c')} (i32.mul ${L('H')} ${L('W')})) (i32.const 2))))
    ${loop('ki', '(i32.const 0)', L('kh'), loop('kj', '(i32.const 0)', L('kw'), `${columns}
        ${blockwise ? `(if ${L('blockwise')} (then ${blockwise}) (else ` : ''}${loop('oy', '(i32.const 0)', L('oh'), `(local.set $iy (i32.add (i32.sub (i32.mul ${L('oy')} ${L('sh')}) ${L('ph')}) ${L('ki')}))
          (local.set $o ${addr(L('row'), `(i32.mul ${L('oy')} ${L('ow')})`)})
          (local.set $line ${addr(L('plane'), `(i32.add (i32.sub (i32.mul ${L('iy')} ${L('W')}) ${L('pw')}) ${L('kj')})`)})
          ${inner}`)}${blockwise ? '))' : ''}
        (local.set $row (i32.add ${L('row')} ${L('rs')}))`))}`)}`;
  const convLocals = '(local $c i32) (local $ki i32) (local $kj i32) (local $oy i32) (local $iy i32) (local $lo i32) (local $hi i32) (local $t i32) (local $o i32) (local $line i32) (local $ox i32) (local $row i32) (local $plane i32)';
  const outside = `(i32.or (i32.lt_s ${L('iy')} (i32.const 0)) (i32.ge_s ${L('iy')} ${L('H')}))`;
  // The row moves are inlined (rows are short: a call per row cost as much as the move); a stride-1 copy
  // ends with one overlapping v128 instead of a scalar tail.
  const zeroRun = (from, to) => loop('ox', from, to, `(f32.store ${addr(L('o'), L('ox'))} (f32.const 0))`);
  const vecRun = (body) => `(local.set $ox ${L('lo')})
                  (block $vDone (loop $vLoop
                    (br_if $vDone (i32.gt_s (i32.add ${L('ox')} (i32.const 4)) ${L('hi')}))
                    ${body}
                    (local.set $ox (i32.add ${L('ox')} (i32.const 4)))
                    (br $vLoop)))`;
  // At stride 1 with the output as wide as the input ("same" padding), an unrolled row is its input plane
  // shifted by a constant: the rows inside the image are one contiguous copy, after which the few cells that
  // fall on the padding are zeroed row by row (the copy never reads outside the rows it shifts).
  const setZero = (from, count) => `(local.set $o ${from})
              ${loop('ox', '(i32.const 0)', count, `(f32.store ${addr(L('o'), L('ox'))} (f32.const 0))`)}`;
  const blockwise = `(local.set $oy0 (i32.sub ${L('ph')} ${L('ki')}))
            (if (i32.lt_s ${L('oy0')} (i32.const 0)) (then (local.set $oy0 (i32.const 0))))
            (if (i32.gt_s ${L('oy0')} ${L('oh')}) (then (local.set $oy0 ${L('oh')})))
            (local.set $oy1 (i32.sub (i32.add ${L('H')} ${L('ph')}) ${L('ki')}))
            (if (i32.gt_s ${L('oy1')} ${L('oh')}) (then (local.set $oy1 ${L('oh')})))
            (if (i32.lt_s ${L('oy1')} ${L('oy0')}) (then (local.set $oy1 ${L('oy0')})))
            ${setZero(L('row'), `(i32.mul ${L('oy0')} ${L('ow')})`)}
            ${setZero(addr(L('row'), `(i32.mul ${L('oy1')} ${L('ow')})`), `(i32.mul (i32.sub ${L('oh')} ${L('oy1')}) ${L('ow')})`)}
            (if (i32.and (i32.gt_s ${L('oy1')} ${L('oy0')}) (i32.gt_s ${L('hi')} ${L('lo')})) (then
              (local.set $o ${addr(L('row'), `(i32.add (i32.mul ${L('oy0')} ${L('ow')}) ${L('lo')})`)})
              (local.set $line ${addr(L('plane'), `(i32.add (i32.sub (i32.mul (i32.add (i32.sub ${L('oy0')} ${L('ph')}) ${L('ki')}) ${L('W')}) ${L('pw')}) (i32.add ${L('kj')} ${L('lo')}))`)})
              (local.set $t (i32.add (i32.mul (i32.sub (i32.sub ${L('oy1')} ${L('oy0')}) (i32.const 1)) ${L('ow')}) (i32.sub ${L('hi')} ${L('lo')})))
              (local.set $ox (i32.const 0))
              (block $bDone (loop $bLoop
                (br_if $bDone (i32.gt_s (i32.add ${L('ox')} (i32.const 4)) ${L('t')}))
                (v128.store ${addr(L('o'), L('ox'))} (v128.load ${addr(L('line'), L('ox'))}))
                (local.set $ox (i32.add ${L('ox')} (i32.const 4)))
                (br $bLoop)))
              ${loop('ox', L('ox'), L('t'), `(f32.store ${addr(L('o'), L('ox'))} (f32.load ${addr(L('line'), L('ox'))}))`)}))
            ${loop('oy', L('oy0'), L('oy1'), `(local.set $o ${addr(L('row'), `(i32.mul ${L('oy')} ${L('ow')})`)})
              ${zeroRun('(i32.const 0)', L('lo'))}
              ${zeroRun(L('hi'), L('ow'))}`)}`;
  const im2col = `
  (func $im2col (export "im2col") (param $x i32) ${geometry} (param $cols i32) (param $rs i32)
    ${convLocals} (local $blockwise i32) (local $oy0 i32) (local $oy1 i32)
    (local.set $blockwise (i32.and (i32.and (i32.eq ${L('sw')} (i32.const 1)) (i32.eq ${L('sh')} (i32.const 1))) (i32.eq ${L('W')} ${L('ow')})))
    ${unroll(`(if ${outside}
            (then ${zeroRun('(i32.const 0)', L('ow'))})
            (else
              ${zeroRun('(i32.const 0)', L('lo'))}
              (if (i32.eq ${L('sw')} (i32.const 1))
                (then
                  ${vecRun(`(v128.store ${addr(L('o'), L('ox'))} (v128.load ${addr(L('line'), L('ox'))}))`)}
                  (if (i32.and (i32.lt_s ${L('ox')} ${L('hi')}) (i32.ge_s (i32.sub ${L('hi')} ${L('lo')}) (i32.const 4)))
                    (then (local.set $ox (i32.sub ${L('hi')} (i32.const 4))) (v128.store ${addr(L('o'), L('ox'))} (v128.load ${addr(L('line'), L('ox'))}))))
                  ${loop('ox', L('ox'), L('hi'), `(f32.store ${addr(L('o'), L('ox'))} (f32.load ${addr(L('line'), L('ox'))}))`)})
                (else ${loop('ox', L('lo'), L('hi'), `(f32.store ${addr(L('o'), L('ox'))} (f32.load ${addr(L('line'), `(i32.mul ${L('ox')} ${L('sw')})`)}))`)}))
              ${zeroRun(L('hi'), L('ow'))}))`, blockwise)})`;
  const col2im = `
  (func $col2im (export "col2im") (param $cols i32) ${geometry} (param $x i32) (param $rs i32)
    ${convLocals}
    ${unroll(`(if (i32.eqz ${outside}) (then
              (if (i32.eq ${L('sw')} (i32.const 1))
                (then
                  ${vecRun(`(local.set $t ${addr(L('line'), L('ox'))})
                    (v128.store ${L('t')} (f32x4.add (v128.load ${L('t')}) (v128.load ${addr(L('o'), L('ox'))})))`)}
                  ${loop('ox', L('ox'), L('hi'), `(local.set $t ${addr(L('line'), L('ox'))})
                  (f32.store ${L('t')} (f32.add (f32.load ${L('t')}) (f32.load ${addr(L('o'), L('ox'))})))`)})
                (else ${loop('ox', L('lo'), L('hi'), `(local.set $t ${addr(L('line'), `(i32.mul ${L('ox')} ${L('sw')})`)})
                  (f32.store ${L('t')} (f32.add (f32.load ${L('t')}) (f32.load ${addr(L('o'), L('ox'))})))`)}))))`)})`;
  // sample-major [n][F][P] <-> filter-major [F][n·P]
  const fromFilterMajor = `
  (func $fromFilterMajor (export "fromFilterMajor") (param $src i32) (param $F i32) (param $P i32) (param $n i32) (param $dst i32) (param $bias i32)
    (local $s i32) (local $f i32)
    ${loop('s', '(i32.const 0)', L('n'), loop('f', '(i32.const 0)', L('F'), `(call $addBiasF ${addr(L('dst'), `(i32.mul (i32.add (i32.mul ${L('s')} ${L('F')}) ${L('f')}) ${L('P')})`)}
        ${addr(L('src'), `(i32.mul (i32.add (i32.mul ${L('f')} ${L('n')}) ${L('s')}) ${L('P')})`)}
        (if (result f32) ${L('bias')} (then (f32.load ${addr(L('bias'), L('f'))})) (else (f32.const 0))) ${L('P')})`))})`;
  const toFilterMajor = `
  (func $toFilterMajor (export "toFilterMajor") (param $src i32) (param $F i32) (param $P i32) (param $n i32) (param $dst i32) (param $db i32)
    (local $s i32) (local $f i32) (local $from i32) (local $at i32)
    ${loop('s', '(i32.const 0)', L('n'), loop('f', '(i32.const 0)', L('F'), `(local.set $from ${addr(L('src'), `(i32.mul (i32.add (i32.mul ${L('s')} ${L('F')}) ${L('f')}) ${L('P')})`)})
        (if (i32.ne ${L('dst')} ${L('src')}) (then (call $copyF ${addr(L('dst'), `(i32.mul (i32.add (i32.mul ${L('f')} ${L('n')}) ${L('s')}) ${L('P')})`)} ${L('from')} ${L('P')})))
        (if ${L('db')} (then
          (local.set $at ${addr(L('db'), L('f'))})
          (f32.store ${L('at')} (f32.demote_f64 (f64.add (f64.promote_f32 (f32.load ${L('at')})) (call $sumF64 ${L('from')} ${L('P')}))))))`))})`;
  const windowLoops = (body) => loop('plane', '(i32.const 0)', L('planes'), `(local.set $base (i32.mul ${L('plane')} (i32.mul ${L('H')} ${L('W')})))
      ${loop('oy', '(i32.const 0)', L('oh'), loop('ox', '(i32.const 0)', L('ow'), `(local.set $top (i32.add ${L('base')} (i32.add (i32.mul (i32.mul ${L('oy')} ${L('sh')}) ${L('W')}) (i32.mul ${L('ox')} ${L('sw')}))))
          ${body}
          (local.set $o (i32.add ${L('o')} (i32.const 1)))`))}`);
  const cells = (body) => loop('i', '(i32.const 0)', L('ph'), loop('j', '(i32.const 0)', L('pw'), `(local.set $at (i32.add ${L('top')} (i32.add (i32.mul ${L('i')} ${L('W')}) ${L('j')})))
            ${body}`));
  const winLocals = '(local $plane i32) (local $base i32) (local $oy i32) (local $ox i32) (local $top i32) (local $i i32) (local $j i32) (local $at i32) (local $o i32)';
  // NaN wins, as in the TS loop, so a non-finite input is not hidden by the pooling
  const maxPool = `
  (func $maxPool (export "maxPool") (param $x i32) ${window} (param $out i32) (param $arg i32)
    ${winLocals} (local $best i32) (local $max f32) (local $v f32)
    ${windowLoops(`(local.set $best ${L('top')})
          (local.set $max (f32.load ${addr(L('x'), L('top'))}))
          ${cells(`(local.set $v (f32.load ${addr(L('x'), L('at'))}))
            (if (i32.or (f32.gt ${L('v')} ${L('max')}) (f32.ne ${L('v')} ${L('v')})) (then (local.set $best ${L('at')}) (local.set $max ${L('v')})))`)}
          (i32.store ${addr(L('arg'), L('o'))} ${L('best')})
          (f32.store ${addr(L('out'), L('o'))} ${L('max')})`)})`;
  // the common 2×2 window at stride 2, four outputs at a time: the window's cells, in the scalar loop's order,
  // are the even and odd columns of its two rows
  // A row whose output width is not a multiple of four (7 after two poolings of 28) ends with one more
  // v128 step over its last four outputs, overlapping the previous step: each output (and, backward, each
  // input cell of its window) is a function of its own window only, so writing it twice gives the same
  // values, and the branchy one-at-a-time loop runs only for rows narrower than four. The loop tests the
  // row's end at the top, so the step re-aligned there runs through the loop's own body once more.
  const overlapTail = `(if (i32.and (i32.and (i32.gt_s (i32.add ${L('ox')} (i32.const 4)) ${L('ow')}) (i32.lt_s ${L('ox')} ${L('ow')})) (i32.ge_s ${L('ow')} (i32.const 4)))
          (then
            (local.set $o (i32.sub ${L('o')} (i32.sub ${L('ox')} (i32.sub ${L('ow')} (i32.const 4)))))
            (local.set $ox (i32.sub ${L('ow')} (i32.const 4)))))`;
  const lanes = (v) => `(i32x4.add ${L('base')} (i32x4.splat ${v}))`;
  const candidate = (c, index) => `(local.set $c ${c})
          (local.set $take (v128.or (f32x4.gt ${L('c')} ${L('m')}) (f32x4.ne ${L('c')} ${L('c')})))
          (local.set $m (v128.bitselect ${L('c')} ${L('m')} ${L('take')}))
          (local.set $idx (v128.bitselect ${index} ${L('idx')} ${L('take')}))`;
  const scalarCell = (at) => `(local.set $v (f32.load ${addr(L('x'), at)}))
          (if (i32.or (f32.gt ${L('v')} ${L('max')}) (f32.ne ${L('v')} ${L('v')})) (then (local.set $best ${at}) (local.set $max ${L('v')})))`;
  const maxPool2x2 = `
  (func $maxPool2x2 (export "maxPool2x2") (param $x i32) (param $planes i32) (param $H i32) (param $W i32) (param $oh i32) (param $ow i32) (param $out i32) (param $arg i32)
    (local $plane i32) (local $oy i32) (local $ox i32) (local $a i32) (local $o i32) (local $p i32) (local $best i32) (local $max f32) (local $v f32)
    (local $t0 v128) (local $t1 v128) (local $b0 v128) (local $b1 v128) (local $c v128) (local $m v128) (local $idx v128) (local $base v128) (local $take v128)
    ${loop('plane', '(i32.const 0)', L('planes'), loop('oy', '(i32.const 0)', L('oh'), `(local.set $a (i32.add (i32.mul ${L('plane')} (i32.mul ${L('H')} ${L('W')})) (i32.mul (i32.shl ${L('oy')} (i32.const 1)) ${L('W')})))
      (local.set $ox (i32.const 0))
      (block $vDone (loop $vLoop
        ${overlapTail}
        (br_if $vDone (i32.gt_s (i32.add ${L('ox')} (i32.const 4)) ${L('ow')}))
        (local.set $p ${addr(L('x'), `(i32.add ${L('a')} (i32.shl ${L('ox')} (i32.const 1)))`)})
        (local.set $t0 (v128.load ${L('p')}))
        (local.set $t1 (v128.load offset=16 ${L('p')}))
        (local.set $p (i32.add ${L('p')} (i32.shl ${L('W')} (i32.const 2))))
        (local.set $b0 (v128.load ${L('p')}))
        (local.set $b1 (v128.load offset=16 ${L('p')}))
        (local.set $base (i32x4.add (i32x4.splat (i32.add ${L('a')} (i32.shl ${L('ox')} (i32.const 1)))) (v128.const i32x4 0 2 4 6)))
        (local.set $m ${shuffle32(L('t0'), L('t1'), [0, 2, 4, 6])})
        (local.set $idx ${L('base')})
        ${candidate(shuffle32(L('t0'), L('t1'), [1, 3, 5, 7]), lanes('(i32.const 1)'))}
        ${candidate(shuffle32(L('b0'), L('b1'), [0, 2, 4, 6]), lanes(L('W')))}
        ${candidate(shuffle32(L('b0'), L('b1'), [1, 3, 5, 7]), lanes(`(i32.add ${L('W')} (i32.const 1))`))}
        (v128.store ${addr(L('out'), L('o'))} ${L('m')})
        (v128.store ${addr(L('arg'), L('o'))} ${L('idx')})
        (local.set $o (i32.add ${L('o')} (i32.const 4)))
        (local.set $ox (i32.add ${L('ox')} (i32.const 4)))
        (br $vLoop)))
      (block $sDone (loop $sLoop
        (br_if $sDone (i32.ge_s ${L('ox')} ${L('ow')}))
        (local.set $best (i32.add ${L('a')} (i32.shl ${L('ox')} (i32.const 1))))
        (local.set $max (f32.load ${addr(L('x'), L('best'))}))
        (local.set $p ${L('best')})
        ${scalarCell(`(i32.add ${L('p')} (i32.const 1))`)}
        ${scalarCell(`(i32.add ${L('p')} ${L('W')})`)}
        ${scalarCell(`(i32.add ${L('p')} (i32.add ${L('W')} (i32.const 1)))`)}
        (i32.store ${addr(L('arg'), L('o'))} ${L('best')})
        (f32.store ${addr(L('out'), L('o'))} ${L('max')})
        (local.set $o (i32.add ${L('o')} (i32.const 1)))
        (local.set $ox (i32.add ${L('ox')} (i32.const 1)))
        (br $sLoop)))`))})`;
  // Its gradient where the windows tile the input exactly: every input cell belongs to one window, so each
  // cell is written once (0 + g at the window's argmax, as the zeroed scatter-add gives, else 0) in one pass.
  const cellGrad = (off) => `(v128.and (f32x4.add ${L('gv')} (v128.const f32x4 0 0 0 0)) (i32x4.eq ${L('av')} ${lanes(off)}))`;
  const scalarCellGrad = (off) => `(select (f32.add ${L('gs')} (f32.const 0)) (f32.const 0) (i32.eq ${L('as')} (i32.add ${L('best')} ${off})))`;
  const maxPool2x2Grad = `
  (func $maxPool2x2Grad (export "maxPool2x2Grad") (param $g i32) (param $arg i32) (param $planes i32) (param $oh i32) (param $ow i32) (param $dx i32)
    (local $W i32) (local $plane i32) (local $oy i32) (local $ox i32) (local $a i32) (local $o i32) (local $p i32) (local $best i32) (local $gs f32) (local $as i32)
    (local $gv v128) (local $av v128) (local $base v128) (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128)
    (local.set $W (i32.shl ${L('ow')} (i32.const 1)))
    ${loop('plane', '(i32.const 0)', L('planes'), loop('oy', '(i32.const 0)', L('oh'), `(local.set $a (i32.mul (i32.add (i32.mul ${L('plane')} (i32.shl ${L('oh')} (i32.const 1))) (i32.shl ${L('oy')} (i32.const 1))) ${L('W')}))
      (local.set $ox (i32.const 0))
      (block $vDone (loop $vLoop
        ${overlapTail}
        (br_if $vDone (i32.gt_s (i32.add ${L('ox')} (i32.const 4)) ${L('ow')}))
        (local.set $gv (v128.load ${addr(L('g'), L('o'))}))
        (local.set $av (v128.load ${addr(L('arg'), L('o'))}))
        (local.set $base (i32x4.add (i32x4.splat (i32.add ${L('a')} (i32.shl ${L('ox')} (i32.const 1)))) (v128.const i32x4 0 2 4 6)))
        (local.set $c0 ${cellGrad('(i32.const 0)')})
        (local.set $c1 ${cellGrad('(i32.const 1)')})
        (local.set $c2 ${cellGrad(L('W'))})
        (local.set $c3 ${cellGrad(`(i32.add ${L('W')} (i32.const 1))`)})
        (local.set $p ${addr(L('dx'), `(i32.add ${L('a')} (i32.shl ${L('ox')} (i32.const 1)))`)})
        (v128.store ${L('p')} ${shuffle32(L('c0'), L('c1'), [0, 4, 1, 5])})
        (v128.store offset=16 ${L('p')} ${shuffle32(L('c0'), L('c1'), [2, 6, 3, 7])})
        (local.set $p (i32.add ${L('p')} (i32.shl ${L('W')} (i32.const 2))))
        (v128.store ${L('p')} ${shuffle32(L('c2'), L('c3'), [0, 4, 1, 5])})
        (v128.store offset=16 ${L('p')} ${shuffle32(L('c2'), L('c3'), [2, 6, 3, 7])})
        (local.set $o (i32.add ${L('o')} (i32.const 4)))
        (local.set $ox (i32.add ${L('ox')} (i32.const 4)))
        (br $vLoop)))
      (block $sDone (loop $sLoop
        (br_if $sDone (i32.ge_s ${L('ox')} ${L('ow')}))
        (local.set $best (i32.add ${L('a')} (i32.shl ${L('ox')} (i32.const 1))))
        (local.set $gs (f32.load ${addr(L('g'), L('o'))}))
        (local.set $as (i32.load ${addr(L('arg'), L('o'))}))
        (local.set $p ${addr(L('dx'), L('best'))})
        (f32.store ${L('p')} ${scalarCellGrad('(i32.const 0)')})
        (f32.store offset=4 ${L('p')} ${scalarCellGrad('(i32.const 1)')})
        (local.set $p (i32.add ${L('p')} (i32.shl ${L('W')} (i32.const 2))))
        (f32.store ${L('p')} ${scalarCellGrad(L('W'))})
        (f32.store offset=4 ${L('p')} ${scalarCellGrad(`(i32.add ${L('W')} (i32.const 1))`)})
        (local.set $o (i32.add ${L('o')} (i32.const 1)))
        (local.set $ox (i32.add ${L('ox')} (i32.const 1)))
        (br $sLoop)))`))})`;
  const maxPoolGrad = `
  (func $maxPoolGrad (export "maxPoolGrad") (param $g i32) (param $arg i32) (param $n i32) (param $dx i32) (param $dxN i32)
    (local $o i32) (local $at i32)
    (call $zeroF ${L('dx')} ${L('dxN')})
    ${loop('o', '(i32.const 0)', L('n'), `(local.set $at ${addr(L('dx'), `(i32.load ${addr(L('arg'), L('o'))})`)})
      (f32.store ${L('at')} (f32.add (f32.load ${L('at')}) (f32.load ${addr(L('g'), L('o'))})))`)})`;
  const avgPool = `
  (func $avgPool (export "avgPool") (param $x i32) ${window} (param $scale f64) (param $out i32)
    ${winLocals} (local $sum f64)
    ${windowLoops(`(local.set $sum (f64.const 0))
          ${cells(`(local.set $sum (f64.add ${L('sum')} (f64.promote_f32 (f32.load ${addr(L('x'), L('at'))}))))`)}
          (f32.store ${addr(L('out'), L('o'))} (f32.demote_f64 (f64.mul ${L('sum')} ${L('scale')})))`)})`;
  const avgPoolGrad = `
  (func $avgPoolGrad (export "avgPoolGrad") (param $gr i32) ${window} (param $scale f64) (param $dx i32)
    ${winLocals} (local $g f64) (local $p i32)
    (call $zeroF ${L('dx')} (i32.mul ${L('planes')} (i32.mul ${L('H')} ${L('W')})))
    ${windowLoops(`(local.set $g (f64.mul (f64.promote_f32 (f32.load ${addr(L('gr'), L('o'))})) ${L('scale')}))
          ${cells(`(local.set $p ${addr(L('dx'), L('at'))})
            (f32.store ${L('p')} (f32.demote_f64 (f64.add (f64.promote_f32 (f32.load ${L('p')})) ${L('g')})))`)}`)})`;
  const helpers = [
    span('copyF', '(param $dst i32) (param $src i32)', '', '(v128.store (local.get $dst) (v128.load (local.get $src)))', '(f32.store (local.get $dst) (f32.load (local.get $src)))'),
    span('addBiasF', '(param $dst i32) (param $src i32) (param $b f32)', '',
      '(v128.store (local.get $dst) (f32x4.add (v128.load (local.get $src)) (f32x4.splat (local.get $b))))',
      '(f32.store (local.get $dst) (f32.add (f32.load (local.get $src)) (local.get $b)))'),
    span('zeroF', '(param $dst i32)', '(local $src i32)', '(v128.store (local.get $dst) (v128.const i32x4 0 0 0 0))', '(f32.store (local.get $dst) (f32.const 0))'),
    // Σ of n floats in float64, the order conv2d.ts's sumInLanes mirrors: four partial sums (index mod 4) over
    // whole groups of four, combined as (s0 + s2) + (s1 + s3), then the rest one by one
    `
  (func $sumF64 (param $src i32) (param $n i32) (result f64)
    (local $end i32) (local $lo v128) (local $hi v128) (local $v v128) (local $s f64)
    (local.set $end ${addr(L('src'), `(i32.and ${L('n')} (i32.const -4))`)})
    (block $vDone (loop $vLoop
      (br_if $vDone (i32.ge_u (local.get $src) (local.get $end)))
      (local.set $v (v128.load (local.get $src)))
      (local.set $lo (f64x2.add (local.get $lo) (f64x2.promote_low_f32x4 (local.get $v))))
      (local.set $hi (f64x2.add (local.get $hi) (f64x2.promote_low_f32x4 ${shuffle32(L('v'), L('v'), [2, 3, 0, 1])})))
      (local.set $src (i32.add (local.get $src) (i32.const 16)))
      (br $vLoop)))
    (local.set $lo (f64x2.add (local.get $lo) (local.get $hi)))
    (local.set $s (f64.add (f64x2.extract_lane 0 (local.get $lo)) (f64x2.extract_lane 1 (local.get $lo))))
    (local.set $end ${addr(L('end'), `(i32.and ${L('n')} (i32.const 3))`)})
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
      (local.set $s (f64.add (local.get $s) (f64.promote_f32 (f32.load (local.get $src)))))
      (local.set $src (i32.add (local.get $src) (i32.const 4)))
      (br $next)))
    (local.get $s))`,
  ];
  return [...helpers, im2col, col2im, fromFilterMajor, toFilterMajor, maxPool, maxPool2x2, maxPool2x2Grad, maxPoolGrad, avgPool, avgPoolGrad].join('');
}

function watText(t) {
  return `;; Generated by scripts/build-wasm.js: float32 GEMM (${t.name}), ${t.MR}x${t.NR} f32x4 register tile over packed B panels.
(module
  (import "env" "memory" (memory 1 65536 shared))${packFunc(t)}${packAFunc(t)}${gemmFunc(t)}${adamFunc()}${sumSquaresFunc()}${momentsFunc()}${sumSquaredDiffFunc()}${binCountsFunc()}${deadUnitsFunc()}${copyFunc()}${gatherFunc()}${gatherDiffFunc()}${demoteFunc()}${actFunc()}${actGradFunc()}${colSumsFunc()}${batchNormFuncs()}${allFiniteFunc()}${channelSumsFunc()}${reluChannelSumsFunc()}${sampledHistogramsFunc()}${convFuncs()}
  (global (export "MR") i32 (i32.const ${t.MR}))
  (global (export "NR") i32 (i32.const ${t.NR})))
`;
}

/** Assembles one build and returns its bytes. */
function assemble(wabt, t) {
  const features = { ...FEATURES, ...t.features };
  const mod = wabt.parseWat(`gemm-${t.name}.wat`, watText(t), features);
  mod.validate(features);
  const { buffer } = mod.toBinary({ log: false, write_debug_names: true });
  mod.destroy();
  return Buffer.from(buffer);
}

/** Assembles every build and returns the TS module text that embeds them. */
async function buildWasmSource() {
  const wabt = await require('wabt')();
  const builds = VARIANTS.map((t) => {
    const bytes = assemble(wabt, t);
    const lines = bytes.toString('base64').match(/.{1,100}/g).map((l) => `      '${l}'`).join(' +\n');
    return `  {
    name: '${t.name}',
    mr: ${t.MR},
    nr: ${t.NR},
    mc: ${MC},
    // ${bytes.length} bytes
    base64:
${lines},
  },`;
  });
  return `// GENERATED by scripts/build-wasm.js (node scripts/build-wasm.js); do not edit by hand.
// WebAssembly SIMD float32 kernels (GEMM with a ${MR}x${NR} register tile, element-wise passes), one build per
// instruction set, fastest first: the loader takes the first the runtime validates.
export interface WasmBuild {
  name: string;
  mr: number;
  nr: number;
  /** Rows of A the product sweeps against each B panel. */
  mc: number;
  base64: string;
}

/** Activation kinds the act/actGrad exports compute, by their code. */
export const WASM_ACTIVATIONS: Record<string, number> = { ${Object.entries(ACT).map(([k, v]) => `${/^\w+$/.test(k) ? k : `'${k}'`}: ${v}`).join(', ')} };

export const WASM_BUILDS: WasmBuild[] = [
${builds.join('\n')}
];
`;
}

module.exports = { buildWasmSource, watText, OUT };

if (require.main === module) require('./generated-source').writeOrCheck(OUT, buildWasmSource, 'scripts/build-wasm.js');
