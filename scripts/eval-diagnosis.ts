// Measures how well the diagnosis generalises (issue 11): every broken model of the zoo (test/zoo/broken and
// examples/broken) and every healthy one (test/zoo/healthy and examples/*.nn.json) is trained at its own seed
// and at seeds 1-5, and the findings are scored against the expectation written in the file's first line.
//   npm run eval:diagnosis -- [--only <substring>] [--seeds 1,2] [--json <out file>] [--jobs N] [--from <json file>]
// Each (model, seed) run is one task for a pool of worker processes (this same file with --worker);
// --from prints the report of a run saved with --json again, without training.
import * as fs from 'fs';
import * as path from 'path';
import { fork, type ChildProcess } from 'child_process';
import { TrainingSession, prepareSpec } from '../src/engine/session';
import { applyFix } from '../src/engine/fixes';
import { repairModel } from '../src/engine/repair';
import { readDataFiles } from '../src/cli/data-files';
import type { Finding, Severity } from '../src/engine/types';
import { wasmKernels } from '../src/engine/kernels/select';

const ROOT = path.join(__dirname, '..');
const BROKEN_DIRS = ['test/zoo/broken', 'examples/broken'];
const HEALTHY_DIRS = ['test/zoo/healthy', 'examples'];
/** A task that runs longer than this is recorded as failed (a hung or runaway training). */
const TASK_TIMEOUT_MS = 300_000;

// ---------------------------------------------------------------------------------------------------------
// Expectations, from each file's first line.

interface ModelCase {
  /** Path relative to the repository root. */
  file: string;
  kind: 'broken' | 'healthy';
  /** Broken: the codes that count as naming the problem (the first is the textbook one). */
  codes: string[];
  /** Broken: the layers a correct diagnosis names; [] for a whole-model finding; null when the file does not say. */
  layers: string[] | null;
  seed: number;
}

const BROKEN_HEADER = /^\/\/ BROKEN \(([a-z|-]+)\)(?: layers: ([^:]+))?:/;

export function parseHeader(firstLine: string, file: string): Pick<ModelCase, 'kind' | 'codes' | 'layers'> {
  if (firstLine.startsWith('// HEALTHY')) return { kind: 'healthy', codes: [], layers: [] };
  const m = BROKEN_HEADER.exec(firstLine);
  if (!m) throw new Error(`${file}:1: expected "// BROKEN (<code>[|<code>]) layers: <names or ->: <why>" or "// HEALTHY: <why>"`);
  const names = m[2]?.trim();
  const layers = names === undefined ? null : names === '-' ? [] : names.split(/[\s,]+/).filter(Boolean);
  return { kind: 'broken', codes: m[1].split('|'), layers };
}

function listCases(only: string | null): ModelCase[] {
  const cases: ModelCase[] = [];
  const add = (dir: string, kind: ModelCase['kind']) => {
    const abs = path.join(ROOT, dir);
    if (!fs.existsSync(abs)) return;
    for (const name of fs.readdirSync(abs).filter((f) => f.endsWith('.nn.json')).sort()) {
      const file = path.join(dir, name);
      if (only && !file.includes(only)) continue;
      const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
      const header = kind === 'healthy' && dir === 'examples' ? { kind, codes: [], layers: [] } : parseHeader(text.split('\n')[0], file);
      if (header.kind !== kind) throw new Error(`${file}: a ${header.kind} model in the ${kind} set`);
      cases.push({ file, ...header, seed: prepareSpec(text, file).seed });
    }
  };
  for (const d of BROKEN_DIRS) add(d, 'broken');
  for (const d of HEALTHY_DIRS) add(d, 'healthy');
  return cases;
}

// ---------------------------------------------------------------------------------------------------------
// One training run, in a worker.

interface FindingBrief {
  code: string;
  severity: Severity;
  layer: string | null;
  /** Every layer the finding names (its primary layer and the others it affects). */
  layers: string[];
  preferredFix: string | null;
}

interface RunOutcome {
  findings: FindingBrief[];
  /** Validation accuracy (classification) or loss (regression); null when the run ended non-finite. */
  metric: number | null;
  task: 'classification' | 'regression';
  status: string;
  ms: number;
}

interface FixOutcome {
  fix: string;
  code: string;
  after: RunOutcome | null;
  error: string | null;
}

