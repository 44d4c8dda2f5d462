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
const ARGS = 2; // the 9 gemm arguments of the whole job
const CHUNKS = 11; // chunks in the current job
const CHUNK_ROWS = 12; // rows per chunk (a multiple of MR)
const READY = 13; // helpers that have instantiated the module
const FAILED = 14; // 1 if a helper threw
const WORDS = 16;

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
    const m = ctl[${ARGS}], n = ctl[${ARGS + 1}], k = ctl[${ARGS + 2}], ap = ctl[${ARGS + 3}], bp = ctl[${ARGS + 4}];
    const c = ctl[${ARGS + 5}], acc = ctl[${ARGS + 6}], bias = ctl[${ARGS + 8}], rowsPer = ctl[${CHUNK_ROWS}];
    if (Atomics.compareExchange(ctl, ${CLAIM}, v, v + 1) !== v) continue;
    const row = (v & 0xffff) * rowsPer;
    ex.gemm(Math.min(rowsPer, m - row), n, k, ap + row * k * 4, bp, c + row * n * 4, acc, tmp, bias);
    Atomics.add(ctl, ${DONE}, 1);
    Atomics.notify(ctl, ${DONE});
  }
} catch (e) {
  Atomics.store(ctl, ${FAILED}, 1);
  Atomics.notify(ctl, ${DONE});
}
`;

type GemmFn = (m: number, n: number, k: number, ap: number, bp: number, c: number, acc: number, tmp: number, bias: number) => void;

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

  /** C rows in chunks of whole MR-row blocks, claimed by whichever thread is free first (the caller included). */
  gemm(own: GemmFn, m: number, n: number, k: number, ap: number, bp: number, c: number, acc: number, tmp: number, bias: number): void {
    const ctl = this.ctl;
    if (Atomics.load(ctl, FAILED)) throw new Error('a kernel helper thread failed');
    const blocks = Math.ceil(m / this.mr);
    const rowsPer = Math.ceil(blocks / (this.threads * CHUNKS_PER_THREAD)) * this.mr;
    const chunks = Math.ceil(m / rowsPer);
    ctl.set([m, n, k, ap, bp, c, acc, tmp, bias], ARGS);
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
      own(Math.min(rowsPer, m - row), n, k, ap + row * k * 4, bp, c + row * n * 4, acc, tmp, bias);
      Atomics.add(ctl, DONE, 1);
    }
    for (let done = Atomics.load(ctl, DONE); done < chunks; done = Atomics.load(ctl, DONE)) {
      if (Atomics.load(ctl, FAILED)) throw new Error('a kernel helper thread failed');
      Atomics.wait(ctl, DONE, done, 100);
    }
  }
}
