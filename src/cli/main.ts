// `nn-debugger`: train a model headless and report its gradient health, check it statically, or apply a
// fix to the file, or repair it by retrained fixes. Exit codes: 0 no error-level finding, 1 error-level findings, 2 invalid model or usage.
import * as fs from 'fs';
import { parseArgs, UsageError, USAGE, type Command } from './args';
import { positioned } from './positions';
import { createLoadProgress, createProgress } from './progress';
import { findingsText, layerTable, summaryLine } from './report';
import { jsonFindings, jsonReport, layerScales } from '../engine/report-json';
import { readDataFiles } from './data-files';
import { TrainingSession, checkModel, prepareSpec } from '../engine/session';
import { applyFix, computeFixEdits, FixError } from '../engine/fixes';
import { runExport } from './export';
import { parseModel } from '../engine/spec/parse';
import { attemptText, DEFAULT_REPAIR_ROUNDS, metricName, metricText, repairModel } from '../engine/repair';
import { diagnoseCommand } from './diagnose';
import { RecordedStreamError } from '../engine/recorded/stream';
import type { Finding } from '../engine/types';

const out = (s: string) => process.stdout.write(s + '\n');

/** Exit code for findings: 1 when any is an error. */
const codeFor = (findings: Finding[]) => (findings.some((f) => f.severity === 'error') ? 1 : 0);

