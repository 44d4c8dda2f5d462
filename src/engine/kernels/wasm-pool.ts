// Splits one wasm GEMM across helper threads by chunks of output rows, or of output columns when the rows are
// too few to give each chunk a full sweep of the micro-kernel (a dense layer's batch, a convolution's
// filters: row chunks that short would each stream all of B for a handful of rows), and one Adam update by
// chunks of weights. A chunk runs every packed slice of the shared dimension in turn, so a deep product is
// one job with one wait at its end, not one per slice. Every element is still computed by the same
// instruction sequence (over the same packed panels) whichever thread takes its chunk, so results are
// bit-identical for any thread count. Chunks are claimed from a shared counter rather than dealt out in
// advance: a helper that is descheduled (the cores are shared with the editor and other processes) or still
// starting simply claims fewer, and the caller takes the rest instead of waiting for it. A product's chunks
// are short and a claim takes a share of those left (guided scheduling), so the last claims are short
// whichever thread runs slower (the second vCPU of a virtual machine often does). Helpers claim from
// the front of a job and the caller from the back, so on two threads each mostly keeps the same half of the
// rows from one job to the next (a product, the activation of its output, the next product): reading what
// the other core just wrote costs several times a read of one's own writes. Element-wise activation passes
// are split the same way, over the same grid of rows. Reductions (sums of squares, finiteness checks) are
// split over a grid their caller fixes from the length alone, so a sum rounds the same way on any thread
// count. Helpers share the wasm memory, poll briefly after a job and then sleep in Atomics.wait; the
// caller works too and returns once every chunk is done, so the kernels stay synchronous.
import { Worker } from 'node:worker_threads';

// Control words shared by the caller and every helper.
const CLAIM = 0; // generation << 14 | end of the unclaimed chunks << 7 | first unclaimed chunk (both 0 while a job is written)
const DONE = 1; // chunks of the current job finished
const CHUNK_ROWS = 2; // rows (a multiple of MR), columns (a multiple of NR), weights or elements per chunk
const READY = 3; // helpers that have instantiated the module
const FAILED = 4; // 1 if a helper threw
const KIND = 5; // GEMM, GEMM_COLUMNS, ADAM, ACT, ACT_GRAD, SUM_SQUARES or ALL_FINITE
const SLEEPERS = 6; // helpers asleep (or about to sleep) in Atomics.wait on CLAIM
const CALLER_WAITING = 7; // 1 while the caller sleeps in Atomics.wait on DONE
const PACKED = 8; // B-packing chunks of the current row-split job finished
const MOST = 9; // chunks one claim may take (a product's; 1 for every other job)
const ARGS = 10; // gemm: the words below; adam: w, g, m, v, n, then 5 float32; act(Grad): code, x, y or dy, dx, n, alpha (float32); reductions: a, n at 4
// gemm's arguments, relative to ARGS
const A = 0; // op(A) element (i, p) at a + 4(i·rs + p·ps)
const RS = 1;
const PS = 2;
const AP = 3; // packed A, one slice at a time: a row chunk's rows at ap + 4·row·SLICE; split by columns, every slice of it, packed by the caller, AP_SLICE floats apart
const M = 4;
const N = 5;
const K = 6; // the whole shared dimension, computed a packed slice of SLICE at a time
const BP = 7; // packed B, panel j of a slice of depth kc at its slice's start + 4·j·kc; split by rows, every slice, BP_SLICE floats apart
const C = 8;
const ACC = 9;
const BIAS = 10;
const B = 11; // B element (p, j) at b + 4(p·ldb + j), or b + 4(j·ldb + p) when transposed
const LDB = 12;
const B_TRANS = 13;
const IN_PLACE = 14; // 1: B read in place (ldb apart), its last partial panel packed by the caller at TAILS
const TAILS = 15;
const PACK_CHUNKS = 16; // by rows: the job's first chunks pack B, PACK_COLS columns each, before any row chunk computes
const PACK_COLS = 17;
const SLICE = 18;
const AP_SLICE = 19;
const BP_SLICE = 20;
/** Each chunk's result as a float64 (adam: Σw; sumSquares: Σa²; allFinite: 1 or 0), from this word on (8-byte aligned). */
const RESULTS = (ARGS + 21 + 1) & ~1;
/** Chunks of a job: a product's grid of rows or columns and its B-packing chunks (one per thread, up to 16). */
export const MAX_CHUNKS = 80;
/** Bits of each chunk index in CLAIM; the other 18 count jobs, so a stale claim cannot match for 2^18 jobs. */
const INDEX_BITS = 7;
const INDEX_MASK = (1 << INDEX_BITS) - 1;
const GENERATION_SHIFT = 2 * INDEX_BITS;
const WORDS = RESULTS + 2 * MAX_CHUNKS;
const GEMM = 0; // chunks of rows, each packing its own rows of A, after chunks that pack B
const GEMM_COLUMNS = 1; // chunks of columns over all of A (packed by the caller), each packing its own panels of B
const ADAM = 2;
const ACT = 3;
const ACT_GRAD = 4;
const SUM_SQUARES = 5;
const ALL_FINITE = 6;
/** gemm's acc code for a bias per row of C: a chunk of rows starts its bias at its first row. */
const ROW_BIAS = 3;

