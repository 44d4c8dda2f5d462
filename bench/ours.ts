// Our engine through the real Trainer (shuffle, gather, forward, loss, backward, Adam), whole epochs per round,
// optionally with the probe observer at the extension's default cadence; bundled, as the extension runs it.
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { DEFAULT_PROBE_EVERY } from '../src/engine/session';
import { type BenchCase, dataset, modelSpec } from './cases';
import { bundledScript } from './bundle';
import type * as Engine from './engine-entry';

let engine: typeof Engine | null = null;

/** The engine bundled once per bench process (bench/engine-entry.ts). */
function bundledEngine(): typeof Engine {
  engine ??= createRequire(__filename)(bundledScript(path.join(__dirname, 'engine-entry.ts'))) as typeof Engine;
  return engine;
}

/** The engine's default cadence, which the extension's `nnDebugger.probeEvery` default matches. */
export const PROBE_EVERY = DEFAULT_PROBE_EVERY;

/**
 * A round trains whole epochs until at least this long (PyTorch's rounds too): an epoch of the spiral or of
 * the MLPs is tens of milliseconds, short enough for one burst of the shared machine's load to decide it.
 */
export const MIN_ROUND_MS = 300;

export interface OursOptions {
  probes: boolean;
  /** Force a kernel path by name (NN_DEBUGGER_KERNELS), or the default selection when undefined. */
  kernel?: string;
  /** Threads for the wasm path (default: the engine's default, every core). */
  threads?: number;
}

function withEnv<T>(vars: Record<string, string | undefined>, run: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const set = (v: Record<string, string | undefined>) => {
    for (const [k, x] of Object.entries(v)) {
      if (x === undefined) Reflect.deleteProperty(process.env, k);
      else process.env[k] = x;
    }
  };
  set(vars);
  return run().finally(() => set(saved));
}

export interface Session {
  /** What actually ran (the kernel path the trainer picked). */
  label: string;
  /** Trains one round (whole epochs, at least MIN_ROUND_MS) and returns its samples/s. */
  round(): Promise<number>;
}

/** A Trainer kept across rounds: each round is more epochs of the same run (weights and Adam state carry on). */
export async function oursSession(c: BenchCase, opt: OursOptions): Promise<Session> {
  const env = { NN_DEBUGGER_KERNELS: opt.kernel ?? process.env.NN_DEBUGGER_KERNELS };
  // The kernel path is chosen when the trainer is built, so the overrides only need to hold for that.
  const { Trainer, ProbeObserver } = bundledEngine();
  const trainer = await withEnv(env, async () => {
    const observers = opt.probes ? [new ProbeObserver(PROBE_EVERY, () => undefined)] : [];
    return new Trainer(modelSpec(c), dataset(c.data), { epochs: 1, observers, dtype: 'float32', threads: opt.threads });
  });
  let ms = 0;
  trainer.on((e) => {
    if (e.type === 'epoch') ms += e.metrics.durationMs;
    if (e.type === 'non-finite') throw new Error(`${c.id}: non-finite at step ${e.report.step}`);
  });
  return {
    label: trainer.summary().kernel,
    round: async () => {
      ms = 0;
      let epochs = 0;
      for (; ms < MIN_ROUND_MS || epochs === 0; epochs++) await trainer.run();
      return (epochs * c.epochSamples * 1000) / ms;
    },
  };
}
