// The extension's settings (contributed in package.json under `nnDebugger.*`), read fresh at each use.
import * as vscode from 'vscode';
import type { RunOptions } from '../shared/protocol';

export interface Settings {
  probeEvery: number;
  thresholds: Record<string, Record<string, number>>;
  autoOpenPanel: boolean;
  workerMemoryLimitMb: number;
  liveUpdatesPerSecond: number;
  validationDelayMs: number;
  /** Cap on training threads; 0 = every core. */
  threads: number;
}

export function readSettings(scope?: vscode.Uri): Settings {
  const c = vscode.workspace.getConfiguration('nnDebugger', scope);
  return {
    probeEvery: Math.max(0, Math.floor(c.get<number>('probeEvery', 10))),
    thresholds: sanitizeThresholds(c.get<unknown>('thresholds', {})),
    autoOpenPanel: c.get<boolean>('autoOpenPanel', true),
    workerMemoryLimitMb: Math.max(32, Math.floor(c.get<number>('workerMemoryLimitMb', 1024))),
    liveUpdatesPerSecond: Math.min(60, Math.max(1, c.get<number>('liveUpdatesPerSecond', 20))),
    validationDelayMs: Math.max(0, c.get<number>('validationDelayMs', 300)),
    threads: Math.max(0, Math.floor(c.get<number>('threads', 0)) || 0),
  };
}

export function runOptions(s: Settings): RunOptions {
  return { probeEvery: s.probeEvery, thresholds: s.thresholds, epochs: null, maxMessagesPerSecond: s.liveUpdatesPerSecond, threads: s.threads };
}

/** Keeps only `{ code: { name: number } }` entries: a typo in settings.json must not reach the engine. */
function sanitizeThresholds(raw: unknown): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  if (typeof raw !== 'object' || raw === null) return out;
  for (const [code, values] of Object.entries(raw)) {
    if (typeof values !== 'object' || values === null) continue;
    const numbers = Object.entries(values).filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1]));
    if (numbers.length) out[code] = Object.fromEntries(numbers);
  }
  return out;
}
