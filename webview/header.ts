// The run header: model, run state, progress, throughput and the run controls.
import type { FromWebview, PanelRunState } from '../src/shared/protocol';
import { el, setText } from './dom';
import { formatNumber, formatRate } from '../src/shared/format';
import type { PanelStore } from './store';

/** 'idle': no run to show yet. */
type HeaderState = PanelRunState | 'idle';

const STATE_LABEL: Record<HeaderState, string> = {
  idle: 'Idle',
  running: 'Running',
  paused: 'Paused',
  finished: 'Finished',
  stopped: 'Stopped',
  failed: 'Failed',
};

type ControlAction = Extract<FromWebview, { type: 'control' }>['action'];

export class HeaderView {
  readonly root: HTMLElement;
  private readonly name = el('h1', { id: 'model-name' });
  private readonly state = el('span', { class: 'state-badge', id: 'run-state', role: 'status' });
  private readonly path = el('p', { class: 'run-path', id: 'model-path' });
  private readonly epoch = el('dd', { id: 'stat-epoch' });
  private readonly step = el('dd', { id: 'stat-step' });
  private readonly rate = el('dd', { id: 'stat-rate' });
  private readonly loss = el('dd', { id: 'stat-loss' });
  private readonly stop: HTMLElement;
  private readonly pause: HTMLElement;
  private readonly retrain: HTMLElement;
  private readonly repair: HTMLElement;
  private runId: string | null = null;

  constructor(private readonly post: (msg: FromWebview) => void) {
    const button = (id: string, label: string, action: () => ControlAction, secondary = true) => {
      const b = el('vscode-button', { id, secondary, 'aria-label': label }, label);
      b.addEventListener('click', () => {
        if (!b.hasAttribute('disabled')) this.post({ type: 'control', action: action() });
      });
      return b;
    };
    this.stop = button('control-stop', 'Stop', () => 'stop');
    this.pause = button('control-pause', 'Pause', () => (this.pause.dataset.action === 'resume' ? 'resume' : 'pause'));
    this.retrain = button('control-retrain', 'Retrain', () => 'retrain', false);
    // Repair Automatically: the extension retrains with each candidate fix and keeps the ones that help
    this.repair = el('vscode-button', { id: 'control-repair', secondary: true, 'aria-label': 'Repair Automatically', title: 'Try the top findings\' fixes, retrain with each, keep the ones that help' }, 'Repair Automatically');
    this.repair.addEventListener('click', () => {
      if (!this.repair.hasAttribute('disabled') && this.runId) this.post({ type: 'repair', runId: this.runId });
    });
    const stat = (label: string, value: HTMLElement) => el('div', { class: 'stat' }, el('dt', {}, label), value);
    this.root = el(
      'header',
      { class: 'run-header', 'aria-label': 'Training run' },
      el('div', { class: 'run-title' }, this.name, this.state),
      this.path,
      el('dl', { class: 'run-stats' }, stat('Epoch', this.epoch), stat('Step', this.step), stat('Samples/s', this.rate), stat('Loss', this.loss)),
      el('div', { class: 'controls', role: 'toolbar', 'aria-label': 'Run controls' }, this.stop, this.pause, this.retrain, this.repair),
    );
  }

  render(store: PanelStore): void {
    const run = store.current;
    const state: HeaderState = run?.state ?? (store.failure ? 'failed' : 'idle');
    setText(this.name, run ? run.info.model.name : 'NN Debugger: Gradient Health');
    setText(this.path, run ? `${run.info.modelPath} · seed ${run.info.seed} · ${run.info.model.paramCount} parameters · ${run.info.model.kernel}` : '');
    setText(this.state, STATE_LABEL[state]);
    this.state.dataset.state = state;
    setText(this.epoch, run?.lastEpoch ? String(run.lastEpoch.epoch) : run?.lastStep ? String(run.lastStep.epoch) : '–');
    setText(this.step, run?.lastStep ? String(run.lastStep.step) : '–');
    setText(this.rate, formatRate(run?.summary?.samplesPerSecond ?? run?.lastEpoch?.samplesPerSecond ?? null));
    setText(this.loss, formatNumber(run?.lastStep?.loss ?? null, 4));
    const live = state === 'running' || state === 'paused';
    setDisabled(this.stop, !live);
    setDisabled(this.pause, !live);
    setDisabled(this.retrain, !run);
    this.runId = run?.info.runId ?? null;
    setDisabled(this.repair, !run || live);
    const resume = state === 'paused';
    this.pause.dataset.action = resume ? 'resume' : 'pause';
    setText(this.pause, resume ? 'Resume' : 'Pause');
    this.pause.setAttribute('aria-label', resume ? 'Resume' : 'Pause');
  }
}

function setDisabled(node: HTMLElement, disabled: boolean): void {
  node.toggleAttribute('disabled', disabled);
}
