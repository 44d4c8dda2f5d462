// `npm run bench`: trains the same models on the same generated data with our engine and its peers in one
// session and prints samples/s (median and min–max over rounds after warm-up), achieved GFLOP/s (matrix
// products only, the same count for every engine) and one JSON line of the ratios and targets. The
// machine is shared and noisy, so ratios measured in the same run are what count. Options:
// --cases=<substring>[,<substring>...] (the cases whose id contains any), --no-tfjs-cpu, --no-torch-threads (only PyTorch's single-threaded configuration),
// --no-relaxed (measure the runtime's default build: on Node 20 the plain SIMD one). The CNN of issue 12
// (bench/cnn.ts, case id `cnn`) runs last, in its own process; --no-cnn leaves it out.
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { benchCases, flopsPerSample, type BenchCase } from './cases';
import { oursSession, PROBE_EVERY, type Session } from './ours';
import { tfjsSession, tfjsWasmFeatures } from './tfjs';
import { torchConfigs, torchInfo, torchSession, TORCH_INSTALL_HINT } from './torch';
import { fmtRate, summarize, type Summary } from './stats';
import { wasmKernels } from '../src/engine/kernels/select';

interface Row {
  engine: string;
  /** Which measurement the row is, for the ratios. */
  role: 'ours1' | 'oursN' | 'probes' | 'plain1' | 'tiled' | 'tfjsWasm' | 'tfjsCpu' | 'torch1' | 'torchN';
  summary: Summary;
  /** Samples/s of each measured round, in round order. */
  rates: number[];
}

const args = process.argv.slice(2);
const filters = args.find((a) => a.startsWith('--cases='))?.slice('--cases='.length).split(',');
const withTfjsCpu = !args.includes('--no-tfjs-cpu');
const withTorchThreads = !args.includes('--no-torch-threads');
const withCnn = !args.includes('--no-cnn') && (!filters || filters.some((f) => 'cnn'.includes(f)));

const WARMUP = 2;
const ROUNDS = 10;
/**
 * A pause after every round, for every engine: OpenBLAS's threads keep spinning for about 2^28 cycles after
 * their last call (our helpers for a few milliseconds), and a round is well under a second, so without it
 * the next engine in the rotation shares the cores with the previous one's spinning threads.
 */
const SETTLE_MS = 250;
const CORES = os.availableParallelism();

/**
 * The engines are measured round-robin (one round of each, ROUNDS times, each round starting one engine
 * later; PyTorch in its own processes, one per thread configuration, serving rounds) so a load change on the
 * shared machine hits all of them alike;
 * tf.js cpu (a second tf.js backend, too slow to interleave) runs once per case afterwards.
 */
async function measure(c: BenchCase, torch: boolean): Promise<Row[]> {
  const tfWasm = await tfjsSession(c, 'wasm', c.epochSamples);
  const sessions: { engine: string; role: Row['role']; session: Session }[] = [];
  const add = async (role: Row['role'], session: Session, engine = `ours (${session.label})`) => sessions.push({ engine, role, session });
  await add('ours1', await oursSession(c, { probes: false, threads: 1 }));
  const all = await oursSession(c, { probes: false });
  await add('oursN', all);
  await add('probes', await oursSession(c, { probes: true }), `ours (${all.label}) + probes/${PROBE_EVERY}`);
  // The plain-SIMD fallback beside the relaxed build, when the relaxed one is what runs.
  if (wasmKernels(1)?.name === 'wasm-relaxed') await add('plain1', await oursSession(c, { probes: false, kernel: 'wasm-simd', threads: 1 }));
  await add('tiled', await oursSession(c, { probes: false, kernel: 'js-tiled' }), 'ours (js-tiled fallback)');
  await add('tfjsWasm', { label: 'tfjs-wasm', round: tfWasm.round }, 'tfjs-wasm');
  const torches = torch ? await Promise.all((withTorchThreads ? torchConfigs(CORES) : torchConfigs(1)).map(async (t) => ({ t, s: await torchSession(c, t) }))) : [];
  for (const { t, s } of torches) await add(t.torch === 1 && t.blas === 1 ? 'torch1' : 'torchN', s, s.label);
  const rates = sessions.map(() => [] as number[]);
  try {
    for (let r = 0; r < WARMUP + ROUNDS; r++) {
      // each round starts one engine later, so no engine always follows the same one
      for (let i = 0; i < sessions.length; i++) {
        const s = (i + r) % sessions.length;
        const rate = await sessions[s].session.round();
        if (r >= WARMUP) rates[s].push(rate);
        await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      }
    }
  } finally {
    tfWasm.dispose();
    for (const { s } of torches) s.dispose();
  }
  const rows: Row[] = sessions.map(({ engine, role }, s) => ({ engine, role, summary: summarize(rates[s]), rates: rates[s] }));
  if (withTfjsCpu) {
    const cpu = await tfjsSession(c, 'cpu', Math.min(c.epochSamples, 512));
    const cpuRates: number[] = [];
    for (let r = 0; r < 4; r++) {
      const rate = await cpu.round();
      if (r > 0) cpuRates.push(rate);
    }
    cpu.dispose();
    rows.push({ engine: 'tfjs-cpu', role: 'tfjsCpu', summary: summarize(cpuRates), rates: cpuRates });
  }
  for (const r of rows) console.error(`  ${c.id}  ${r.engine}: ${fmtRate(r.summary)} samples/s`);
  return rows;
}

