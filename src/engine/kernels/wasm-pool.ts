// Splits one wasm GEMM across helper threads by chunks of output rows, or of output columns when the rows
// are too few to give each chunk a full sweep of the micro-kernel (a dense layer's batch, a convolution's
// filters: row chunks that short would each stream all of B for a handful of rows), and one Adam update by
// chunks of weights. Every element is still computed by the same instruction sequence (over the same packed panels)
// whichever thread takes its chunk, so results are bit-identical for any thread count. Chunks are claimed from a shared counter rather than dealt out in
// advance: a helper that is descheduled (the cores are shared with the editor and other processes) or still
// starting simply claims fewer, and the caller takes the rest instead of waiting for it. Helpers share the
// wasm memory and sleep in Atomics.wait between jobs; the caller works too and returns once every chunk is
// done, so the kernels stay synchronous.
import { Worker } from 'node:worker_threads';

// Control words shared by the caller and every helper.
const CLAIM = 0; // generation << 7 | next unclaimed chunk of the current job (CLOSED while a job is written)
const DONE = 1; // chunks of the current job finished
const CHUNKS = 2; // chunks in the current job
const CHUNK_ROWS = 3; // rows (a multiple of MR), columns (a multiple of NR) or weights per chunk
const READY = 4; // helpers that have instantiated the module
const FAILED = 5; // 1 if a helper threw
const KIND = 6; // GEMM or ADAM
const SLEEPERS = 7; // helpers asleep (or about to sleep) in Atomics.wait on CLAIM
const CALLER_WAITING = 8; // 1 while the caller sleeps in Atomics.wait on DONE
const ARGS = 9; // gemm: A (address, row and depth strides), gemm's first 11, then B to pack (address, ld, transposed, 1 if any); adam: w, g, m, v, n, then 5 float32
const SUMS = ARGS + 18; // adam: Σw of each chunk, float32
const MAX_CHUNKS = 64;
/** Chunk index bits of CLAIM; the other 25 count jobs, so a stale claim cannot match for 2^25 jobs. */
const INDEX_BITS = 7;
const INDEX_MASK = (1 << INDEX_BITS) - 1;
/** The index while the caller writes a job: above any chunk count, so nobody claims. */
const CLOSED = INDEX_MASK;
const WORDS = SUMS + MAX_CHUNKS;
const GEMM = 0; // chunks of rows, each packing its own rows of A
const GEMM_COLUMNS = 1; // chunks of columns over A packed by the caller
const ADAM = 2;
/** gemm's acc code for a bias per row of C: a chunk of rows starts its bias at its first row. */
const ROW_BIAS = 3;

/** Chunks per thread: enough that an early finisher can take over part of a slow thread's share. */
const CHUNKS_PER_THREAD = 4;

/**
 * Runs in each helper: instantiate the same module on the shared memory, then claim chunks of each job
 * (helpers are unref'd and end with the process). A claim is a compare-and-swap on CLAIM, which carries the
 * job's generation and is CLOSED while the caller writes a job's arguments, so a helper that read the
 * arguments of another job can never claim with them.
 */
