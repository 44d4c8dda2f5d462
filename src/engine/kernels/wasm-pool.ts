// Splits one wasm GEMM across helper threads by blocks of output rows. Every element of C is still computed
// by the same instruction sequence over the same packed panels, so results are bit-identical for any
// thread count. Helpers share the wasm memory and block in Atomics.wait between jobs; the caller runs its
// own share, then waits for theirs, so the kernels stay synchronous.
import { Worker } from 'node:worker_threads';

/** Runs in each helper: instantiate the same module on the shared memory, then serve jobs forever. */
const HELPER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, control } = workerData;
const ex = new WebAssembly.Instance(module, { env: { memory } }).exports;
const ctl = new Int32Array(control);
let gen = 0;
for (;;) {
  Atomics.wait(ctl, 0, gen);
  gen = Atomics.load(ctl, 0);
  if (ctl[2] < 0) break;
  ex.gemm(ctl[2], ctl[3], ctl[4], ctl[5], ctl[6], ctl[7], ctl[8], ctl[9]);
  Atomics.store(ctl, 1, gen);
  Atomics.notify(ctl, 1);
}
`;

type GemmFn = (m: number, n: number, k: number, ap: number, bp: number, c: number, acc: number, tmp: number) => void;

interface Helper {
  worker: Worker;
  /** [generation, done generation, m, n, k, ap, bp, c, acc, tmp] */
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

  /** C rows are dealt in MR-row blocks: helpers take the first shares, the caller the last. */
  gemm(own: GemmFn, m: number, n: number, k: number, ap: number, bp: number, c: number, acc: number, tmp: number): void {
    const blocks = Math.ceil(m / this.mr);
    const share = Math.ceil(blocks / this.threads);
    let row = 0;
    const started: Helper[] = [];
    for (const h of this.helpers) {
      const rows = Math.min(share * this.mr, m - row);
      if (rows <= 0) break;
      h.ctl.set([rows, n, k, ap + row * k * 4, bp, c + row * n * 4, acc, h.tmp], 2);
      Atomics.store(h.ctl, 0, h.ctl[0] + 1);
      Atomics.notify(h.ctl, 0);
      started.push(h);
      row += rows;
    }
    if (row < m) own(m - row, n, k, ap + row * k * 4, bp, c + row * n * 4, acc, tmp);
    for (const h of started) {
      const gen = h.ctl[0];
      for (let done = Atomics.load(h.ctl, 1); done !== gen; done = Atomics.load(h.ctl, 1)) Atomics.wait(h.ctl, 1, done);
    }
  }

  close(): void {
    for (const h of this.helpers) {
      h.ctl[2] = -1;
      Atomics.store(h.ctl, 0, h.ctl[0] + 1);
      Atomics.notify(h.ctl, 0);
    }
  }
}
