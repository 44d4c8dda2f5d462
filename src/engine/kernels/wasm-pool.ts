// Splits one wasm GEMM across helper threads by chunks of output rows. Every element of C is still computed
// by the same instruction sequence over the same packed panels whichever thread takes its chunk, so results
// are bit-identical for any thread count. Chunks are claimed from a shared counter rather than dealt out in
// advance: a helper that is descheduled (the cores are shared with the editor and other processes) or still
// starting simply claims fewer, and the caller takes the rest instead of waiting for it. Helpers share the
// wasm memory and sleep in Atomics.wait between jobs; the caller works too and returns once every chunk is
// done, so the kernels stay synchronous.
import { Worker } from 'node:worker_threads';

// Control words shared by the caller and every helper.
const CLAIM = 0; // generation << 16 | next unclaimed chunk of the current job
const DONE = 1; // chunks of the current job finished
const ARGS = 2; // the 12 arguments of the whole job: A (address, row and depth strides), then gemm's 9
const CHUNKS = 14; // chunks in the current job
const CHUNK_ROWS = 15; // rows per chunk (a multiple of MR)
const READY = 16; // helpers that have instantiated the module
const FAILED = 17; // 1 if a helper threw
const WORDS = 18;

/** Chunks per thread: enough that an early finisher can take over part of a slow thread's share. */
const CHUNKS_PER_THREAD = 4;

/**
 * Runs in each helper: instantiate the same module on the shared memory, then claim chunks of each job
 * (helpers are unref'd and end with the process). A claim is a compare-and-swap on CLAIM that also checks
 * the generation, so a helper that read the arguments of a finished job can never claim a chunk of the next.
 */
const HELPER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, control, tmp } = workerData;
const ctl = new Int32Array(control);
try {
  const ex = new WebAssembly.Instance(module, { env: { memory } }).exports;
  Atomics.add(ctl, ${READY}, 1);
  for (;;) {
    const v = Atomics.load(ctl, ${CLAIM});
    if ((v & 0xffff) >= ctl[${CHUNKS}]) {
      Atomics.wait(ctl, ${CLAIM}, v); // every chunk claimed: sleep until the next job
      continue;
    }
    const a = ctl[${ARGS}], rs = ctl[${ARGS + 1}], ps = ctl[${ARGS + 2}];
    const m = ctl[${ARGS + 3}], n = ctl[${ARGS + 4}], k = ctl[${ARGS + 5}], ap = ctl[${ARGS + 6}], bp = ctl[${ARGS + 7}];
    const c = ctl[${ARGS + 8}], acc = ctl[${ARGS + 9}], bias = ctl[${ARGS + 11}], rowsPer = ctl[${CHUNK_ROWS}];
    if (Atomics.compareExchange(ctl, ${CLAIM}, v, v + 1) !== v) continue;
    const row = (v & 0xffff) * rowsPer;
    const rows = Math.min(rowsPer, m - row);
    ex.packA(a + row * rs * 4, rs, ps, rows, k, ap + row * k * 4);
    ex.gemm(rows, n, k, ap + row * k * 4, bp, c + row * n * 4, acc, tmp, bias);
    Atomics.add(ctl, ${DONE}, 1);
    Atomics.notify(ctl, ${DONE});
  }
} catch (e) {
  Atomics.store(ctl, ${FAILED}, 1);
  Atomics.notify(ctl, ${DONE});
}
`;

/** The module's exports a chunk runs: A's rows packed by the thread that computes them, then the product. */
export interface ChunkExports {
  packA(a: number, rs: number, ps: number, m: number, k: number, dst: number): void;
  gemm(m: number, n: number, k: number, ap: number, bp: number, c: number, acc: number, tmp: number, bias: number): void;
}



export class GemmPool {
  private readonly workers: Worker[];
  private readonly ctl: Int32Array;
  private generation = 0;

  /** `tmps` gives each helper its own partial-tile scratch address in the shared memory. */
  constructor(module: WebAssembly.Module, memory: WebAssembly.Memory, tmps: number[], private readonly mr: number) {
    const control = new SharedArrayBuffer(WORDS * 4);
    this.ctl = new Int32Array(control);
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
   * C rows in chunks of whole MR-row blocks, claimed by whichever thread is free first (the caller, through
   * `own`, included); each chunk packs its own rows of A (op(A) element (i, p) at a + 4(i·rs + p·ps)) into
   * `ap` first, so that packing is split too. B must be packed already.
   */
  gemm(own: ChunkExports, a: number, rs: number, ps: number, ap: number, m: number, n: number, k: number, bp: number, c: number, acc: number, tmp: number, bias: number): void {
    const ctl = this.ctl;
    if (Atomics.load(ctl, FAILED)) throw new Error('a kernel helper thread failed');
    const blocks = Math.ceil(m / this.mr);
    const rowsPer = Math.ceil(blocks / (this.threads * CHUNKS_PER_THREAD)) * this.mr;
    const chunks = Math.ceil(m / rowsPer);
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
    ctl[CHUNKS] = chunks;
    ctl[CHUNK_ROWS] = rowsPer;
    Atomics.store(ctl, DONE, 0);
    this.generation = (this.generation + 1) & 0x7fff;
    Atomics.store(ctl, CLAIM, this.generation << 16);
    Atomics.notify(ctl, CLAIM);
    for (;;) {
      const v = Atomics.load(ctl, CLAIM);
      if ((v & 0xffff) >= chunks) break;
      if (Atomics.compareExchange(ctl, CLAIM, v, v + 1) !== v) continue;
      const row = (v & 0xffff) * rowsPer;
      const rows = Math.min(rowsPer, m - row);
      own.packA(a + row * rs * 4, rs, ps, rows, k, ap + row * k * 4);
      own.gemm(rows, n, k, ap + row * k * 4, bp, c + row * n * 4, acc, tmp, bias);
      Atomics.add(ctl, DONE, 1);
    }
    for (let done = Atomics.load(ctl, DONE); done < chunks; done = Atomics.load(ctl, DONE)) {
      if (Atomics.load(ctl, FAILED)) throw new Error('a kernel helper thread failed');
      Atomics.wait(ctl, DONE, done, 100);
    }
  }
}
