// One engine worker for one run. The worker is created when the run starts (lazily, never at activation)
// and terminated when it ends, so a crash or an out-of-memory in one run cannot leak into the next.
// Stop is cooperative first and forced after a grace period; every way a worker can die ends the run
// exactly once with a clear outcome.
import { Worker } from 'node:worker_threads';
import { isFromWorker, type Finding, type ModelSummary, type ProgressBatch, type RepairEvent, type RepairResult, type RunSummary, type ToWorker } from '../shared/protocol';

/** A training run, or a repair loop (which reports its rounds and its result instead of live data). */
export type StartMessage = Extract<ToWorker, { type: 'start' | 'repair' }>;

export type RunOutcome =
  | { kind: 'finished'; summary: RunSummary; findings: Finding[] }
  | { kind: 'failed'; message: string; issues: { message: string; path: (string | number)[] }[] }
  | { kind: 'stopped'; forced: boolean };

export interface WorkerRunEvents {
  started(model: ModelSummary): void;
  progress(batch: ProgressBatch): void;
  paused(paused: boolean): void;
  /** The worker is reading a data file: `bytes` of `total`. */
  loading(file: string, bytes: number, total: number): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
  repairProgress?(event: RepairEvent): void;
  /** Called just before a repair ends as `finished` with its last run's summary and findings. */
  repaired?(result: RepairResult): void;
}

/** Total time a stop may take: the cooperative request, then terminate(). */
export const STOP_GRACE_MS = 1200;

export class WorkerRun {
  readonly ended: Promise<RunOutcome>;
  private resolveEnded!: (o: RunOutcome) => void;
  private worker: Worker | null = null;
  private done = false;
  private stopRequested = false;

  constructor(
    private readonly script: string,
    private readonly memoryLimitMb: number,
    private readonly startMessage: StartMessage,
    private readonly events: WorkerRunEvents,
  ) {
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
  }

  get runId(): string {
    return this.startMessage.runId;
  }

  start(): void {
    let worker: Worker;
    try {
      worker = new Worker(this.script, {
        // The engine's big arrays are typed arrays (outside the V8 heap; guarded by the memory estimate);
        // these limits catch runaway JS allocation before it can take the extension host down.
        resourceLimits: { maxOldGenerationSizeMb: this.memoryLimitMb, maxYoungGenerationSizeMb: 48, stackSizeMb: 4 },
        stdout: false,
        stderr: false,
      });
    } catch (err) {
      this.end({ kind: 'failed', message: `Could not start the training worker: ${errorText(err)}`, issues: [] });
      return;
    }
    this.worker = worker;
    worker.on('message', (msg: unknown) => this.onMessage(msg));
    worker.on('error', (err: Error & { code?: string }) => {
      const message =
        err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `The training worker ran out of memory (limit ${this.memoryLimitMb} MB, setting nnDebugger.workerMemoryLimitMb): ${err.message}`
          : `The training worker crashed: ${err.message}`;
      this.end({ kind: 'failed', message, issues: [] });
    });
    worker.on('messageerror', (err) => this.end({ kind: 'failed', message: `A message from the training worker could not be read: ${errorText(err)}`, issues: [] }));
    worker.on('exit', (code) => {
      this.worker = null;
      if (this.stopRequested) this.end({ kind: 'stopped', forced: true });
      else this.end({ kind: 'failed', message: `The training worker exited unexpectedly (exit code ${code})`, issues: [] });
    });
    this.send(this.startMessage);
  }

  pause(): void {
    this.send({ type: 'pause', runId: this.runId });
  }

  resume(): void {
    this.send({ type: 'resume', runId: this.runId });
  }

  /** Resolves when the run has ended; forced with terminate() if the worker does not stop in time. */
  async stop(): Promise<RunOutcome> {
    if (!this.done) {
      this.stopRequested = true;
      this.send({ type: 'stop', runId: this.runId });
      const timer = setTimeout(() => void this.worker?.terminate(), STOP_GRACE_MS);
      void this.ended.finally(() => clearTimeout(timer));
    }
    return this.ended;
  }

  /** Ends the run at once (extension deactivation, panel disposal of a restart). */
  dispose(): void {
    this.stopRequested = true;
    void this.worker?.terminate();
    this.end({ kind: 'stopped', forced: true });
  }

  private onMessage(msg: unknown): void {
    if (!isFromWorker(msg)) return this.events.log('warn', `Ignored a malformed message from the training worker: ${preview(msg)}`);
    if (msg.type === 'log') return this.events.log(msg.level, msg.message);
    if (msg.runId !== this.runId || this.done) return;
    switch (msg.type) {
      case 'started':
        return this.events.started(msg.model);
      case 'progress':
        this.events.progress(msg.batch);
        // Acknowledge after handling, so the worker's window reflects what the host has absorbed.
        return this.send({ type: 'ack', runId: this.runId, seq: msg.seq });
      case 'paused':
        return this.events.paused(msg.paused);
      case 'loading':
        return this.events.loading(msg.file, msg.bytes, msg.total);
      case 'finished':
        return this.end({ kind: 'finished', summary: msg.summary, findings: msg.findings });
      case 'repair-progress':
        return this.events.repairProgress?.(msg.event);
      case 'repaired':
        this.events.repaired?.(msg.result);
        return this.end({ kind: 'finished', summary: msg.result.summary, findings: msg.result.findings });
      case 'failed':
        return this.end({ kind: 'failed', message: msg.message, issues: msg.issues });
    }
  }

  private send(msg: ToWorker): void {
    try {
      this.worker?.postMessage(msg);
    } catch (err) {
      this.events.log('error', `Could not message the training worker: ${errorText(err)}`);
    }
  }

  private end(outcome: RunOutcome): void {
    if (this.done) return;
    this.done = true;
    const worker = this.worker;
    this.worker = null;
    // The run is over whichever way it ended; the worker's job is done.
    if (worker) void worker.terminate();
    this.resolveEnded(outcome);
  }
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A short, safe rendering of an unexpected value for the log. */
function preview(v: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(v) ?? String(v);
  } catch {
    text = Object.prototype.toString.call(v);
  }
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}