/**
 * Chunks per thread of an element-wise job, and claims per thread of a product at most: enough that an early
 * finisher can take over part of a slow thread's share.
 */
const CHUNKS_PER_THREAD = 4;
/**
 * How long a thread out of work polls before it sleeps in Atomics.wait. The split jobs of a training step
 * are up to a millisecond or two apart (element-wise passes, the loss, the next batch's rows between them),
 * and a wake from Atomics.wait can take hundreds of microseconds on a virtual machine, so a helper that
 * slept between them would start every product late.
 */
const SPIN_MS = 2;
/** Polls between looks at the clock while spinning (a power of two): a look on every poll made most of a helper's garbage. */
const CLOCK_EVERY = 64;
const CLOCK_MASK = CLOCK_EVERY - 1;

/**
 * One chunk of the current job, run by a helper and by the caller alike (the caller compiles the same
 * source), so there is one definition of what a chunk computes. Returns the chunk's result (Σw for an Adam
 * chunk, Σa² or 1 when finite for a reduction), else 0.
 */
const CHUNK_SOURCE = `
const ctl = new Int32Array(control), f32 = new Float32Array(control);
const a = (i) => ctl[${ARGS} + i];
function waitPacked(packs) {
  const until = performance.now() + ${SPIN_MS};
  for (let v = Atomics.load(ctl, ${PACKED}), i = 1; v < packs; v = Atomics.load(ctl, ${PACKED}), i++) {
    if ((i & ${CLOCK_MASK}) === 0 && performance.now() > until) Atomics.wait(ctl, ${PACKED}, v, 1);
  }
}
/**
 * How many chunks a claim of [first, end) takes: one B-packing chunk at a time; of a product's other chunks
 * a share of those left (guided scheduling), at most MOST, so the last claims of a job are short and a
 * thread that finishes first waits little for the other's last claim.
 */
function claimSize(first, end) {
  const most = ctl[${MOST}];
  if (most === 1 || (ctl[${KIND}] === ${GEMM} && first < a(${PACK_CHUNKS}))) return 1;
  return Math.max(1, Math.min(most, Math.floor((end - first) / (2 * threads))));
}
/** The address of B's element (p0, col). */
function bAt(b, ldb, bT, p0, col) {
  return b + (bT ? col * ldb + p0 : p0 * ldb + col) * 4;
}
function runChunk(ex, kind, chunk, count, per, tmp) {
  if (kind === ${ADAM}) {
    const off = chunk * per * 4;
    return ex.adam(a(0) + off, a(1) + off, a(2) + off, a(3) + off, Math.min(per, a(4) - chunk * per), f32[${ARGS + 5}], f32[${ARGS + 6}], f32[${ARGS + 7}], f32[${ARGS + 8}], f32[${ARGS + 9}]);
  }
  if (kind === ${SUM_SQUARES} || kind === ${ALL_FINITE}) {
    const off = chunk * per * 4, count = Math.min(per, a(4) - chunk * per);
    return kind === ${SUM_SQUARES} ? ex.sumSquares(a(0) + off, count) : ex.allFinite(a(0) + off, count);
  }
  if (kind === ${ACT} || kind === ${ACT_GRAD}) {
    const off = chunk * per * 4, count = Math.min(per, a(4) - chunk * per);
    if (kind === ${ACT}) ex.act(a(0), f32[${ARGS + 5}], a(1) + off, a(2) + off, count);
    else ex.actGrad(a(0), f32[${ARGS + 5}], a(1) + off, a(2) + off, a(3) + off, count);
    return 0;
  }
  // the slices of the shared dimension in order, each element's later slices adding to its earlier ones
  const n = a(${N}), k = a(${K}), slice = a(${SLICE}), bp = a(${BP}), acc = a(${ACC}), bias = a(${BIAS}), b = a(${B}), ldb = a(${LDB}), bT = a(${B_TRANS});
  const inPlace = a(${IN_PLACE}), ps = a(${PS});
  if (kind === ${GEMM}) {
    const packs = a(${PACK_CHUNKS});
    if (chunk < packs) {
      const cols = a(${PACK_COLS}), col = chunk * cols;
      for (let p0 = 0, s = 0; p0 < k; p0 += slice, s++) {
        const kc = Math.min(slice, k - p0);
        ex.pack(bAt(b, ldb, bT, p0, col), ldb, kc, Math.min(cols, n - col), bT, bp + (s * a(${BP_SLICE}) + col * kc) * 4);
      }
      Atomics.add(ctl, ${PACKED}, 1);
      return 0;
    }
    if (Atomics.load(ctl, ${PACKED}) < packs) waitPacked(packs);
    const rs = a(${RS}), row = (chunk - packs) * per, rows = Math.min(count * per, a(${M}) - row), ap = a(${AP}) + row * slice * 4;
    for (let p0 = 0, s = 0; p0 < k; p0 += slice, s++) {
      const kc = Math.min(slice, k - p0);
      ex.packA(a(${A}) + (row * rs + p0 * ps) * 4, rs, ps, rows, kc, ap);
      ex.gemm(rows, n, kc, ap, inPlace ? b : bp + s * a(${BP_SLICE}) * 4, a(${C}) + row * n * 4, p0 ? 1 : acc, tmp, acc === ${ROW_BIAS} ? bias + row * 4 : bias, inPlace ? ldb : 0, a(${TAILS}), 0, n);
    }
    return 0;
  }
  const col = chunk * per, end = Math.min(col + count * per, n);
  for (let p0 = 0, s = 0; p0 < k; p0 += slice, s++) {
    const kc = Math.min(slice, k - p0);
    // this chunk's panels of each slice in turn, in its own run of the packed area whatever the slice's depth
    const panels = bp + col * (slice - kc) * 4;
    if (!inPlace) ex.pack(bAt(b, ldb, bT, p0, col), ldb, kc, end - col, bT, panels + col * kc * 4);
    ex.gemm(a(${M}), n, kc, a(${AP}) + s * a(${AP_SLICE}) * 4, inPlace ? b : panels, a(${C}), p0 ? 1 : acc, tmp, bias, inPlace ? ldb : 0, a(${TAILS}), col, end);
  }
  return 0;
}
return { runChunk, claimSize };
`;

