// `npm run bench`: trains the same models on the same generated data with our engine and its peers in one
// session and prints samples/s (median and min–max over rounds after warm-up), achieved GFLOP/s (matrix
// products only, the same count for every engine) and one JSON line of ratios. The machine is shared and
// noisy, so ratios measured in the same run are what count. Options: --cases=<substring>, --no-tfjs-cpu.
import * as os from 'node:os';
import { benchCases, flopsPerSample, type BenchCase } from './cases';
import { oursSession, PROBE_EVERY, type Session } from './ours';
import { tfjsSession, tfjsWasmFeatures } from './tfjs';
import { runTorch, torchInfo, TORCH_INSTALL_HINT } from './torch';
import { fmtRate, summarize, type Summary } from './stats';

interface Row {
  engine: string;
  summary: Summary;
}

const args = process.argv.slice(2);
const filter = args.find((a) => a.startsWith('--cases='))?.slice('--cases='.length);
const withTfjsCpu = !args.includes('--no-tfjs-cpu');

const WARMUP = 2;
const ROUNDS = 6;

/**
 * The in-process engines are measured round-robin (one round of each, ROUNDS times) so a load change on
 * the shared machine hits all of them alike; PyTorch (its own process) and tf.js cpu (a second tf.js
 * backend, too slow to interleave) run once per case in between.
 */
async function measure(c: BenchCase, torch: boolean): Promise<Row[]> {
  const tfWasm = await tfjsSession(c, 'wasm', c.epochSamples);
  const sessions: [string, Session][] = [];
  const ours = await oursSession(c, { probes: false });
  sessions.push([`ours (${ours.label})`, ours]);
  sessions.push([`ours (${ours.label}) + probes/${PROBE_EVERY}`, await oursSession(c, { probes: true })]);
  const two = await oursSession(c, { probes: false, threads: 2 });
  sessions.push([`ours (${two.label})`, two]);
  sessions.push(['ours (js-tiled fallback)', await oursSession(c, { probes: false, kernel: 'js-tiled' })]);
  sessions.push(['tfjs-wasm', { label: 'tfjs-wasm', round: tfWasm.round }]);
  const rates = sessions.map(() => [] as number[]);
  for (let r = 0; r < WARMUP + ROUNDS; r++) {
    for (let s = 0; s < sessions.length; s++) {
      const rate = await sessions[s][1].round();
      if (r >= WARMUP) rates[s].push(rate);
    }
    if (r === WARMUP) rates.push(torch ? runTorch(c, WARMUP, ROUNDS) : []); // mid-run, between rounds
  }
  tfWasm.dispose();
  const rows: Row[] = sessions.map(([engine], s) => ({ engine, summary: summarize(rates[s]) }));
  if (torch) rows.push({ engine: 'pytorch cpu 1 thread', summary: summarize(rates[sessions.length]) });
  if (withTfjsCpu) {
    const cpu = await tfjsSession(c, 'cpu', Math.min(c.epochSamples, 512));
    const cpuRates: number[] = [];
    for (let r = 0; r < 4; r++) {
      const rate = await cpu.round();
      if (r > 0) cpuRates.push(rate);
    }
    cpu.dispose();
    rows.push({ engine: 'tfjs-cpu', summary: summarize(cpuRates) });
  }
  for (const r of rows) console.error(`  ${c.id}  ${r.engine}: ${fmtRate(r.summary)} samples/s`);
  return rows;
}

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

async function main(): Promise<void> {
  const cases = benchCases().filter((c) => !filter || c.id.includes(filter));
  const torch = torchInfo();
  console.log(`NN Debugger bench: ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, Node ${process.version}, load ${os.loadavg()[0].toFixed(2)}`);
  console.log(
    torch
      ? `PyTorch ${torch.version} (1 thread) via /usr/bin/python3, BLAS ${torch.blas}${/openblas|blis|mkl/i.test(torch.blas) ? '' : ' (reference BLAS: install libopenblas0-pthread for a fast PyTorch)'}`
      : `PyTorch column skipped: python3-torch is not installed. Install it with: ${TORCH_INSTALL_HINT}`,
  );
  console.log(await tfjsWasmFeatures());
  const results: { c: BenchCase; rows: Row[] }[] = [];
  for (const c of cases) results.push({ c, rows: await measure(c, torch !== null) });

  console.log('');
  console.log(`${pad('model', 24)} ${pad('engine', 34)} ${pad('samples/s median (min–max)', 30, true)} ${pad('GFLOP/s', 8, true)}`);
  const ratios: Record<string, Record<string, number | null>> = {};
  for (const { c, rows } of results) {
    const f = flopsPerSample(c);
    for (const r of rows) console.log(`${pad(c.id, 24)} ${pad(r.engine, 34)} ${pad(fmtRate(r.summary), 30, true)} ${pad(((r.summary.median * f) / 1e9).toFixed(2), 8, true)}`);
    const med = (prefix: string) => rows.find((r) => r.engine.startsWith(prefix))?.summary.median ?? null;
    // rows: 0 ours, 1 ours + probes, 2 ours on 2 threads, 3 js-tiled, then the peers
    const ours = rows[0].summary.median;
    const ratio = (peer: number | null) => (peer ? Number((ours / peer).toFixed(2)) : null);
    ratios[c.id] = {
      oursOverTfjsWasm: ratio(med('tfjs-wasm')),
      oursOverTfjsCpu: ratio(med('tfjs-cpu')),
      oursOverTorch1t: ratio(med('pytorch')),
      probesCost: Number((1 - rows[1].summary.median / ours).toFixed(3)),
      twoThreadsOverOne: Number((rows[2].summary.median / ours).toFixed(2)),
    };
  }
  const headline = ratios['784-256-256-10 b64'];
  const targets = headline
    ? { tfjsWasm10x: headline.oursOverTfjsWasm !== null ? headline.oursOverTfjsWasm >= 10 : null, torchHalf: headline.oursOverTorch1t !== null ? headline.oursOverTorch1t >= 0.5 : null }
    : null;
  console.log('');
  console.log(`load average at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (${os.cpus().length} cores)`);
  console.log(JSON.stringify({ bench: 'nn-debugger', kernel: results[0]?.rows[0].engine ?? null, torch: torch?.version ?? null, torchBlas: torch?.blas ?? null, targets, ratios }));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
