// Probe overhead: training throughput with the probe observer at the default cadence against probes off,
// measured in the same run on the same data. Rounds alternate (off, on, off, on, ...) so a load change on
// the shared machine hits both sides alike; each side reports the median of its rounds. Throughput is
// given per second of wall clock and per second of this process's CPU time: on a shared, overloaded
// machine the wall clock mostly measures other processes, so the ratio is taken on CPU time. That counts
// every thread: training runs on two here, and the helper polls for its next job between jobs (a probe
// included) rather than sleeping, so CPU time runs at about twice the wall clock with probes on and off
// alike. The ratio is the median over the pairs
// of adjacent rounds (off then on) of on/off: each pair ran back to back, so a load change between pairs
// cancels, which a ratio of the two sides' medians does not do. A round is as many epochs as take about
// --round-ms (one epoch of a small model is too short to time steadily). Target: ratio >= 0.97. The dense
// cases of bench/cases.ts and the bench CNN (bench/cnn-spec.ts, on its 2 048 bundled digits) are measured,
// each in a child running this script bundled as the extension's code is (bench/bundle.ts).
// Run: node --import tsx bench/probe-overhead.ts [--cases=<substring>] [--rounds=N] [--every=N] [--round-ms=N]
import * as os from 'node:os';
import { spawnSync } from 'node:child_process';
import { Trainer } from '../src/engine/train/trainer';
import { ProbeObserver } from '../src/engine/probes/observer';
import type { StepContext, TrainingObserver } from '../src/engine/train/observer';
import type { Layer } from '../src/engine/layers/layer';
import type { Kernels } from '../src/engine/kernels/kernels';
import { DEFAULT_PROBE_EVERY } from '../src/engine/session';
import type { ModelSpec } from '../src/engine/spec/model-spec';
import type { Dataset } from '../src/engine/data/dataset';
import { loadDataset } from '../src/engine/data/load';
import { benchCases, dataset, modelSpec } from './cases';
import { cnnBenchSpec } from './cnn-spec';
import { summarize, fmtRate } from './stats';
import { bundledScript } from './bundle';

const args = process.argv.slice(2);
const arg = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const filter = arg('cases');
const rounds = Number(arg('rounds') ?? 12);
const every = Number(arg('every') ?? DEFAULT_PROBE_EVERY);
const roundMs = Number(arg('round-ms') ?? 250);
const TARGET = 0.97;

/** A model to train with probes off and on; its data is built when first asked for (in the case's own process). */
interface ProbeCase {
  id: string;
  spec: ModelSpec;
  data: () => Dataset;
}

function probeCases(): ProbeCase[] {
  const dense = benchCases().map((c) => ({ id: c.id, spec: modelSpec(c), data: () => dataset(c.data) }));
  const cnn = cnnBenchSpec(1);
  let digits: Dataset | null = null;
  return [...dense, { id: 'cnn b64', spec: cnn, data: () => (digits ??= loadDataset(cnn, {})) }];
}

interface Round {
  wall: number;
  cpu: number;
}

/**
 * The probe observer, with the wall time spent inside it counted: the direct measure of its cost. (Process
 * CPU time is no use at this scale: getrusage covers every thread, GC helpers included, and is tick-based.)
 */
class TimedProbes implements TrainingObserver {
  private readonly inner = new ProbeObserver(every, () => this.probes++);
  ms = 0;
  probes = 0;
  wants(step: number): boolean {
    return this.inner.wants(step);
  }
  // counted in full, though on two threads it runs beside the step's first product (duringUpdate beside
  // the update): an upper bound
  beforeStep(step: number, layers: readonly Layer[], kernels: Kernels): void {
    this.timed(() => this.inner.beforeStep(step, layers, kernels));
  }
  afterBackward(ctx: StepContext): void {
    this.timed(() => this.inner.afterBackward(ctx));
  }
  duringUpdate(ctx: StepContext): void {
    this.timed(() => this.inner.duringUpdate(ctx));
  }
  afterUpdate(ctx: StepContext): void {
    this.timed(() => this.inner.afterUpdate(ctx));
  }
  onStep(ctx: StepContext): void {
    this.inner.onStep(ctx);
  }
  private timed(f: () => void): void {
    const t = performance.now();
    f();
    this.ms += performance.now() - t;
  }
}

/** Wall time of one warm epoch without probes (the second of two), to size the rounds. */
async function warmEpochMs(c: ProbeCase): Promise<number> {
  const t = new Trainer(c.spec, c.data(), { epochs: 2, observers: [], dtype: 'float32', yieldEveryMs: 0 });
  let last = 0;
  let start = performance.now();
  t.on((e) => {
    if (e.type !== 'epoch') return;
    last = performance.now() - start;
    start = performance.now();
  });
  await t.run();
  return last;
}

/**
 * Trains the same case with probes off and on, `perRound` epochs at a time in turns: each trainer pauses at
 * the end of its round and resumes the other, so the two never overlap and a long run on each side keeps
 * the cadence (probes on step 1 and every `every` steps) what it is in real training.
 */