interface TaskResult {
  file: string;
  seed: number;
  run: RunOutcome | null;
  /** At the file's seed of a broken model: the one-fix repair. */
  fix: FixOutcome | null;
  /** At the file's seed of a broken model, when a repair callback is wired: the repair within rounds. */
  repair: RepairOutcome | null;
  error: string | null;
}

interface RepairOutcome {
  after: RunOutcome | null;
  error: string | null;
}

/**
 * The "repair within rounds" column: turns a model text into the text it ends with after up to `rounds`
 * edits, each proven by retraining (src/engine/repair.ts's repairModel, wired in `worker` below). The eval
 * retrains that text from the same seed and scores it like the one-fix repair.
 */
export type RepairCallback = (modelText: string, modelPath: string, seed: number, rounds: number) => Promise<string>;
/** The rounds the issue allows `repair` (its default). */
const REPAIR_ROUNDS = 4;

interface Task {
  c: ModelCase;
  seed: number;
  withFix: boolean;
}

async function trainText(text: string, file: string, seed: number): Promise<RunOutcome> {
  const t0 = performance.now();
  const files = readDataFiles(prepareSpec(text, file), file);
  const r = await new TrainingSession(text, file, files, { seed, yieldEveryMs: 0 }, {}).run();
  const f = r.summary.final;
  const raw = r.model.task === 'classification' ? f.valAccuracy : f.valLoss;
  return {
    findings: r.findings.map(brief),
    metric: r.summary.status !== 'non-finite' && raw !== null && Number.isFinite(raw) ? raw : null,
    task: r.model.task,
    status: r.summary.status,
    ms: Math.round(performance.now() - t0),
  };
}

function brief(f: Finding): FindingBrief {
  const layers = new Set([...(f.layer ? [f.layer.name] : []), ...f.layers.map((a) => a.layer.name)]);
  return { code: f.code, severity: f.severity, layer: f.layer?.name ?? null, layers: [...layers], preferredFix: f.fixes.find((x) => x.preferred)?.id ?? null };
}

const flagged = (f: FindingBrief) => f.severity !== 'info';
/** The first warning or error whose code names the expected problem (findings come ranked). */
const detection = (run: RunOutcome, codes: string[]) => run.findings.find((f) => flagged(f) && codes.includes(f.code)) ?? null;

