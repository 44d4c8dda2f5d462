// Splits one wasm GEMM across helper threads by blocks of output rows. Every element of C is still computed
// by the same instruction sequence over the same packed panels, so results are bit-identical for any
// thread count. Helpers share the wasm memory and block in Atomics.wait between jobs; the caller runs its
// own share, then waits for theirs, so the kernels stay synchronous.
import { Worker } from 'node:worker_threads';

// Control words shared with each helper.
const GEN = 0; // job generation posted by the caller
const DONE = 1; // last generation the helper finished
const ARGS = 2; // the 9 gemm arguments
const READY = 11; // 1 once the helper has instantiated the module
const FAILED = 12; // 1 if the helper threw

/** Runs in each helper: instantiate the same module on the shared memory, then serve jobs (helpers are unref'd and end with the process). */
const HELPER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, control } = workerData;
const ctl = new Int32Array(control);
try {
  const ex = new WebAssembly.Instance(module, { env: { memory } }).exports;
  Atomics.store(ctl, ${READY}, 1);
  let gen = 0;
  for (;;) {
    Atomics.wait(ctl, ${GEN}, gen);
    gen = Atomics.load(ctl, ${GEN});
    ex.gemm(ctl[${ARGS}], ctl[${ARGS + 1}], ctl[${ARGS + 2}], ctl[${ARGS + 3}], ctl[${ARGS + 4}], ctl[${ARGS + 5}], ctl[${ARGS + 6}], ctl[${ARGS + 7}], ctl[${ARGS + 8}]);
    Atomics.store(ctl, ${DONE}, gen);
    Atomics.notify(ctl, ${DONE});
  }
} catch (e) {
  Atomics.store(ctl, ${FAILED}, 1);
  Atomics.notify(ctl, ${DONE});
}
`;

type GemmFn = (m: number, n: number, k: number, ap: number, bp: number, c: number, acc: number, tmp: number, bias: number) => void;

interface Helper {
  worker: Worker;
  ctl: Int32Array;
  tmp: number;
}

export class GemmPool {
  private readonly helpers: Helper[];

  /** `tmps` gives each helper its own partial-tile scratch address in the shared memory. */
  constructor(module: WebAssembly.Module, memory: WebAssembly.Memory, tmps: number[], private readonly mr: number) {
    this.helpers = tmps.map((tmp) => {
      const control = new SharedArrayBuffer(16 * 4);
      const worker = new Worker(HELPER_SOURCE, { eval: true, workerData: { module, memory, control } });
      worker.unref();
      return { worker, ctl: new Int32Array(control), tmp };
    });
  }

  get threads(): number {
    return this.helpers.length + 1;
  }

  /** The caller plus the helpers that have started and not failed. */
  get activeThreads(): number {
    return 1 + this.usable().length;
  }

  private usable(): Helper[] {
    return this.helpers.filter((h) => Atomics.load(h.ctl, READY) === 1 && Atomics.load(h.ctl, FAILED) === 0);
  }

  /**
   * C rows are dealt in MR-row blocks to the ready helpers first and the caller last. A helper still
   * starting up gets no share (the caller does it), so a slow or failed start never blocks training.
   */
  gemm(own: GemmFn, m: number, n: number, k: number, ap: number, bp: number, c: number, acc: number, tmp: number, bias: number): void {
    const ready = this.usable();
    const share = Math.ceil(Math.ceil(m / this.mr) / (ready.length + 1)) * this.mr;
    let row = 0;
    const started: Helper[] = [];
    for (const h of ready) {
      const rows = Math.min(share, m - row);
      if (rows <= 0) break;
      h.ctl.set([rows, n, k, ap + row * k * 4, bp, c + row * n * 4, acc, h.tmp, bias], ARGS);
      Atomics.add(h.ctl, GEN, 1);
      Atomics.notify(h.ctl, GEN);
      started.push(h);
      row += rows;
    }
    if (row < m) own(m - row, n, k, ap + row * k * 4, bp, c + row * n * 4, acc, tmp, bias);
    for (const h of started) {
      const gen = Atomics.load(h.ctl, GEN);
      for (let done = Atomics.load(h.ctl, DONE); done !== gen; done = Atomics.load(h.ctl, DONE)) {
        if (Atomics.load(h.ctl, FAILED)) throw new Error('a kernel helper thread failed');
        Atomics.wait(h.ctl, DONE, done, 100);
      }
    }
  }
}
