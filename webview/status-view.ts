// What the panel says when there is nothing to chart yet: no run, a run that has not reported yet, or a
// failure, each with the next thing to do.
import { el, setText } from './dom';
import type { PanelStore } from './store';

export type PanelStatus = 'empty' | 'loading' | 'error' | 'live';

export function statusOf(store: PanelStore): PanelStatus {
  const run = store.current;
  if (store.failure !== null && (!run || run.state === 'failed')) return 'error';
  if (!run) return 'empty';
  if (run.probes === 0 && run.loss.points.length === 0 && (run.state === 'running' || run.state === 'paused')) return 'loading';
  return 'live';
}

export class StatusView {
  readonly root: HTMLElement;
  private readonly title = el('h2', { id: 'status-title' });
  private readonly text = el('p', { id: 'status-text' });
  private readonly detail = el('pre', { id: 'status-detail', hidden: true });
  private readonly ring = el('vscode-progress-ring', { 'aria-label': 'Training is starting', hidden: true });

  constructor() {
    this.root = el('section', { class: 'status', id: 'status', role: 'status', 'aria-live': 'polite' }, this.ring, el('div', {}, this.title, this.text, this.detail));
  }

  render(store: PanelStore): PanelStatus {
    const status = statusOf(store);
    this.root.dataset.status = status;
    this.root.hidden = status === 'live';
    this.ring.hidden = status !== 'loading';
    this.detail.hidden = status !== 'error';
    if (status === 'empty') {
      setText(this.title, 'No training run yet');
      setText(this.text, 'Open a .nn.json model and run “NN Debugger: Train Model” (or pick a template with “NN Debugger: New Model”). Gradients, findings and fixes appear here while it trains.');
    } else if (status === 'loading') {
      setText(this.title, `Training ${store.current!.info.model.name}…`);
      setText(this.text, 'Waiting for the first statistics from the engine. If nothing arrives, check the NN Debugger output channel.');
    } else if (status === 'error') {
      setText(this.title, 'Training failed');
      setText(this.text, 'Fix the problem shown here in the model file (errors are also underlined in the editor), then run “NN Debugger: Train Model” again.');
      setText(this.detail, store.failure ?? '');
    }
    return status;
  }
}