const HELPER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, control, tmp } = workerData;
const ctl = new Int32Array(control);
const f32 = new Float32Array(control);
try {
  const ex = new WebAssembly.Instance(module, { env: { memory } }).exports;
  Atomics.add(ctl, ${READY}, 1);
  for (;;) {
    const v = Atomics.load(ctl, ${CLAIM});
    if ((v & ${INDEX_MASK}) >= ctl[${CHUNKS}]) {
      // every chunk claimed: sleep until the next job. Counted among the sleepers before the wait's own
      // look at CLAIM, so a publish either sees this helper and notifies, or came first and the wait
      // returns at once; a publish while every helper works skips the wake call.
      Atomics.add(ctl, ${SLEEPERS}, 1);
      Atomics.wait(ctl, ${CLAIM}, v);
      Atomics.sub(ctl, ${SLEEPERS}, 1);
      continue;
    }
    const kind = ctl[${KIND}], per = ctl[${CHUNK_ROWS}];
    if (kind === ${GEMM}) {
      const a = ctl[${ARGS}], rs = ctl[${ARGS + 1}], ps = ctl[${ARGS + 2}];
      const m = ctl[${ARGS + 3}], n = ctl[${ARGS + 4}], k = ctl[${ARGS + 5}], ap = ctl[${ARGS + 6}], bp = ctl[${ARGS + 7}];
      const c = ctl[${ARGS + 8}], acc = ctl[${ARGS + 9}], bias = ctl[${ARGS + 11}], ldb = ctl[${ARGS + 12}], bt = ctl[${ARGS + 13}];
      if (Atomics.compareExchange(ctl, ${CLAIM}, v, v + 1) !== v) continue;
      const row = (v & ${INDEX_MASK}) * per;
      const rows = Math.min(per, m - row);
      ex.packA(a + row * rs * 4, rs, ps, rows, k, ap + row * k * 4);
      ex.gemm(rows, n, k, ap + row * k * 4, bp, c + row * n * 4, acc, tmp, acc === ${ROW_BIAS} ? bias + row * 4 : bias, ldb, bt, 0, n);
    } else if (kind === ${GEMM_COLUMNS}) {
      const m = ctl[${ARGS + 3}], n = ctl[${ARGS + 4}], k = ctl[${ARGS + 5}], ap = ctl[${ARGS + 6}], bp = ctl[${ARGS + 7}];
      const c = ctl[${ARGS + 8}], acc = ctl[${ARGS + 9}], bias = ctl[${ARGS + 11}], ldb = ctl[${ARGS + 12}], bt = ctl[${ARGS + 13}];
      const bSrc = ctl[${ARGS + 14}], bLd = ctl[${ARGS + 15}], bTrans = ctl[${ARGS + 16}], packB = ctl[${ARGS + 17}];
      if (Atomics.compareExchange(ctl, ${CLAIM}, v, v + 1) !== v) continue;
      const col = (v & ${INDEX_MASK}) * per, end = Math.min(col + per, n);
      if (packB) ex.pack(bSrc + (bTrans ? col * bLd : col) * 4, bLd, k, end - col, bTrans, bp + col * k * 4);
      ex.gemm(m, n, k, ap, bp, c, acc, tmp, bias, ldb, bt, col, end);
    } else {
      const w = ctl[${ARGS}], g = ctl[${ARGS + 1}], m = ctl[${ARGS + 2}], vs = ctl[${ARGS + 3}], n = ctl[${ARGS + 4}];
      const b1 = f32[${ARGS + 5}], b2 = f32[${ARGS + 6}], step = f32[${ARGS + 7}], ic2 = f32[${ARGS + 8}], eps = f32[${ARGS + 9}];
      if (Atomics.compareExchange(ctl, ${CLAIM}, v, v + 1) !== v) continue;
      const chunk = v & ${INDEX_MASK}, off = chunk * per * 4;
      f32[${SUMS} + chunk] = ex.adam(w + off, g + off, m + off, vs + off, Math.min(per, n - chunk * per), b1, b2, step, ic2, eps);
    }
    Atomics.add(ctl, ${DONE}, 1);
    if (Atomics.load(ctl, ${CALLER_WAITING})) Atomics.notify(ctl, ${DONE});
  }
} catch (e) {
  Atomics.store(ctl, ${FAILED}, 1);
  Atomics.notify(ctl, ${DONE});
}
`;

/** The module's exports a chunk runs: the operand parts packed by the thread that computes with them, then the product; or a slice of an Adam update. */
export interface ChunkExports {
  pack(b: number, ld: number, k: number, n: number, t: number, dst: number): void;
  packA(a: number, rs: number, ps: number, m: number, k: number, dst: number): void;
  gemm(m: number, n: number, k: number, ap: number, bp: number, c: number, acc: number, tmp: number, bias: number, ldb: number, bt: number, jFrom: number, jTo: number): void;
  adam(w: number, g: number, m: number, v: number, n: number, b1: number, b2: number, step: number, ic2: number, eps: number): number;
}



export class GemmPool {
  private readonly workers: Worker[];
  private readonly ctl: Int32Array;
  private readonly f32: Float32Array;
  private generation = 0;

  /**
   * `tmps` gives each helper its own partial-tile scratch address in the shared memory; `tile` is the
   * build's register tile (mr × nr) and the rows (mc) it sweeps against each B panel.
   */
  constructor(module: WebAssembly.Module, memory: WebAssembly.Memory, tmps: number[], private readonly tile: { mr: number; nr: number; mc: number }) {
    const control = new SharedArrayBuffer(WORDS * 4);
    this.ctl = new Int32Array(control);
    this.f32 = new Float32Array(control);
    this.workers = tmps.map((tmp) => {
      const worker = new Worker(HELPER_SOURCE, { eval: true, workerData: { module, memory, control, tmp } });
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
   * C in chunks claimed by whichever thread is free first (the caller, through `own`, included). Split by
   * rows (splitsByColumns false): whole MR-row blocks, each chunk packing its own
   * rows of A (op(A) element (i, p) at a + 4(i·rs + p·ps)) into `ap` first, so that packing is split too; B
   * must be packed already (or read in place: ldb, bt as for the module's gemm). Split by columns: whole
   * NR-column panels over all of A, which the caller packs first; with `packB`, each chunk packs its own
   * panels of B (pack's b, ld, t: bSrc, bLd, bTrans) into `bp` first.
   */
  gemm(own: ChunkExports, a: number, rs: number, ps: number, ap: number, m: number, n: number, k: number, bp: number, c: number, acc: number, tmp: number, bias: number, ldb: number, bt: number, bSrc: number, bLd: number, bTrans: number, packB: boolean): void {
    const ctl = this.ctl;
    if (Atomics.load(ctl, FAILED)) throw new Error('a kernel helper thread failed');
    const { mr, nr } = this.tile;
    const wanted = this.threads * CHUNKS_PER_THREAD;
    const byColumns = this.splitsByColumns(m, n);
    const per = byColumns ? Math.ceil(Math.ceil(n / nr) / wanted) * nr : Math.ceil(Math.ceil(m / mr) / wanted) * mr;
    const chunks = Math.ceil((byColumns ? n : m) / per);
    if (byColumns) own.packA(a, rs, ps, m, k, ap);
    this.close();
    // word by word: an array literal here would be an allocation per product
    ctl[ARGS] = a;
    ctl[ARGS + 1] = rs;
    ctl[ARGS + 2] = ps;
    ctl[ARGS + 3] = m;
    ctl[ARGS + 4] = n;
    ctl[ARGS + 5] = k;
    ctl[ARGS + 6] = ap;
    ctl[ARGS + 7] = bp;
    ctl[ARGS + 8] = c;
    ctl[ARGS + 9] = acc;
    ctl[ARGS + 10] = tmp;
    ctl[ARGS + 11] = bias;
    ctl[ARGS + 12] = ldb;
    ctl[ARGS + 13] = bt;
    ctl[ARGS + 14] = bSrc;
    ctl[ARGS + 15] = bLd;
    ctl[ARGS + 16] = bTrans;
    ctl[ARGS + 17] = packB ? 1 : 0;
    this.publish(byColumns ? GEMM_COLUMNS : GEMM, chunks, per);
    for (let chunk = this.claim(chunks); chunk >= 0; chunk = this.claim(chunks)) {
      if (byColumns) {
        const col = chunk * per;
        const end = Math.min(col + per, n);
        if (packB) own.pack(bSrc + (bTrans ? col * bLd : col) * 4, bLd, k, end - col, bTrans, bp + col * k * 4);
        own.gemm(m, n, k, ap, bp, c, acc, tmp, bias, ldb, bt, col, end);
      } else {
        const row = chunk * per;
        const rows = Math.min(per, m - row);
        own.packA(a + row * rs * 4, rs, ps, rows, k, ap + row * k * 4);
        own.gemm(rows, n, k, ap + row * k * 4, bp, c + row * n * 4, acc, tmp, acc === ROW_BIAS ? bias + row * 4 : bias, ldb, bt, 0, n);
      }
      Atomics.add(ctl, DONE, 1);
    }
    this.awaitChunks(chunks);
  }

  /**
   * One Adam update of n float32 weights (see the module's adam) in chunks of whole v128 groups; returns Σw
   * summed over the chunks (the per-weight results do not depend on the split, only this sum's rounding).
   */
  adam(own: ChunkExports, w: number, g: number, m: number, v: number, n: number, b1: number, b2: number, step: number, ic2: number, eps: number): number {
    const ctl = this.ctl;
    const f32 = this.f32;
    if (Atomics.load(ctl, FAILED)) throw new Error('a kernel helper thread failed');
    const per = Math.ceil(n / (this.threads * CHUNKS_PER_THREAD) / 64) * 64;
    const chunks = Math.ceil(n / per);
    this.close();
    ctl[ARGS] = w;
    ctl[ARGS + 1] = g;
    ctl[ARGS + 2] = m;
    ctl[ARGS + 3] = v;
    ctl[ARGS + 4] = n;
    f32[ARGS + 5] = b1;
    f32[ARGS + 6] = b2;
    f32[ARGS + 7] = step;
    f32[ARGS + 8] = ic2;
    f32[ARGS + 9] = eps;
    this.publish(ADAM, chunks, per);
    for (let chunk = this.claim(chunks); chunk >= 0; chunk = this.claim(chunks)) {
      const off = chunk * per * 4;
      f32[SUMS + chunk] = own.adam(w + off, g + off, m + off, v + off, Math.min(per, n - chunk * per), b1, b2, step, ic2, eps);
      Atomics.add(ctl, DONE, 1);
    }
    this.awaitChunks(chunks);
    let sum = 0;
    for (let c = 0; c < chunks; c++) sum += f32[SUMS + c];
    return sum;
  }

  /** Before a job's arguments are written: a new generation, closed to claims (the previous job is done). */
  private close(): void {
    this.generation = (this.generation + 1) & ((1 << (32 - INDEX_BITS)) - 1);
    Atomics.store(this.ctl, CLAIM, (this.generation << INDEX_BITS) | CLOSED);
  }

  /** Opens the job of `chunks` chunks whose arguments were written since close(): helpers wake and claim. */
  private publish(kind: number, chunks: number, per: number): void {
    const ctl = this.ctl;
    ctl[KIND] = kind;
    ctl[CHUNKS] = chunks;
    ctl[CHUNK_ROWS] = per;
    Atomics.store(ctl, DONE, 0);
    Atomics.store(ctl, CLAIM, this.generation << INDEX_BITS);
    if (Atomics.load(ctl, SLEEPERS) > 0) Atomics.notify(ctl, CLAIM);
  }

  /** The next unclaimed chunk, claimed for the caller, or -1 when every chunk is taken. */
  private claim(chunks: number): number {
    for (;;) {
      const v = Atomics.load(this.ctl, CLAIM);
      if ((v & INDEX_MASK) >= chunks) return -1;
      if (Atomics.compareExchange(this.ctl, CLAIM, v, v + 1) === v) return v & INDEX_MASK;
    }
  }

  /** Returns once every chunk of the job is done (the helpers' writes then visible). */
  private awaitChunks(chunks: number): void {
    const ctl = this.ctl;
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