/** The ratios for one case: ours (best of our thread counts) against each peer's best configuration. */
function ratiosOf(rows: Row[]): Record<string, number | null> {
  const med = (role: Row['role']) => {
    const m = rows.filter((r) => r.role === role).map((r) => r.summary.median);
    return m.length ? Math.max(...m) : null;
  };
  const r2 = (v: number | null) => (v === null || !Number.isFinite(v) ? null : Number(v.toFixed(2)));
  const one = med('ours1')!;
  const best = Math.max(one, med('oursN') ?? 0);
  const torch1 = med('torch1');
  const torchBest = Math.max(torch1 ?? 0, med('torchN') ?? 0) || null;
  const over = (a: number, b: number | null) => (b ? a / b : null);
  // Our own configurations against each other: the median of the per-round ratios. They run next to each
  // other in every round, so a round's ratio sees one machine state, where the rates drift between rounds.
  const paired = (a: Row['role'], b: Row['role']) => {
    const ra = rows.find((r) => r.role === a)?.rates;
    const rb = rows.find((r) => r.role === b)?.rates;
    return ra && rb ? summarize(ra.map((x, i) => x / rb[i])).median : null;
  };
  return {
    oursBestOverTorchBest: r2(over(best, torchBest)),
    ours1tOverTorch1t: r2(over(one, torch1)),
    oursBestOverTfjsWasm: r2(over(best, med('tfjsWasm'))),
    oursBestOverTfjsCpu: r2(over(best, med('tfjsCpu'))),
    threadsOverOne: r2(paired('oursN', 'ours1') ?? 1),
    relaxedOverPlain: r2(paired('ours1', 'plain1')),
    probesKeep: Number((paired('probes', 'oursN') ?? NaN).toFixed(3)),
  };
}

/** The targets, each true/false (null when its peer was not measured). */
function targetsOf(ratios: Record<string, Record<string, number | null>>): Record<string, boolean | null> {
  const at = (id: string, key: string) => ratios[id]?.[key] ?? null;
  const atLeast = (v: number | null, min: number) => (v === null ? null : v >= min);
  return {
    'b64 >= 1.0x pytorch best': atLeast(at('784-256-256-10 b64', 'oursBestOverTorchBest'), 1.0),
    'b256 >= 0.7x pytorch best': atLeast(at('784-256-256-10 b256', 'oursBestOverTorchBest'), 0.7),
    'b64 >= 15x tfjs-wasm': atLeast(at('784-256-256-10 b64', 'oursBestOverTfjsWasm'), 15),
    'b256 threads >= 1.7x one thread': CORES >= 2 ? atLeast(at('784-256-256-10 b256', 'threadsOverOne'), 1.7) : null,
    'spiral >= 3x pytorch best': atLeast(at('2-64-64-3 spiral b32', 'oursBestOverTorchBest'), 3),
    'probes keep >= 0.97 (every case)': Object.values(ratios).every((r) => r.probesKeep === null || Number.isNaN(r.probesKeep)) ? null : Object.values(ratios).every((r) => (r.probesKeep ?? 1) >= 0.97),
  };
}

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

/** Node 20 validates relaxed SIMD only under this flag; VS Code's Electron and Node 22+ have it on. */
const RELAXED_FLAG = '--experimental-wasm-relaxed-simd';

async function main(): Promise<void> {
  if (wasmKernels(1)?.name !== 'wasm-relaxed' && !process.execArgv.includes(RELAXED_FLAG) && !args.includes('--no-relaxed')) {
    // Measure the build the extension runs in VS Code: re-run this bench with relaxed SIMD enabled.
    const r = spawnSync(process.execPath, [RELAXED_FLAG, ...process.execArgv, __filename, ...args], { stdio: 'inherit' });
    process.exitCode = r.status ?? 1;
    return;
  }
  const cases = benchCases().filter((c) => !filters || filters.some((f) => c.id.includes(f)));
  const torch = torchInfo();
  console.log(`NN Debugger bench: ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, Node ${process.version}, load ${os.loadavg()[0].toFixed(2)}`);
  console.log(
    torch
      ? `PyTorch ${torch.version} via /usr/bin/python3, BLAS ${torch.blas}${/openblas|blis|mkl/i.test(torch.blas) ? '' : ' (reference BLAS: install libopenblas0-pthread for a fast PyTorch)'}`
      : `PyTorch column skipped: python3-torch is not installed. Install it with: ${TORCH_INSTALL_HINT}`,
  );
  console.log(await tfjsWasmFeatures());
  const results: { c: BenchCase; rows: Row[] }[] = [];
  for (const c of cases) results.push({ c, rows: await measure(c, torch !== null) });

  console.log('');
  console.log(`${pad('model', 24)} ${pad('engine', 40)} ${pad('samples/s median (min–max)', 30, true)} ${pad('GFLOP/s', 8, true)}`);
  const ratios: Record<string, Record<string, number | null>> = {};
  for (const { c, rows } of results) {
    const f = flopsPerSample(c);
    for (const r of rows) console.log(`${pad(c.id, 24)} ${pad(r.engine, 40)} ${pad(fmtRate(r.summary), 30, true)} ${pad(((r.summary.median * f) / 1e9).toFixed(2), 8, true)}`);
    ratios[c.id] = ratiosOf(rows);
  }
  console.log('');
  console.log(`load average at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (${os.cpus().length} cores)`);
  console.log(JSON.stringify({ bench: 'nn-debugger', kernel: results[0]?.rows.find((r) => r.role === 'oursN')?.engine ?? null, torch: torch?.version ?? null, torchBlas: torch?.blas ?? null, targets: targetsOf(ratios), ratios }));
  if (withCnn) {
    console.log('');
    // same runtime flags (tsx, relaxed SIMD), so the CNN measures the build the cases above did
    const r = spawnSync(process.execPath, [...process.execArgv, path.join(__dirname, 'cnn.ts')], { stdio: 'inherit' });
    if (r.status !== 0) process.exitCode = r.status ?? 1;
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
