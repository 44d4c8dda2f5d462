// PyTorch peer through Debian's python3-torch (/usr/bin/python3), in the thread configurations a user would
// try. The data goes to temp files so Python trains on exactly the bytes the other engines see.
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { BenchCase } from './cases';
import { MIN_ROUND_MS, type Session } from './ours';

const PYTHON = '/usr/bin/python3';
export const TORCH_INSTALL_HINT = 'sudo apt-get install -y python3-torch libopenblas0-pthread   (Debian; the bench then adds the PyTorch column, with OpenBLAS as PyTorch users have it)';

/**
 * The torch version and the BLAS library it resolves to (Debian's torch calls whatever libblas.so.3 the
 * alternatives system points at: the slow reference libblas3 unless OpenBLAS/BLIS is installed), or null
 * when python3-torch is not importable.
 */
export function torchInfo(): { version: string; blas: string } | null {
  const probe = 'import os, torch; print(torch.__version__); print(os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3"))';
  const r = spawnSync(PYTHON, ['-c', probe], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  const [version, blas] = r.stdout.trim().split('\n');
  return { version, blas: blas ?? 'unknown' };
}

/**
 * A PyTorch thread configuration: torch's own intra-op threads (torch.set_num_threads, OMP_NUM_THREADS) and
 * the threads of OpenBLAS's pthread pool, which torch's matrix products call (OPENBLAS_NUM_THREADS).
 */
export interface TorchThreads {
  torch: number;
  blas: number;
}

/** The configurations measured: all single-threaded, one torch thread over a multi-threaded OpenBLAS, torch on every core. */
export function torchConfigs(cores: number): TorchThreads[] {
  const all = [{ torch: 1, blas: 1 }, { torch: 1, blas: cores }, { torch: cores, blas: cores }];
  return all.filter((t, i) => all.findIndex((u) => u.torch === t.torch && u.blas === t.blas) === i);
}

export const torchLabel = (t: TorchThreads) => `pytorch ${t.torch} thread${t.torch > 1 ? 's' : ''}, openblas ${t.blas}`;

/**
 * A PyTorch process for one case and thread configuration that trains whole epochs for at least
 * MIN_ROUND_MS per round, so its rounds
 * interleave with the other engines' (a load change on the shared machine then hits every engine alike).
 */
export async function torchSession(c: BenchCase, threads: TorchThreads): Promise<Session & { dispose(): void }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'nn-bench-'));
  const x = path.join(dir, 'x.f32');
  const labels = path.join(dir, 'y.i32');
  writeFileSync(x, c.data.x);
  writeFileSync(labels, c.data.labels);
  const cfg = { x, labels, n: c.data.n, inputs: c.data.inputs, classes: c.data.classes, hidden: c.hidden, batchNorm: c.batchNorm, batch: c.batch, threads: threads.torch };
  const env = { ...process.env, OMP_NUM_THREADS: String(threads.torch), OPENBLAS_NUM_THREADS: String(threads.blas) };
  const child = spawn(PYTHON, [path.join(__dirname, 'torch_bench.py'), JSON.stringify(cfg)], { env, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown>> => {
    const line = await lines.next();
    if (line.done) throw new Error(`${torchLabel(threads)} exited (${c.id})`);
    return JSON.parse(line.value) as Record<string, unknown>;
  };
  await next(); // ready: data loaded, model built
  return {
    label: torchLabel(threads),
    round: async () => {
      child.stdin!.write(`round ${MIN_ROUND_MS / 1000}\n`);
      return (await next()).rate as number;
    },
    dispose: () => {
      child.stdin!.end();
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
