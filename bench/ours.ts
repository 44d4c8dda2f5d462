// Our engine through the real Trainer (shuffle, gather, forward, loss, backward, Adam), one epoch per round,
// optionally with the probe observer at the extension's default cadence.
import { Trainer } from '../src/engine/train/trainer';
import { ProbeObserver } from '../src/engine/probes/observer';
import { type BenchCase, dataset, modelSpec } from './cases';

/** The extension's default `probeEvery` (src/extension/config.ts). */
export const PROBE_EVERY = 10;

export interface OursOptions {
  probes: boolean;
  /** Force a kernel path by name (NN_DEBUGGER_KERNELS), or the default selection when undefined. */
  kernel?: string;
}

export async function runOurs(c: BenchCase, warmup: number, rounds: number, opt: OursOptions): Promise<{ rates: number[]; kernel: string }> {
  const saved = process.env.NN_DEBUGGER_KERNELS;
  if (opt.kernel) process.env.NN_DEBUGGER_KERNELS = opt.kernel;
  try {
    const observers = opt.probes ? [new ProbeObserver(PROBE_EVERY, () => undefined)] : [];
    const trainer = new Trainer(modelSpec(c), dataset(c.data), { epochs: warmup + rounds, observers, dtype: 'float32' });
    const rates: number[] = [];
    trainer.on((e) => {
      if (e.type === 'epoch' && e.metrics.epoch > warmup) rates.push(e.metrics.samplesPerSecond);
      if (e.type === 'non-finite') throw new Error(`${c.id}: non-finite at step ${e.report.step}`);
    });
    await trainer.run();
    return { rates, kernel: trainer.summary().kernel };
  } finally {
    if (saved === undefined) delete process.env.NN_DEBUGGER_KERNELS;
    else process.env.NN_DEBUGGER_KERNELS = saved;
  }
}
