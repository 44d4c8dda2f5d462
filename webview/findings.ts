// The findings list: what is wrong, where, the evidence behind it, and one button per fix (the
// preferred fix first) that asks the extension to apply the same edit as the editor's quick-fix.
import type { Finding, FromWebview } from '../src/shared/protocol';
import { el, setText } from './dom';
import { evidenceText, formatNumber } from '../src/shared/format';
import { bySeverity, preferredFirst } from '../src/shared/severity';
import type { PanelStore, RunData } from './store';

const SEVERITY_LABEL = { error: 'Error', warning: 'Warning', info: 'Info' } as const;

export class FindingsView {
  readonly root: HTMLElement;
  private readonly list = el('ul', { class: 'findings', id: 'findings-list', 'aria-labelledby': 'findings-title' });
  private readonly count = el('vscode-badge', { variant: 'counter', id: 'findings-count', 'aria-label': 'number of findings' });
  private readonly note = el('p', { class: 'findings-note', id: 'findings-note', role: 'status' });
  private readonly stale = el('p', { class: 'stale-note', id: 'stale-note', hidden: true }, 'The model file changed since this run, so its fixes can no longer be applied. Retrain to refresh the findings.');
  private readonly retrainAfterFix = el('vscode-checkbox', { id: 'retrain-after-fix', checked: true, label: 'Retrain after applying a fix' });
  private signature = '';

  constructor(private readonly post: (msg: FromWebview) => void) {
    this.root = el(
      'section',
      { class: 'findings-section', 'aria-labelledby': 'findings-title' },
      el('div', { class: 'section-head' }, el('h2', { id: 'findings-title' }, 'Findings'), this.count, this.retrainAfterFix),
      this.stale,
      this.note,
      this.list,
    );
  }

  render(store: PanelStore): void {
    const run = store.current;
    const findings = run ? [...run.findings].sort(bySeverity) : [];
    this.stale.hidden = !run?.stale;
    setText(this.count, String(findings.length));
    setText(this.note, noteFor(run, findings.length));
    // Rebuild only when the findings themselves changed, so a focused fix button keeps its focus.
    const signature = JSON.stringify([run?.info.runId, run?.stale, findings.map((f) => [f.code, f.severity, f.layer, f.layers, f.message, f.evidence, f.fixes])]);
    if (signature === this.signature) return;
    this.signature = signature;
    this.list.replaceChildren(...findings.map((f) => this.item(run!, f)));
  }

  private item(run: RunData, f: Finding): HTMLElement {
    const where = f.layer ? `layer ${f.layer.name}` : f.field ? `field ${f.field}` : 'the model';
    const link = el('button', { class: 'link layer-link', type: 'button', 'aria-label': `Show ${where} in the model file` }, f.layer ? f.layer.name : (f.field ?? 'model'));
    link.addEventListener('click', () => this.post({ type: 'reveal-layer', runId: run.info.runId, layerIndex: f.layer?.index ?? null, field: f.layer ? null : f.field }));
    const fixes = preferredFirst(f.fixes);
    const buttons = fixes.map((fix) => {
      const b = el('vscode-button', { class: 'fix-button', secondary: !fix.preferred, disabled: run.stale, 'data-fix-id': fix.id, 'aria-label': `Fix: ${fix.title}${fix.preferred ? ' (recommended)' : ''}` }, fix.title);
      b.addEventListener('click', () => {
        if (b.hasAttribute('disabled')) return;
        const retrain = (this.retrainAfterFix as HTMLElement & { checked?: boolean }).checked !== false;
        this.post({ type: 'apply-fix', runId: run.info.runId, fixId: fix.id, retrain });
      });
      return b;
    });
    const details = Object.entries(f.evidence.details);
    // one finding for several layers: list each with its own evidence (older runs carry no list)
    const affected = f.layers ?? [];
    const layerList = affected.length > 1
      ? el('ul', { class: 'affected-layers', 'aria-label': 'Affected layers' }, ...affected.map((a) => {
        const b = el('button', { class: 'link layer-link', type: 'button', 'aria-label': `Show layer ${a.layer.name} in the model file` }, a.layer.name);
        b.addEventListener('click', () => this.post({ type: 'reveal-layer', runId: run.info.runId, layerIndex: a.layer.index, field: null }));
        return el('li', {}, b, `: ${a.note ?? formatNumber(a.value)}`);
      }))
      : null;
    const concept = f.concept
      ? el('details', { class: 'concept' }, el('summary', {}, `What is ${f.concept.title.toLowerCase()}?`), el('p', {}, f.concept.text, ' ', el('a', { href: f.concept.url }, 'Read more')))
      : null;
    return el(
      'li',
      { class: `finding severity-${f.severity}`, 'data-code': f.code },
      el('div', { class: 'finding-head' }, el('span', { class: 'severity' }, SEVERITY_LABEL[f.severity]), el('span', { class: 'code' }, f.code), el('span', { class: 'on' }, 'on'), link),
      el('p', { class: 'message' }, f.message),
      el('p', { class: 'evidence' }, evidenceText(f)),
      layerList,
      details.length > 0 ? el('dl', { class: 'evidence-details' }, ...details.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, typeof v === 'number' ? formatNumber(v) : v)])) : null,
      buttons.length > 0 ? el('div', { class: 'fixes', role: 'group', 'aria-label': 'Fixes' }, ...buttons) : null,
      concept,
    );
  }
}

function noteFor(run: RunData | null, count: number): string {
  if (!run) return 'Train a model to see its findings here.';
  if (count > 0) return '';
  if (run.state === 'running' || run.state === 'paused') return run.probes > 0 ? 'No problems found so far.' : 'Waiting for the first measurements…';
  return 'No problems found in this run.';
}