async function runTask(task: Task, repair: RepairCallback | null): Promise<TaskResult> {
  const file = path.join(ROOT, task.c.file);
  const text = fs.readFileSync(file, 'utf8');
  const result: TaskResult = { file: task.c.file, seed: task.seed, run: null, fix: null, repair: null, error: null };
  try {
    result.run = await trainText(text, file, task.seed);
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
    return result;
  }
  const hit = task.withFix ? detection(result.run, task.c.codes) : null;
  if (hit?.preferredFix) {
    const fix: FixOutcome = { fix: hit.preferredFix, code: hit.code, after: null, error: null };
    try {
      fix.after = await trainText(applyFix(text, hit.preferredFix), file, task.seed);
    } catch (err) {
      fix.error = err instanceof Error ? err.message : String(err);
    }
    result.fix = fix;
  }
  if (task.withFix && repair) {
    const outcome: RepairOutcome = { after: null, error: null };
    try {
      outcome.after = await trainText(await repair(text, file, task.seed, REPAIR_ROUNDS), file, task.seed);
    } catch (err) {
      outcome.error = err instanceof Error ? err.message : String(err);
    }
    result.repair = outcome;
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------------
// Scoring.

/** Higher is better for accuracy, lower for loss; a non-finite run is worse than any finite one. */
function improved(before: RunOutcome, after: RunOutcome): boolean {
  if (after.metric === null) return false;
  if (before.metric === null) return true;
  return before.task === 'classification' ? after.metric > before.metric : after.metric < before.metric;
}

/** A repair holds when the repaired run no longer warns with that code and its validation metric improved. */
export function repaired(before: RunOutcome, after: RunOutcome, code: string): boolean {
  return !after.findings.some((f) => flagged(f) && f.code === code) && improved(before, after);
}

const baseName = (layer: string) => layer.split('/')[0];

/** Whether the warnings with the expected codes, together, name every expected layer (or the model as a whole). */
function localised(run: RunOutcome, c: ModelCase): boolean | null {
  if (c.layers === null) return null;
  const hits = run.findings.filter((f) => flagged(f) && c.codes.includes(f.code));
  if (c.layers.length === 0) return hits.some((f) => f.layer === null);
  const named = new Set(hits.flatMap((f) => f.layers).map(baseName));
  return c.layers.every((l) => named.has(baseName(l)));
}

const describe = (run: RunOutcome | null) =>
  run ? run.findings.filter(flagged).map((f) => `${f.code}${f.layer ? '@' + f.layer : ''}(${f.severity[0]})`).join(', ') || 'nothing' : 'no run';

const pct = (n: number, d: number) => (d === 0 ? 'n/a' : `${n}/${d} (${Math.round((100 * n) / d)} %)`);
const fmtMetric = (r: RunOutcome | null) => (!r ? '-' : r.metric === null ? 'non-finite' : r.task === 'classification' ? `acc ${r.metric.toFixed(3)}` : `loss ${r.metric.toPrecision(3)}`);

/** Counts over one set of models (the zoo, the examples, or both). */
interface Tally {
  detectedAtFileSeed: Fraction;
  detectedOverSeeds: Fraction;
  localised: Fraction;
  oneFixRepair: Fraction;
  /** Only over runs where a repair callback was wired. */
  repairWithinRounds: Fraction;
  healthyAlarmsAtFileSeed: Fraction;
  healthyErrorsOverSeeds: Fraction;
  healthyWarningsOverSeeds: Fraction;
}

interface Fraction {
  n: number;
  of: number;
}

type Lookup = (c: ModelCase, seed: number) => TaskResult | undefined;

/** The worst severity among a run's findings, counting info as none. */
function worstAlarm(run: RunOutcome | null | undefined): 'error' | 'warning' | null {
  if (run?.findings.some((f) => f.severity === 'error')) return 'error';
  return run?.findings.some(flagged) ? 'warning' : null;
}

function fixHeld(r: TaskResult | undefined): boolean {
  return !!(r?.run && r.fix?.after && repaired(r.run, r.fix.after, r.fix.code));
}

/** Repaired within rounds: no expected code is flagged any more and the validation metric improved. */
function repairHeld(r: TaskResult, codes: string[]): boolean {
  const after = r.repair?.after;
  return !!(r.run && after && !after.findings.some((f) => flagged(f) && codes.includes(f.code)) && improved(r.run, after));
}

function tally(cases: ModelCase[], at: Lookup, seeds: number[]): Tally {
  const f = (): Fraction => ({ n: 0, of: 0 });
  const t: Tally = { detectedAtFileSeed: f(), detectedOverSeeds: f(), localised: f(), oneFixRepair: f(), repairWithinRounds: f(), healthyAlarmsAtFileSeed: f(), healthyErrorsOverSeeds: f(), healthyWarningsOverSeeds: f() };
  const count = (x: Fraction, hit: boolean) => {
    x.of++;
    if (hit) x.n++;
  };
  for (const c of cases) {
    const own = at(c, c.seed);
    if (c.kind === 'broken') {
      const detected = !!own?.run && detection(own.run, c.codes) !== null;
      count(t.detectedAtFileSeed, detected);
      const loc = detected ? localised(own!.run!, c) : null;
      if (loc !== null) count(t.localised, loc);
      count(t.oneFixRepair, fixHeld(own));
      if (own?.repair) count(t.repairWithinRounds, repairHeld(own, c.codes));
      for (const s of seeds) {
        const r = at(c, s)?.run;
        count(t.detectedOverSeeds, !!r && detection(r, c.codes) !== null);
      }
    } else {
      count(t.healthyAlarmsAtFileSeed, worstAlarm(own?.run) !== null);
      for (const s of seeds) {
        const worst = worstAlarm(at(c, s)?.run);
        count(t.healthyErrorsOverSeeds, worst === 'error');
        count(t.healthyWarningsOverSeeds, worst === 'warning');
      }
    }
  }
  return t;
}

interface Report {
  lines: string[];
  tallies: Record<string, Tally>;
}

function score(cases: ModelCase[], results: TaskResult[], seeds: number[]): Report {
  const lines: string[] = [];
  const out = (s = '') => lines.push(s);
  const at: Lookup = (c, seed) => results.find((r) => r.file === c.file && r.seed === seed);
  const sets: Record<string, ModelCase[]> = {
    'zoo (test/zoo)': cases.filter((c) => c.file.startsWith('test/')),
    examples: cases.filter((c) => c.file.startsWith('examples/')),
    all: cases,
  };
  const tallies: Record<string, Tally> = {};
  for (const [name, set] of Object.entries(sets)) tallies[name] = tally(set, at, seeds);
  const broken = cases.filter((c) => c.kind === 'broken');
  const healthy = cases.filter((c) => c.kind === 'healthy');
  const s = seeds.join(',');
  const rows: [keyof Tally, string][] = [
    ['detectedAtFileSeed', "broken models detected (a warning/error with an expected code), file's seed"],
    ['detectedOverSeeds', `broken runs detected at seeds ${s}`],
    ['localised', "detections naming the expected layers (or the whole model), file's seed"],
    ['oneFixRepair', 'preferred fix applied once: finding cleared and validation metric improved'],
    ['repairWithinRounds', `repair within ${REPAIR_ROUNDS} rounds: expected findings cleared and validation metric improved`],
    ['healthyAlarmsAtFileSeed', "healthy models with a warning or error, file's seed"],
    ['healthyErrorsOverSeeds', `healthy runs with an error, seeds ${s}`],
    ['healthyWarningsOverSeeds', `healthy runs whose worst finding is a warning, seeds ${s}`],
  ];
  out(`Diagnosis evaluation: ${broken.length} broken and ${healthy.length} healthy models, at each file's seed and seeds ${s}`);
  out();
  out(`| measured | ${Object.keys(sets).join(' | ')} |`);
  out(`|---|${Object.keys(sets).map(() => '---').join('|')}|`);
  for (const [key, label] of rows) out(`| ${label} | ${Object.values(tallies).map((t) => pct(t[key].n, t[key].of)).join(' | ')} |`);
  if (!results.some((r) => r.repair)) out(`(repair within rounds: not measured, no repair callback is wired in \`worker\`)`);

  out();
  out("By expected code (models; detected at the file's seed; detected over seeds; one-fix repaired; repaired within rounds):");
  const codes = [...new Set(broken.map((c) => c.codes[0]))].sort();
  for (const code of codes) {
    const t = tally(broken.filter((c) => c.codes[0] === code), at, seeds);
    const n = t.detectedAtFileSeed.of;
    const rounds = t.repairWithinRounds.of ? `  rounds ${t.repairWithinRounds.n}/${t.repairWithinRounds.of}` : '';
    out(`  ${code.padEnd(22)} ${String(n).padStart(3)}  det ${t.detectedAtFileSeed.n}/${n}  seeds ${t.detectedOverSeeds.n}/${t.detectedOverSeeds.of}  fix ${t.oneFixRepair.n}/${n}${rounds}`);
  }

  const misses: string[] = [];
  const seedMisses: string[] = [];
  const fixFails: string[] = [];
  const repairFails: string[] = [];
  const alarms: string[] = [];
  for (const c of broken) {
    const own = at(c, c.seed);
    const run = own?.run ?? null;
    const hit = run ? detection(run, c.codes) : null;
    if (!hit) misses.push(`  ${c.file}: expected ${c.codes.join('|')}, found ${own?.error ? 'error: ' + own.error : describe(run)}`);
    else if (localised(run!, c) === false) misses.push(`  ${c.file}: ${c.codes.join('|')} found, but not on ${c.layers!.join(', ') || 'the whole model'}: ${describe(run)}`);
    const fx = own?.fix;
    if (hit && !fixHeld(own)) {
      const why = !fx ? 'no preferred fix' : fx.error ? `error: ${fx.error}` : `${fmtMetric(run)} -> ${fmtMetric(fx.after)}; after: ${describe(fx.after)}`;
      fixFails.push(`  ${c.file}: ${fx?.fix ?? hit.code}: ${why}`);
    }
    if (own?.repair && !repairHeld(own, c.codes)) {
      const after = own.repair.after;
      repairFails.push(`  ${c.file}: ${own.repair.error ? 'error: ' + own.repair.error : `${fmtMetric(run)} -> ${fmtMetric(after)}; after: ${describe(after)}`}`);
    }
    for (const seed of seeds) {
      const r = at(c, seed);
      if (!r?.run || !detection(r.run, c.codes)) seedMisses.push(`  ${c.file} seed ${seed}: expected ${c.codes.join('|')}, found ${r?.error ? 'error: ' + r.error : describe(r?.run ?? null)}`);
    }
  }
  const metrics: string[] = [];
  for (const c of healthy) {
    metrics.push(`${path.basename(c.file, '.nn.json')} ${fmtMetric(at(c, c.seed)?.run ?? null)}`);
    for (const seed of new Set([c.seed, ...seeds])) {
      const r = at(c, seed);
      if (r?.error) alarms.push(`  ${c.file} seed ${seed}: error: ${r.error}`);
      else if (worstAlarm(r?.run)) alarms.push(`  ${c.file} seed ${seed}${seed === c.seed ? " (file's)" : ''}: ${describe(r!.run)}`);
    }
  }
  const section = (title: string, items: string[]) => {
    out();
    out(`${title}: ${items.length}`);
    for (const i of items) out(i);
  };
  section("Misses at the file's seed (expected -> found instead)", misses);
  section(`Misses at seeds ${s}`, seedMisses);
  section('One-fix repairs that did not hold', fixFails);
  if (results.some((r) => r.repair)) section(`Repairs within ${REPAIR_ROUNDS} rounds that did not hold`, repairFails);
  section('False alarms on healthy models', alarms);
  out();
  out(`Healthy models' validation metric at the file's seed: ${metrics.join('; ')}`);
  return { lines, tallies };
}

// ---------------------------------------------------------------------------------------------------------
// Worker pool.

/**
 * The engine's wasm memory is a bump allocator meant for one model per process (1 GiB, never freed): a
 * worker reports what each task took and what is left, and retires before a task that may not fit: a plain
 * run needs twice the largest task so far, a repairing one its trainings times what its model took at another
 * seed. The task cap bounds the JS heap as well.
 */
const TASKS_PER_WORKER = 20;

/** Trainings a repairing task runs at most: the run, the one fix, the repair's first run, one per round, its last run, and the eval's retraining of what it kept. */
const TRAININGS_PER_REPAIR_TASK = REPAIR_ROUNDS + 5;

/** What a worker sends back: the task's result, the wasm memory it took and what is still free (null without wasm). */
interface WorkerReply {
  result: TaskResult;
  heap: { usedByTask: number; remaining: number } | null;
}

function runPool(tasks: Task[], jobs: number, onDone: (r: TaskResult, done: number) => void): Promise<TaskResult[]> {
  return new Promise((resolve) => {
    const results: TaskResult[] = [];
    let next = 0;
    let live = 0;
    const start = () => {
      const child: ChildProcess = fork(__filename, ['--worker'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      live++;
      let current: Task | null = null;
      let timer: NodeJS.Timeout | null = null;
      let handled = 0;
      let heapLeft: number | null = null;
      let largestTaskBytes = 0;
      let lastPlain: { c: ModelCase; bytes: number } | null = null;
      const finish = ({ result: r, heap }: WorkerReply) => {
        if (heap) {
          largestTaskBytes = Math.max(largestTaskBytes, heap.usedByTask);
          heapLeft = heap.remaining;
          if (current && !current.withFix) lastPlain = { c: current.c, bytes: heap.usedByTask };
        }
        if (timer) clearTimeout(timer);
        results.push(r);
        onDone(r, results.length);
        current = null;
        feed();
      };
      // a task that repairs trains its model up to TRAININGS_PER_REPAIR_TASK times; a plain run of the same
      // model (at another seed) says how much one training takes, else it gets a fresh worker
      const heapNeeded = (task: Task | undefined) =>
        !task?.withFix ? 2 * largestTaskBytes : lastPlain?.c === task.c ? TRAININGS_PER_REPAIR_TASK * lastPlain.bytes : Infinity;
      const feed = () => {
        if (next >= tasks.length || handled === TASKS_PER_WORKER || (heapLeft !== null && heapLeft < heapNeeded(tasks[next]))) {
          child.kill();
          return;
        }
        handled++;
        current = tasks[next++];
        timer = setTimeout(() => child.kill(), TASK_TIMEOUT_MS);
        child.send(current);
      };
      child.on('message', (reply: WorkerReply) => finish(reply));
      child.on('exit', () => {
        live--;
        if (current) {
          // the worker died or timed out on this task: record it and carry on with a fresh worker
          const t = current;
          if (timer) clearTimeout(timer);
          results.push({ file: t.c.file, seed: t.seed, run: null, fix: null, repair: null, error: 'worker exited (crash or timeout)' });
          onDone(results[results.length - 1], results.length);
          current = null;
        }
        // a crashed, timed-out or retired worker hands the remaining tasks to a fresh one
        if (next < tasks.length) start();
        else if (live === 0) resolve(results);
      });
      feed();
    };
    for (let i = 0; i < Math.min(jobs, tasks.length); i++) start();
    if (tasks.length === 0) resolve(results);
  });
}

/** Runs tasks sent by the pool; `repair`, when given, fills the repair-within-rounds column. */
function worker(repair: RepairCallback | null): void {
  process.on('message', (task: Task) => {
    const heap = wasmKernels()?.heap ?? null;
    const before = heap?.remainingBytes ?? 0;
    void runTask(task, repair).then((result) => {
      const reply: WorkerReply = { result, heap: heap ? { usedByTask: before - heap.remainingBytes, remaining: heap.remainingBytes } : null };
      process.send!(reply);
    });
  });
}

// ---------------------------------------------------------------------------------------------------------
// Command line.

interface Options {
  only: string | null;
  from: string | null;
  seeds: number[];
  json: string | null;
  jobs: number;
}

function parseOptions(argv: string[]): Options {
  const o: Options = { only: null, from: null, seeds: [1, 2, 3, 4, 5], json: null, jobs: 2 };
  for (let i = 0; i < argv.length; i++) {
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${argv[i - 1]} needs a value`);
      return v;
    };
    const a = argv[i];
    if (a === '--only') o.only = value();
    else if (a === '--json') o.json = value();
    else if (a === '--from') o.from = value();
    else if (a === '--seeds') {
      o.seeds = value().split(',').filter(Boolean).map(Number);
      if (o.seeds.some((s) => !Number.isInteger(s) || s < 0)) throw new Error('--seeds takes a comma-separated list of non-negative integers');
    } else if (a === '--jobs') {
      o.jobs = Number(value());
      if (!Number.isInteger(o.jobs) || o.jobs < 1) throw new Error('--jobs takes a positive integer');
    } else throw new Error(`unknown option ${a} (options: --only <substring>, --seeds 1,2, --json <out file>, --jobs N, --from <json file>)`);
  }
  return o;
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  if (opts.from) {
    const saved = JSON.parse(fs.readFileSync(opts.from, 'utf8')) as { options: Options; cases: ModelCase[]; results: TaskResult[] };
    const cases = saved.cases.filter((c) => !opts.only || c.file.includes(opts.only));
    process.stdout.write(score(cases, saved.results, saved.options.seeds).lines.join('\n') + '\n');
    return;
  }
  const cases = listCases(opts.only);
  const tasks: Task[] = [];
  for (const c of cases) {
    // the plain runs first: what they take of the wasm heap tells the pool what the repairing run will need
    for (const s of opts.seeds) if (s !== c.seed) tasks.push({ c, seed: s, withFix: false });
    tasks.push({ c, seed: c.seed, withFix: c.kind === 'broken' });
  }
  const t0 = Date.now();
  process.stderr.write(`${cases.length} models, ${tasks.length} tasks, ${opts.jobs} workers\n`);
  const results = await runPool(tasks, opts.jobs, (r, done) => {
    const info = r.error ? `error: ${r.error}` : describe(r.run);
    process.stderr.write(`[${done}/${tasks.length}] ${r.file} seed ${r.seed}: ${fmtMetric(r.run)} ${r.run?.ms ?? '-'} ms; ${info}\n`);
  });
  // a seed equal to the file's own is run once and counts for both
  const report = score(cases, results, opts.seeds);
  process.stdout.write(report.lines.join('\n') + `\n\n(${Math.round((Date.now() - t0) / 1000)} s)\n`);
  if (opts.json) fs.writeFileSync(opts.json, JSON.stringify({ options: opts, tallies: report.tallies, cases, results }, null, 1));
}

const repairText: RepairCallback = (t, p, seed, rounds) => repairModel(t, p, readDataFiles(prepareSpec(t, p), p), { seed, rounds }).then((r) => r.text);

if (process.argv.includes('--worker')) worker(repairText);
else if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`eval-diagnosis: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  });
}
