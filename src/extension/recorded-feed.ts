// Feeds a recorded PyTorch stream (python/nn_debugger, read from a file or a live socket) into a panel
// run: each chunk of lines becomes one progress batch with the findings of everything seen so far.
import { RecordedRunBuilder, parseRecordedLine, type RecordedRun } from '../engine/recorded/stream';
import { diagnoseRecorded } from '../engine/recorded/diagnose';
import type { Finding, ProgressBatch, RunSummary } from '../shared/protocol';
import type { ExternalRun } from './runs';

export class RecordedFeed {
  private readonly builder: RecordedRunBuilder;
  private line = 0;
  private partial = '';
  private summary: RunSummary | null = null;

  constructor(private readonly run: ExternalRun, private readonly source: string) {
    this.builder = new RecordedRunBuilder(source);
  }

  /** Raw text as it arrives; a line split across chunks waits for its end. Throws RecordedStreamError. */
  write(chunk: string): void {
    const text = this.partial + chunk;
    const end = text.lastIndexOf('\n');
    this.partial = end < 0 ? text : text.slice(end + 1);
    if (end >= 0) this.lines(text.slice(0, end).split('\n'));
  }

  /** Whole lines: parsed, added, sent to the panel as one batch. */
  lines(lines: string[]): void {
    const batch: ProgressBatch = { steps: [], epochs: [], probes: [], findings: null };
    for (const text of lines) {
      this.line++;
      if (!text.trim()) continue;
      const message = parseRecordedLine(text, `${this.source}:${this.line}`);
      this.builder.add(message, this.line);
      if (message.type === 'start') this.run.started(message.model);
      else if (message.type === 'probe') {
        const s = message.snapshot;
        // the loss curve of a watched run is its probes' losses (the watcher reads no other step)
        batch.probes.push(s);
        if (Number.isFinite(s.loss)) batch.steps.push({ step: s.step, epoch: s.epoch, loss: s.loss, lr: s.lr });
      } else if (message.type === 'epoch') batch.epochs.push(message.metrics);
      else if (message.type === 'end') this.summary = message.summary;
    }
    if (!this.builder.started) return;
    batch.findings = this.findings();
    if (batch.probes.length || batch.epochs.length || batch.steps.length) this.run.progress(batch);
  }

  get recorded(): RecordedRun | null {
    return this.builder.started ? this.builder.run() : null;
  }

  findings(): Finding[] {
    const run = this.recorded;
    return run ? diagnoseRecorded(run) : [];
  }

  /** Ends the run: with the stream's end summary when it sent one, else as `fallback` says. */
  finish(fallback: { status: RunSummary['status']; message: string | null }): void {
    if (this.partial.trim()) this.lines([this.partial]);
    this.partial = '';
    const run = this.recorded;
    if (!run) {
      this.run.end({ kind: 'failed', message: fallback.message ?? `${this.source}: the run sent no data (did it call nn_debugger.watch?)`, issues: [] });
      return;
    }
    if (!this.summary && fallback.message) {
      this.run.end({ kind: 'failed', message: fallback.message, issues: [] });
      return;
    }
    const last = run.epochs.at(-1);
    const summary: RunSummary = this.summary ?? {
      status: run.nonFinite ? 'non-finite' : fallback.status,
      epochs: run.epochs.length,
      steps: run.probes.at(-1)?.step ?? 0,
      durationMs: 0,
      samplesPerSecond: 0,
      final: { loss: last?.loss ?? null, accuracy: last?.accuracy ?? null, valLoss: last?.valLoss ?? null, valAccuracy: last?.valAccuracy ?? null },
      nonFinite: run.nonFinite,
      restoredEpoch: null,
    };
    this.run.end({ kind: 'finished', summary, findings: this.findings() });
  }
}