function readModel(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

async function train(cmd: Extract<Command, { name: 'train' }>): Promise<number> {
  const text = readModel(cmd.model);
  const spec = prepareSpec(text, cmd.model, { epochs: cmd.epochs ?? undefined, seed: cmd.seed ?? undefined });
  const progressStream = cmd.json ? process.stderr : process.stdout;
  const loading = createLoadProgress(progressStream, spec.data.source, !cmd.json || process.stderr.isTTY === true);
  const files = readDataFiles(spec, cmd.model, loading.update);
  const steps = Math.ceil((spec.data.samples || 1) * (1 - spec.data.validationSplit) / spec.batchSize);
  const progress = createProgress(progressStream, spec.epochs, steps, !cmd.json || process.stderr.isTTY === true);
  const session = new TrainingSession(text, cmd.model, files, {
    probeEvery: cmd.probes ? undefined : 0,
    epochs: cmd.epochs ?? undefined,
    seed: cmd.seed ?? undefined,
    threads: cmd.threads ?? undefined,
    yieldEveryMs: 50,
  }, {
    // The kernel path is picked automatically; say which one on the progress stream (stderr under --json).
    onStart: (model) => progressStream.write(`${model.name}: ${model.paramCount} parameters, ${model.kernel} kernels, ${model.dtype}\n`),
    onStep: (m) => progress.step(m),
    onEpoch: (m) => progress.epoch(m),
  });
  const onSignal = () => session.stop();
  process.once('SIGINT', onSignal);
  const result = await session.run().finally(() => loading.done());
  process.removeListener('SIGINT', onSignal);
  progress.done();
  if (cmd.json) {
    out(JSON.stringify(jsonReport(cmd.model, result.summary, result.findings, layerScales(result.model, result.probes))));
  } else {
    out('');
    out(`${result.model.name}: ${summaryLine(result.summary)}`);
    out('');
    out(cmd.probes ? layerTable(result.model, result.probes, result.findings) : '(probes off: no per-layer statistics; rules that need them were skipped)');
    out('');
    out(findingsText(result.findings, cmd.model));
  }
  return codeFor(result.findings);
}

function check(cmd: Extract<Command, { name: 'check' }>): number {
  const text = readModel(cmd.model);
  const spec = prepareSpec(text, cmd.model);
  const loading = createLoadProgress(process.stderr, spec.data.source, true);
  let findings: Finding[];
  try {
    findings = checkModel(text, cmd.model, readDataFiles(spec, cmd.model, loading.update)).findings;
  } finally {
    loading.done();
  }
  const warnings = parseModel(text, cmd.model).issues.filter((i) => i.severity === 'warning');
  for (const w of warnings) process.stderr.write(positioned(cmd.model, text, w) + '\n');
  if (cmd.json) out(JSON.stringify({ model: cmd.model, valid: true, findings: jsonFindings(findings) }));
  else out(`${cmd.model}: valid model "${spec.name}"\n${findingsText(findings, cmd.model)}`);
  return codeFor(findings);
}

function fix(cmd: Extract<Command, { name: 'fix' }>): number {
  const text = readModel(cmd.model);
  const before = parseModel(text, cmd.model);
  const edits = computeFixEdits(text, cmd.apply);
  const next = applyFix(text, cmd.apply);
  const after = parseModel(next, cmd.model);
  // never write a file that the fix made invalid
  if (before.ok && !after.ok) {
    for (const i of after.issues.filter((x) => x.severity === 'error')) process.stderr.write(positioned(cmd.model, next, i) + '\n');
    throw new FixError(`applying ${cmd.apply} would make the model invalid; nothing written`);
  }
  const target = cmd.out ?? cmd.model;
  fs.writeFileSync(target, next);
  if (edits.length === 0) {
    out(`${cmd.apply}: already applied, ${target} unchanged`);
    return 0;
  }
  out(`${cmd.apply}: wrote ${target}`);
  for (const e of edits) {
    const line = text.slice(0, e.offset).split('\n').length;
    const oldLines = lineSpan(text, e.offset, e.offset + e.length);
    const newLines = lineSpan(next, e.offset, e.offset + e.content.length);
    out(`@@ line ${line}`);
    for (const l of oldLines) out(`- ${l}`);
    for (const l of newLines) out(`+ ${l}`);
  }
  return 0;
}

/**
 * Trains, repairs by retrained fixes, prints the path and writes the kept edits (to --out, or in place: an
 * explicit command, like fix --apply). Ctrl-C stops the training under way and still writes what was kept.
 */
async function repair(cmd: Extract<Command, { name: 'repair' }>): Promise<number> {
  const text = readModel(cmd.model);
  const spec = prepareSpec(text, cmd.model, { epochs: cmd.epochs ?? undefined, seed: cmd.seed ?? undefined });
  const files = readDataFiles(spec, cmd.model);
  const log = (s: string) => (cmd.json ? process.stderr : process.stdout).write(s + '\n');
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  const rounds = cmd.rounds ?? DEFAULT_REPAIR_ROUNDS;
  const result = await repairModel(text, cmd.model, files, {
    rounds, epochs: cmd.epochs ?? undefined, seed: cmd.seed ?? undefined, threads: cmd.threads ?? undefined, signal: abort.signal,
    onRound: (e) => {
      if (e.type === 'baseline') log(`${spec.name}: training the model as it is (seed ${spec.seed}, ${spec.epochs} epochs)...`);
      else if (e.type === 'result') log(attemptText(e.attempt, e.rounds, e.metric));
    },
  }).finally(() => process.removeListener('SIGINT', onSignal));
  const kept = result.attempts.filter((a) => a.kept);
  const target = cmd.out ?? cmd.model;
  const write = kept.length > 0 || cmd.out !== null;
  if (write) fs.writeFileSync(target, result.text);
  if (cmd.json) {
    out(JSON.stringify({
      model: cmd.model,
      out: write ? target : null,
      metric: result.metric,
      initial: finiteOrNull(result.initial),
      final: finiteOrNull(result.final),
      cancelled: result.cancelled,
      attempts: result.attempts.map((a) => ({ ...a, before: finiteOrNull(a.before), after: finiteOrNull(a.after) })),
      report: jsonReport(target, result.summary, result.findings),
    }));
  } else {
    out('');
    if (result.attempts.length === 0) out(result.cancelled ? 'cancelled before any fix was tried' : 'no warning or error with a fix to try');
    out(`${metricName(result.metric)}: ${metricText(result.initial, result.metric)} -> ${metricText(result.final, result.metric)}, ${kept.length} of ${result.attempts.length} fix(es) kept${result.cancelled ? ' (cancelled)' : ''}`);
    out(write ? `wrote ${target}${kept.length ? `: ${kept.map((a) => a.fixId).join(', ')}` : ' (unchanged)'}` : `${target} unchanged`);
    out('');
    out(`${spec.name}: ${summaryLine(result.summary)}`);
    out(findingsText(result.findings, target));
  }
  return codeFor(result.findings);
}

const finiteOrNull = (x: number | null) => (x !== null && Number.isFinite(x) ? x : null);

/** The whole lines of `text` touched by [from, to). */
function lineSpan(text: string, from: number, to: number): string[] {
  const start = text.lastIndexOf('\n', from - 1) + 1;
  const endNl = text.indexOf('\n', Math.max(from, to - 1));
  return text.slice(start, endNl < 0 ? text.length : endNl).replace(/\r/g, '').split('\n');
}

export async function main(argv: string[]): Promise<number> {
  let cmd: Command;
  try {
    cmd = parseArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`nn-debugger: ${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
  try {
    if (cmd.name === 'help') {
      out(USAGE);
      return 0;
    }
    if (cmd.name === 'train') return await train(cmd);
    if (cmd.name === 'check') return check(cmd);
    if (cmd.name === 'repair') return await repair(cmd);
    if (cmd.name === 'export') return runExport(cmd, readModel(cmd.model), out);
    if (cmd.name === 'diagnose') return diagnoseCommand(cmd.run, cmd.json, out);
    return fix(cmd);
  } catch (err) {
    const file = 'model' in cmd ? cmd.model : 'run' in cmd ? cmd.run : '';
    const message = describeError(err, file);
    process.stderr.write(message + '\n');
    return 2;
  }
}

function describeError(err: unknown, file: string): string {
  if (err && typeof err === 'object' && 'issues' in err && Array.isArray((err as { issues: unknown }).issues)) {
    const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    const issues = (err as { issues: Parameters<typeof positioned>[2][] }).issues;
    return issues.filter((i) => i.severity === 'error').map((i) => positioned(file, text, i)).join('\n');
  }
  if (err instanceof RecordedStreamError) return `error: ${err.message}`;
  if (err instanceof UsageError || err instanceof FixError) return `${file}: error: ${err.message}`;
  if (err instanceof Error && err.name === 'DataError') {
    const e = err as Error & { path: (string | number)[]; file: string | null };
    const at = e.file ? '' : `${file}: `;
    return `${at}error: ${e.message}${e.path.length ? ` (at ${e.path.join('.')})` : ''}`;
  }
  return `${file}: error: ${err instanceof Error ? err.message : String(err)}`;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`nn-debugger: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(2);
    },
  );
}