async function alternate(c: ProbeCase, roundCount: number, perRound: number): Promise<{ off: Round[]; on: Round[]; probeShare: number; msPerProbe: number }> {
  const probes = new TimedProbes();
  const make = (observers: TrainingObserver[]) => new Trainer(c.spec, c.data(), { epochs: roundCount * perRound, observers, dtype: 'float32', yieldEveryMs: 0 });
  const sides = [make([]), make([probes])];
  const epochSamples = c.data().train.n;
  // like the throughput ratio, the direct share leaves out the warm-up round (JIT compilation of both sides)
  let onWall = 0;
  let probeMs = 0;
  let probeCount = 0;
  const rounds: Round[][] = [[], []];
  let wall0 = performance.now();
  let cpu0 = process.cpuUsage();
  const epochsDone = [0, 0];
  sides[1].pause();
  sides.forEach((t, i) =>
    t.on((e) => {
      if (e.type !== 'epoch' || ++epochsDone[i] % perRound !== 0) return;
      const cpu = process.cpuUsage(cpu0);
      if (i === 1 && rounds[1].length > 0) {
        onWall += performance.now() - wall0;
        probeMs += probes.ms;
        probeCount += probes.probes;
      }
      if (i === 1) {
        probes.ms = 0;
        probes.probes = 0;
      }
      const samples = epochSamples * perRound;
      rounds[i].push({ wall: (samples * 1000) / (performance.now() - wall0), cpu: (samples * 1e6) / (cpu.user + cpu.system) });
      t.pause();
      wall0 = performance.now();
      cpu0 = process.cpuUsage();
      sides[1 - i].resume();
    }),
  );
  await Promise.all(sides.map((t) => t.run()));
  return { off: rounds[0], on: rounds[1], probeShare: probeMs / onWall, msPerProbe: probeMs / Math.max(1, probeCount) };
}

/** Measures one case in this process and prints its lines; returns its two ratios. */
async function measure(c: ProbeCase): Promise<{ ratio: number; direct: number }> {
  // the first round of each side warms up the JIT and the buffers
  const perRound = Math.max(1, Math.round(roundMs / (await warmEpochMs(c))));
  const { off, on, probeShare, msPerProbe } = await alternate(c, rounds + 1, perRound);
  const offRounds = off.slice(1);
  const onRounds = on.slice(1);
  const wallOff = summarize(offRounds.map((r) => r.wall));
  const wallOn = summarize(onRounds.map((r) => r.wall));
  const cpuOff = summarize(offRounds.map((r) => r.cpu));
  const cpuOn = summarize(onRounds.map((r) => r.cpu));
  const paired = (side: (r: Round) => number) => summarize(onRounds.map((r, i) => side(r) / side(offRounds[i]))).median;
  const ratio = Number(paired((r) => r.cpu).toFixed(3));
  const verdict = ratio >= TARGET ? 'ok' : 'BELOW TARGET';
  console.log(`${c.id.padEnd(24)} samples/s per CPU s: off ${fmtRate(cpuOff).padStart(26)}  on ${fmtRate(cpuOn).padStart(26)}  ratio ${ratio.toFixed(3)} ${verdict}`);
  console.log(`${''.padEnd(24)} samples/s wall clock: off ${fmtRate(wallOff).padStart(26)}  on ${fmtRate(wallOn).padStart(26)}  ratio ${paired((r) => r.wall).toFixed(3)}`);
  // time inside the observer over the probed side's time (measured rounds): what probes cost, free of the A/B split's noise
  const direct = Number((1 - probeShare).toFixed(3));
  console.log(`${''.padEnd(24)} time inside the probes: ${msPerProbe.toFixed(2)} ms per probe, ${(probeShare * 100).toFixed(2)} % of the probed run, ratio ${direct.toFixed(3)} ${direct >= TARGET ? 'ok' : 'BELOW TARGET'}`);
  return { ratio, direct };
}

const RESULT = 'probe-overhead-case ';

/**
 * Each case runs in a child process of its own: the wasm heap and the JS heap of earlier cases (never freed
 * within a process) would otherwise weigh on the garbage collection and the caches of later ones.
 */
async function main(): Promise<void> {
  const only = arg('case-index');
  const all = probeCases();
  if (only !== undefined) {
    const c = all[Number(only)];
    console.log(RESULT + JSON.stringify({ id: c.id, ...(await measure(c)) }));
    return;
  }
  console.log(`probe overhead, probes every ${every} steps, ${rounds} alternating rounds of about ${roundMs} ms per side after one warm-up each, one process per case, load ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`);
  const ratios: Record<string, number> = {};
  const direct: Record<string, number> = {};
  const script = bundledScript(__filename);
  for (let i = 0; i < all.length; i++) {
    if (filter && !all[i].id.includes(filter)) continue;
    const child = spawnSync(process.execPath, [script, ...args, `--case-index=${i}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (child.status !== 0) throw new Error(`case ${all[i].id} failed (exit ${child.status})`);
    for (const line of child.stdout.trimEnd().split('\n')) {
      if (!line.startsWith(RESULT)) {
        console.log(line);
        continue;
      }
      const r = JSON.parse(line.slice(RESULT.length)) as { id: string; ratio: number; direct: number };
      ratios[r.id] = r.ratio;
      direct[r.id] = r.direct;
    }
  }
  console.log(JSON.stringify({ bench: 'probe-overhead', every, target: TARGET, ratios, direct }));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