/**
 * Runs in each helper: instantiate the same module on the shared memory, then claim chunks of each job
 * (helpers are unref'd and end with the process). A claim is a compare-and-swap on CLAIM, which carries the
 * job's generation and has no unclaimed chunk while the caller writes a job's arguments, so a helper that read the
 * arguments of another job can never claim with them.
 */
const HELPER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, control, tmp, threads } = workerData;
const { runChunk, claimSize } = new Function('control', 'threads', ${JSON.stringify(CHUNK_SOURCE)})(control, threads);
const ctl = new Int32Array(control);
const results = new Float64Array(control, ${RESULTS * 4}, ${MAX_CHUNKS});
try {
  const ex = new WebAssembly.Instance(module, { env: { memory } }).exports;
  Atomics.add(ctl, ${READY}, 1);
  for (;;) {
    const v = Atomics.load(ctl, ${CLAIM});
    if ((v & ${INDEX_MASK}) >= ((v >> ${INDEX_BITS}) & ${INDEX_MASK})) {
      // every chunk claimed: poll a little, then sleep until the next job. Counted among the sleepers
      // before the wait's own look at CLAIM, so a publish either sees this helper and notifies, or came
      // first and the wait returns at once; a publish while every helper works or polls skips the wake.
      const until = performance.now() + ${SPIN_MS};
      for (let i = 1; Atomics.load(ctl, ${CLAIM}) === v && ((i & ${CLOCK_MASK}) !== 0 || performance.now() < until); i++);
      if (Atomics.load(ctl, ${CLAIM}) !== v) continue;
      Atomics.add(ctl, ${SLEEPERS}, 1);
      Atomics.wait(ctl, ${CLAIM}, v);
      Atomics.sub(ctl, ${SLEEPERS}, 1);
      continue;
    }
    const kind = ctl[${KIND}], per = ctl[${CHUNK_ROWS}], chunk = v & ${INDEX_MASK};
    const count = claimSize(chunk, (v >> ${INDEX_BITS}) & ${INDEX_MASK});
    if (Atomics.compareExchange(ctl, ${CLAIM}, v, v + count) !== v) continue;
    results[chunk] = runChunk(ex, kind, chunk, count, per, tmp);
    Atomics.add(ctl, ${DONE}, count);
    if (Atomics.load(ctl, ${CALLER_WAITING})) Atomics.notify(ctl, ${DONE});
  }
} catch (e) {
  Atomics.store(ctl, ${FAILED}, 1);
  Atomics.notify(ctl, ${DONE});
}
`;

/** The module's exports a chunk runs: the operand parts packed by the thread that computes with them, then the product; or a slice of an Adam update, an activation pass or a reduction. */
export interface ChunkExports {
  pack(b: number, ld: number, k: number, n: number, t: number, dst: number): void;
  packA(a: number, rs: number, ps: number, m: number, k: number, dst: number): void;
  gemm(m: number, n: number, k: number, ap: number, bp: number, c: number, acc: number, tmp: number, bias: number, ldb: number, bt: number, jFrom: number, jTo: number): void;
  adam(w: number, g: number, m: number, v: number, n: number, b1: number, b2: number, step: number, ic2: number, eps: number): number;
  act(kind: number, alpha: number, x: number, y: number, n: number): void;
  actGrad(kind: number, alpha: number, x: number, dy: number, dx: number, n: number): void;
  sumSquares(a: number, n: number): number;
  allFinite(a: number, n: number): number;
}

export class GemmPool {
  private readonly workers: Worker[];
  private readonly ctl: Int32Array;
  private readonly f32: Float32Array;
  private readonly results: Float64Array;
  private readonly runChunk: (own: ChunkExports, kind: number, chunk: number, count: number, per: number, tmp: number) => number;
  private readonly claimSize: (first: number, end: number) => number;
  /** Chunks taken by the caller's last claim. */
  private claimed = 0;
  private generation = 0;
  private side: (() => void) | null = null;
  /** True while a task given to beside() runs: what it runs must stay on the calling thread. */
  besideRunning = false;

  /**
   * `tmps` gives each helper its own partial-tile scratch address in the shared memory; `tile` is the
   * build's register tile (mr × nr) and the rows (mc) it sweeps against each B panel.
   */
  constructor(module: WebAssembly.Module, memory: WebAssembly.Memory, tmps: number[], private readonly tile: { mr: number; nr: number; mc: number }) {
    const control = new SharedArrayBuffer(WORDS * 4);
    this.ctl = new Int32Array(control);
    this.f32 = new Float32Array(control);
    this.results = new Float64Array(control, RESULTS * 4, MAX_CHUNKS);
    const threads = tmps.length + 1;
    ({ runChunk: this.runChunk, claimSize: this.claimSize } = new Function('control', 'threads', CHUNK_SOURCE)(control, threads));
    this.workers = tmps.map((tmp) => {
      const worker = new Worker(HELPER_SOURCE, { eval: true, workerData: { module, memory, control, tmp, threads } });
      worker.unref();
      return worker;
    });
  }

  get threads(): number {
    return this.workers.length + 1;
  }

  /** The caller plus the helpers that have started (0 helpers once one has failed). */
  get activeThreads(): number {
    return 1 + (Atomics.load(this.ctl, FAILED) ? 0 : Atomics.load(this.ctl, READY));
  }

  /**
   * Whether a product of m × n is split by columns: when chunks of rows would be shorter than the
   * micro-kernel's sweep (each would stream all of B for a few rows) and there are columns to share.
   */
  splitsByColumns(m: number, n: number): boolean {
    return m < 2 * this.tile.mc && n >= 2 * this.tile.nr;
  }

  /**
   * C = op(A)·B in packed slices of the shared dimension `slice` deep (the last one shorter), in chunks
   * claimed by whichever thread is free first (the caller, through `own`, included); a chunk runs every
   * slice, the later ones adding to C. op(A) element (i, p) is at a + 4(i·rs + p·ps); B element (p, j) at
   * b + 4(p·ldb + j), or b + 4(j·ldb + p) when bT. Split by rows (splitsByColumns false): the job's first
   * chunks pack every slice of B into `bp` (one run of columns per thread), then chunks of whole MR-row
   * blocks each pack their rows of A into `ap`, a slice at a time, and compute once B is packed. Split by
   * columns: the caller packs every slice of A into `ap`, then chunks of whole NR-column panels each pack
   * their panels of B, a slice at a time. `inPlace` (k at most `slice`): B is read in place (not
   * transposed), its last partial panel packed by the caller at `tails` (the module's gemm's ldb and bt).
   * `acc` and `bias` as for the module's gemm, for the first slice.
   */
  gemm(own: ChunkExports, a: number, rs: number, ps: number, ap: number, m: number, n: number, k: number, slice: number, bp: number, c: number, acc: number, tmp: number, bias: number, b: number, ldb: number, bT: number, inPlace: boolean, tails: number): void {
    const ctl = this.ctl;
    const { mr, nr } = this.tile;
    const byColumns = this.splitsByColumns(m, n);
    const apSlice = slice * Math.ceil(m / mr) * mr;
    if (byColumns) for (let p0 = 0, s = 0; p0 < k; p0 += slice, s++) own.packA(a + p0 * ps * 4, rs, ps, m, Math.min(slice, k - p0), ap + s * apSlice * 4);
    const packCols = Math.ceil(Math.ceil(n / nr) / this.threads) * nr;
    const packs = byColumns || inPlace ? 0 : Math.ceil(n / packCols);
    const tile = byColumns ? nr : mr;
    const tiles = Math.ceil((byColumns ? n : m) / tile);
    const per = Math.ceil(tiles / (MAX_CHUNKS - packs)) * tile;
    const chunks = packs + Math.ceil((byColumns ? n : m) / per);
    this.close();
    // word by word: an array literal here would be an allocation per product
    ctl[ARGS + A] = a;
    ctl[ARGS + RS] = rs;
    ctl[ARGS + PS] = ps;
    ctl[ARGS + AP] = ap;
    ctl[ARGS + M] = m;
    ctl[ARGS + N] = n;
    ctl[ARGS + K] = k;
    ctl[ARGS + BP] = bp;
    ctl[ARGS + C] = c;
    ctl[ARGS + ACC] = acc;
    ctl[ARGS + BIAS] = bias;
    ctl[ARGS + B] = b;
    ctl[ARGS + LDB] = ldb;
    ctl[ARGS + B_TRANS] = bT;
    ctl[ARGS + IN_PLACE] = inPlace ? 1 : 0;
    ctl[ARGS + TAILS] = tails;
    ctl[ARGS + PACK_CHUNKS] = packs;
    ctl[ARGS + PACK_COLS] = packCols;
    ctl[ARGS + SLICE] = slice;
    ctl[ARGS + AP_SLICE] = apSlice;
    ctl[ARGS + BP_SLICE] = slice * Math.ceil(n / nr) * nr;
    Atomics.store(ctl, PACKED, 0);
    this.run(own, byColumns ? GEMM_COLUMNS : GEMM, chunks, per, tmp, packs, Math.ceil((chunks - packs) / (this.threads * CHUNKS_PER_THREAD)));
  }

  /**
   * One Adam update of n float32 weights (see the module's adam) in chunks of whole v128 groups; returns Σw
   * summed over the chunks (the per-weight results do not depend on the split, only this sum's rounding).
   */
  adam(own: ChunkExports, w: number, g: number, m: number, v: number, n: number, b1: number, b2: number, step: number, ic2: number, eps: number): number {
    const f32 = this.f32;
    const per = this.openElementwise(w, g, m, v, n);
    const chunks = Math.ceil(n / per);
    f32[ARGS + 5] = b1;
    f32[ARGS + 6] = b2;
    f32[ARGS + 7] = step;
    f32[ARGS + 8] = ic2;
    f32[ARGS + 9] = eps;
    this.run(own, ADAM, chunks, per, 0);
    let sum = 0;
    for (let c = 0; c < chunks; c++) sum += this.results[c];
    return sum;
  }

  /**
   * The module's act (dx = 0) or actGrad over n elements (activation `code`), in chunks of whole v128 groups
   * over the same grid as a row-split product of those rows, so each thread mostly reads rows it wrote.
   */
  activation(own: ChunkExports, code: number, alpha: number, x: number, y: number, dx: number, n: number): void {
    const per = this.openElementwise(code, x, y, dx, n);
    this.f32[ARGS + 5] = alpha;
    this.run(own, dx ? ACT_GRAD : ACT, Math.ceil(n / per), per, 0);
  }

  /**
   * Σa² of n floats at `a`, in chunks of `per` (the module's sumSquares each), added in chunk order. The
   * caller fixes the grid, so the sum's rounding does not depend on the thread count.
   */
  sumSquares(own: ChunkExports, a: number, n: number, per: number): number {
    const chunks = this.openReduction(a, n, per);
    this.run(own, SUM_SQUARES, chunks, per, 0);
    let sum = 0;
    for (let c = 0; c < chunks; c++) sum += this.results[c];
    return sum;
  }

  /** Whether none of n floats at `a` is NaN or ±Inf, in chunks of `per` (the module's allFinite each). */
  allFinite(own: ChunkExports, a: number, n: number, per: number): boolean {
    const chunks = this.openReduction(a, n, per);
    this.run(own, ALL_FINITE, chunks, per, 0);
    for (let c = 0; c < chunks; c++) if (this.results[c] !== 1) return false;
    return true;
  }

  /** Starts a reduction over n floats at `a` in chunks of `per`; returns the chunk count. */
  private openReduction(a: number, n: number, per: number): number {
    const chunks = Math.ceil(n / per);
    if (chunks > MAX_CHUNKS) throw new Error(`GemmPool: ${chunks} chunks of ${per} values, above ${MAX_CHUNKS}`);
    this.close();
    this.ctl[ARGS] = a;
    this.ctl[ARGS + 4] = n;
    return chunks;
  }

  /**
   * Starts an element-wise job over n elements: closes it to claims, writes its first four argument words and
   * n, and returns the elements per chunk (whole, aligned groups of 64, CHUNKS_PER_THREAD chunks per thread).
   */
  private openElementwise(a0: number, a1: number, a2: number, a3: number, n: number): number {
    const ctl = this.ctl;
    this.close();
    ctl[ARGS] = a0;
    ctl[ARGS + 1] = a1;
    ctl[ARGS + 2] = a2;
    ctl[ARGS + 3] = a3;
    ctl[ARGS + 4] = n;
    return Math.ceil(n / (this.threads * CHUNKS_PER_THREAD) / 64) * 64;
  }

  /**
   * Opens the job whose arguments were written since close(), runs the side task, then works through
   * chunks beside the helpers (claiming from the front while chunks below `front` are left) and returns
   * once every chunk is done; a side task's throw is rethrown then.
   */
  private run(own: ChunkExports, kind: number, chunks: number, per: number, tmp: number, front = 0, most = 1): void {
    const ctl = this.ctl;
    this.publish(kind, chunks, per, most);
    const sideError = this.runSide();
    for (let chunk = this.claim(front); chunk >= 0; chunk = this.claim(front)) {
      this.results[chunk] = this.runChunk(own, kind, chunk, this.claimed, per, tmp);
      Atomics.add(ctl, DONE, this.claimed);
    }
    this.awaitChunks(chunks);
    if (sideError) throw sideError.error;
  }

  /**
   * Runs `task` on the calling thread while the helpers work on the next job (right after it is published,
   * before the caller claims chunks of its own), so serial work that does not depend on that job's result
   * (the next batch's rows, a weight gradient beside the input gradient) overlaps it; settle() runs it if no
   * job came. While it runs, besideRunning is true: the kernels keep its work on the calling thread.
   */
  beside(task: () => void): void {
    this.settle();
    this.side = task;
  }

  /** Runs the task given to beside() now if no job has run it yet. */
  settle(): void {
    const task = this.side;
    this.side = null;
    if (task) this.runBeside(task);
  }

  private runBeside(task: () => void): void {
    this.besideRunning = true;
    try {
      task();
    } finally {
      this.besideRunning = false;
    }
  }

  /** The pending side task, run after a publish; a throw is held until the job's chunks are done. */
  private runSide(): { error: unknown } | null {
    const task = this.side;
    if (!task) return null;
    this.side = null;
    try {
      this.runBeside(task);
      return null;
    } catch (error) {
      return { error };
    }
  }

  /**
   * Before a job's arguments are written: a new generation, closed to claims (the previous job is done).
   * Throws once a helper has failed.
   */
  private close(): void {
    if (Atomics.load(this.ctl, FAILED)) throw new Error('a kernel helper thread failed');
    this.generation = (this.generation + 1) & ((1 << (32 - GENERATION_SHIFT)) - 1);
    Atomics.store(this.ctl, CLAIM, this.generation << GENERATION_SHIFT);
  }

  /** Opens the job of `chunks` chunks whose arguments were written since close(): helpers wake and claim. */
  private publish(kind: number, chunks: number, per: number, most: number): void {
    const ctl = this.ctl;
    ctl[KIND] = kind;
    ctl[CHUNK_ROWS] = per;
    ctl[MOST] = most;
    Atomics.store(ctl, DONE, 0);
    Atomics.store(ctl, CLAIM, (this.generation << GENERATION_SHIFT) | (chunks << INDEX_BITS));
    if (Atomics.load(ctl, SLEEPERS) > 0) Atomics.notify(ctl, CLAIM);
  }

  /**
   * The last unclaimed chunk, claimed for the caller (or the first while chunks below `front` are unclaimed:
   * B-packing chunks the others wait for), or -1 when every chunk is taken.
   */
  private claim(front = 0): number {
    for (;;) {
      const v = Atomics.load(this.ctl, CLAIM);
      const first = v & INDEX_MASK;
      const end = (v >> INDEX_BITS) & INDEX_MASK;
      if (first >= end) return -1;
      const count = this.claimSize(first, end);
      this.claimed = count;
      if (first < front) {
        if (Atomics.compareExchange(this.ctl, CLAIM, v, v + 1) === v) return first;
      } else if (Atomics.compareExchange(this.ctl, CLAIM, v, v - (count << INDEX_BITS)) === v) return end - count;
    }
  }

  /** Returns once every chunk of the job is done (the helpers' writes then visible). */
  private awaitChunks(chunks: number): void {
    const ctl = this.ctl;
    // the last chunks usually finish within a poll; a helper's notify would cost a wake
    const until = performance.now() + SPIN_MS;
    for (let i = 1; Atomics.load(ctl, DONE) < chunks && ((i & CLOCK_MASK) !== 0 || performance.now() < until); i++);
    for (let done = Atomics.load(ctl, DONE); done < chunks; done = Atomics.load(ctl, DONE)) {
      if (Atomics.load(ctl, FAILED)) throw new Error('a kernel helper thread failed');
      // flagged before the wait's own look at DONE (as the helpers' sleeper count), so a finishing helper
      // notifies exactly when the caller may be asleep
      Atomics.store(ctl, CALLER_WAITING, 1);
      Atomics.wait(ctl, DONE, done, 100);
      Atomics.store(ctl, CALLER_WAITING, 0);
    }
  }
}
