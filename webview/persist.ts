// Survives hiding and reloading: the panel saves, through the webview's getState/setState (JSON, so
// non-finite numbers go through the protocol's encoding), the replay messages of its runs (the same ones
// the extension sends, shared/protocol.ts `replayMessages`), and on load applies them as it applies any
// message. The saved history is thinned further than the live one (SAVED_CAPACITY), since it is written every
// second while a run streams in; when the extension still has the run it replays it whole, which replaces
// the restored copy.
import { decodeNumbers, encodeNumbers, isToWebview, replayMessages, type ToWebview } from '../src/shared/protocol';
import { SAVED_CAPACITY } from '../src/shared/history';
import type { PanelStore, RunData } from './store';

const STATE_VERSION = 2;

function runMessages(run: RunData, failure: string | null): ToWebview[] {
  const end = run.summary ? { summary: run.summary, findings: run.findings } : null;
  return replayMessages({ info: run.info, state: run.state, history: run.history, end, failure: run.state === 'failed' ? failure : null, stale: run.stale }, SAVED_CAPACITY);
}

export function serializeStore(store: PanelStore): unknown {
  const messages: ToWebview[] = [];
  if (store.previous) messages.push(...runMessages(store.previous, null));
  if (store.current) messages.push(...runMessages(store.current, store.failure));
  else if (store.failure !== null) messages.push({ type: 'run-failed', runId: null, message: store.failure });
  return { v: STATE_VERSION, messages: encodeNumbers(messages) };
}

/** Applies the saved messages; anything that does not pass the protocol check is dropped rather than trusted. */
export function restoreStore(store: PanelStore, saved: unknown): boolean {
  if (typeof saved !== 'object' || saved === null) return false;
  const { v, messages } = saved as { v?: unknown; messages?: unknown };
  if (v !== STATE_VERSION || !Array.isArray(messages)) return false;
  for (const m of messages) {
    const msg = decodeNumbers(m);
    if (isToWebview(msg)) store.apply(msg);
  }
  return true;
}
