// The webview side of VS Code's messaging, typed with the shared protocol.
import type { FromWebview } from '../src/shared/protocol';

export interface PanelHost {
  postMessage(msg: FromWebview): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): { postMessage(msg: unknown): void; getState(): unknown; setState(s: unknown): void };

/** acquireVsCodeApi may be called only once per page. */
export function connectHost(): PanelHost {
  const api = acquireVsCodeApi();
  return {
    postMessage: (msg) => api.postMessage(msg),
    getState: () => api.getState(),
    setState: (s) => api.setState(s),
  };
}
