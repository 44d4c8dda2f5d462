// A recorded PyTorch run: the JSON Lines stream that python/nn_debugger writes (`.nnd.jsonl`, or live over
// a socket). Each line is one message, numbers encoded as src/protocol.ts encodeNumbers writes them:
//   {"type":"start","model":ModelSummary,"run":RecordedRunInfo}   (again, with its layers added, when a
//      module first runs after the start: the model it describes extends the one before)
//   {"type":"probe","snapshot":ProbeSnapshot}   {"type":"epoch","metrics":EpochMetrics}
//   {"type":"non-finite","report":NonFiniteReport}   {"type":"end","summary":RunSummary}
import { decodeNumbers } from '../../shared/protocol';
import type { EpochMetrics, ModelSummary, NonFiniteReport, ProbeSnapshot, RunSummary } from '../types';

/** What the watcher knows about the run beyond the model summary (python/nn_debugger/watcher.py _run_info). */
export interface RecordedRunInfo {
  version: number;
  framework: string;
  /** Absolute path of the Python script that ran, when known. */
  script: string | null;
  every: number;
  rank: number;
  worldSize: number;
  batchSize: number | null;
  optimizer: { type: string; name: string; lr: number; momentum?: number; nesterov?: boolean };
  layers: { position: number; name: string; kind: string; module: string }[];
}

export type RecordedMessage =
  | { type: 'start'; model: ModelSummary; run: RecordedRunInfo }
  | { type: 'probe'; snapshot: ProbeSnapshot }
  | { type: 'epoch'; metrics: EpochMetrics }
  | { type: 'non-finite'; report: NonFiniteReport }
  | { type: 'end'; summary: RunSummary };

export interface RecordedRun {
  model: ModelSummary;
  run: RecordedRunInfo;
  probes: ProbeSnapshot[];
  epochs: EpochMetrics[];
  nonFinite: NonFiniteReport | null;
  /** Null while the run is still going (or when it was cut off before its end line). */
  summary: RunSummary | null;
}

export class RecordedStreamError extends Error {}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One decoded, shape-checked message; `where` names the place for errors (e.g. "run.nnd.jsonl:3"). */
export function parseRecordedLine(line: string, where: string): RecordedMessage {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch (err) {
    throw new RecordedStreamError(`${where}: not JSON (${(err as Error).message})`);
  }
  const v = decodeNumbers(raw);
  if (!isObj(v) || typeof v.type !== 'string') throw new RecordedStreamError(`${where}: expected an object with a "type"`);
  const need = (field: string, ok: (x: unknown) => boolean) => {
    if (!ok(v[field])) throw new RecordedStreamError(`${where}: "${v.type}" message has no valid "${field}"`);
  };
  switch (v.type) {
    case 'start':
      need('model', (m) => isObj(m) && Array.isArray(m.layers));
      need('run', (r) => isObj(r) && isObj(r.optimizer) && Array.isArray(r.layers));
      break;
    case 'probe':
      need('snapshot', (s) => isObj(s) && typeof s.step === 'number' && Array.isArray(s.layers));
      break;
    case 'epoch':
      need('metrics', (m) => isObj(m) && typeof m.epoch === 'number');
      break;
    case 'non-finite':
      need('report', (r) => isObj(r) && typeof r.step === 'number' && typeof r.stage === 'string');
      break;
    case 'end':
      need('summary', (s) => isObj(s) && typeof s.status === 'string');
      break;
    default:
      throw new RecordedStreamError(`${where}: unknown message type "${v.type}"`);
  }
  return v as unknown as RecordedMessage;
}

/** Builds a RecordedRun message by message (a file read whole, or a live stream line by line). */
export class RecordedRunBuilder {
  private model: ModelSummary | null = null;
  private info: RecordedRunInfo | null = null;
  readonly probes: ProbeSnapshot[] = [];
  readonly epochs: EpochMetrics[] = [];
  private nonFinite: NonFiniteReport | null = null;
  private summary: RunSummary | null = null;

  constructor(private readonly source: string) {}

  add(message: RecordedMessage, line: number): void {
    if (message.type !== 'start' && !this.model) throw new RecordedStreamError(`${this.source}:${line}: "${message.type}" before the "start" message`);
    switch (message.type) {
      case 'start':
        if (this.model && !extendsModel(this.model, message.model)) {
          throw new RecordedStreamError(`${this.source}:${line}: a second "start" message that does not extend the first model's layers`);
        }
        this.model = message.model;
        this.info = message.run;
        break;
      case 'probe':
        this.probes.push(message.snapshot);
        break;
      case 'epoch':
        this.epochs.push(message.metrics);
        break;
      case 'non-finite':
        this.nonFinite ??= message.report;
        break;
      case 'end':
        this.summary = { ...message.summary, nonFinite: message.summary.nonFinite ?? this.nonFinite };
        break;
    }
  }

  get started(): boolean {
    return this.model !== null;
  }

  /** The run so far; throws when the stream never started. */
  run(): RecordedRun {
    if (!this.model || !this.info) throw new RecordedStreamError(`${this.source}: no "start" message (is this a stream written by nn_debugger.watch?)`);
    return { model: this.model, run: this.info, probes: this.probes, epochs: this.epochs, nonFinite: this.nonFinite, summary: this.summary };
  }
}

/** Whether `next` is `prev` with layers added after its own (same model, same layers at the same places). */
function extendsModel(prev: ModelSummary, next: ModelSummary): boolean {
  return (
    prev.name === next.name &&
    next.layers.length >= prev.layers.length &&
    prev.layers.every((l, i) => next.layers[i]?.name === l.name && next.layers[i]?.kind === l.kind && next.layers[i]?.position === l.position)
  );
}

/** A whole `.nnd.jsonl` text. A truncated last line (a run killed mid-write) is ignored. */
export function parseRecordedRun(text: string, source: string): RecordedRun {
  const builder = new RecordedRunBuilder(source);
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    const last = i === lines.length - 1;
    let message: RecordedMessage;
    try {
      message = parseRecordedLine(line, `${source}:${i + 1}`);
    } catch (err) {
      if (last && !text.endsWith('\n')) return;
      throw err;
    }
    builder.add(message, i + 1);
  });
  return builder.run();
}
