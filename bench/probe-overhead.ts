// Probe overhead: training throughput with the probe observer at the default cadence against probes off,
// measured in the same run on the same data. Rounds alternate (off, on, off, on, ...) so a load change on
// the shared machine hits both sides alike; each side reports the median of its rounds. Throughput is
// given per second of wall clock and per second of this process's CPU time: on a shared, overloaded
// machine the wall clock mostly measures other processes, so the ratio is taken on CPU time (training is
// single-threaded, so CPU time is the time the work itself took). The ratio is the median over the pairs
// of adjacent rounds (off then on) of on/off: each pair ran back to back, so a load change between pairs
// cancels, which a ratio of the two sides' medians does not do. Target: ratio >= 0.97.
// Run: node --import tsx bench/probe-overhead.ts [--cases=<substring>] [--rounds=N] [--every=N]
import * as os from 'node:os';
import { Trainer } from '../src/engine/train/trainer';
import { ProbeObserver } from '../src/engine/probes/observer';
import type { StepContext, TrainingObserver } from '../src/engine/train/observer';
import { DEFAULT_PROBE_EVERY } from '../src/engine/session';
import { benchCases, dataset, modelSpec, type BenchCase } from './cases';
import { summarize, fmtRate } from './stats';

const args = process.argv.slice(2);
const arg = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const filter = arg('cases');
const rounds = Number(arg('rounds') ?? 12);
const every = Number(arg('every') ?? DEFAULT_PROBE_EVERY);
const TARGET = 0.97;

interface Round {
  wall: number;
  cpu: number;
}

/**
 * The probe observer, with the wall time spent inside it counted: the direct measure of its cost. (Process
 * CPU time is no use at this scale: getrusage covers every thread, GC helpers included, and is tick-based.)
 */
class TimedProbes implements TrainingObserver {
  private readonly inner = new ProbeObserver(every, () => undefined);
  ms = 0;
  wants(step: number): boolean {
    return this.inner.wants(step);
  }
  afterBackward(ctx: StepContext): void {
    this.timed(() => this.inner.afterBackward(ctx));
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

/**
 * Trains the same case with probes off and on, one epoch at a time in turns: each trainer pauses at the
 * end of its epoch and resumes the other, so the two never overlap and a long run on each side keeps the
 * cadence (probes on step 1 and every `every` steps) what it is in real training.
 */
async function alternate(c: BenchCase, epochs: number): Promise<{ off: Round[]; on: Round[]; probeShare: number }> {
  const probes = new TimedProbes();
  const make = (observers: TrainingObserver[]) => new Trainer(modelSpec(c), dataset(c.data), { epochs, observers, dtype: 'float32', yieldEveryMs: 0 });
  const sides = [make([]), make([probes])];
  // like the throughput ratio, the direct share leaves out the warm-up epoch (JIT compilation of both sides)
  let onWall = 0;
  let probeMs = 0;
  const rounds: Round[][] = [[], []];
  let wall0 = performance.now();
  let cpu0 = process.cpuUsage();
  sides[1].pause();
  sides.forEach((t, i) =>
    t.on((e) => {
      if (e.type !== 'epoch') return;
      const cpu = process.cpuUsage(cpu0);
      if (i === 1 && rounds[1].length > 0) {
        onWall += performance.now() - wall0;
        probeMs += probes.ms;
      }
      if (i === 1) probes.ms = 0;
      rounds[i].push({ wall: (c.epochSamples * 1000) / (performance.now() - wall0), cpu: (c.epochSamples * 1e6) / (cpu.user + cpu.system) });
      t.pause();
      wall0 = performance.now();
      cpu0 = process.cpuUsage();
      sides[1 - i].resume();
    }),
  );
  await Promise.all(sides.map((t) => t.run()));
  return { off: rounds[0], on: rounds[1], probeShare: probeMs / onWall };
}

async function main(): Promise<void> {
  const cases = benchCases().filter((c) => !filter || c.id.includes(filter));
  console.log(`probe overhead, probes every ${every} steps, ${rounds} alternating rounds per side after one warm-up each, load ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`);
  const ratios: Record<string, number> = {};
  const direct: Record<string, number> = {};
  for (const c of cases) {
    // the first epoch of each side warms up the JIT and the buffers
    const { off, on, probeShare } = await alternate(c, rounds + 1);
    const offRounds = off.slice(1);
    const onRounds = on.slice(1);
    const wallOff = summarize(offRounds.map((r) => r.wall));
    const wallOn = summarize(onRounds.map((r) => r.wall));
    const cpuOff = summarize(offRounds.map((r) => r.cpu));
    const cpuOn = summarize(onRounds.map((r) => r.cpu));
    const paired = (side: (r: Round) => number) => summarize(onRounds.map((r, i) => side(r) / side(offRounds[i]))).median;
    ratios[c.id] = Number(paired((r) => r.cpu).toFixed(3));
    const verdict = ratios[c.id] >= TARGET ? 'ok' : 'BELOW TARGET';
    console.log(`${c.id.padEnd(24)} samples/s per CPU s: off ${fmtRate(cpuOff).padStart(26)}  on ${fmtRate(cpuOn).padStart(26)}  ratio ${ratios[c.id].toFixed(3)} ${verdict}`);
    console.log(`${''.padEnd(24)} samples/s wall clock: off ${fmtRate(wallOff).padStart(26)}  on ${fmtRate(wallOn).padStart(26)}  ratio ${paired((r) => r.wall).toFixed(3)}`);
    // time inside the observer over the probed side's time (measured rounds): what probes cost, free of the A/B split's noise
    direct[c.id] = Number((1 - probeShare).toFixed(3));
    console.log(`${''.padEnd(24)} time inside the probes: ${(probeShare * 100).toFixed(2)} % of the probed run, ratio ${direct[c.id].toFixed(3)} ${direct[c.id] >= TARGET ? 'ok' : 'BELOW TARGET'}`);
  }
  console.log(JSON.stringify({ bench: 'probe-overhead', every, target: TARGET, ratios, direct }));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
