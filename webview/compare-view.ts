// "Compare runs": any two of the model's last finished runs (the extension keeps a few per model), their
// loss curves overlaid and their findings side by side. The pickers are native selects (keyboard and
// screen reader friendly); the chart has its data table like every other chart.
import type { FinishedRun } from '../src/shared/protocol';
import { formatNumber } from '../src/shared/format';
import { bySeverity } from '../src/shared/severity';
import { TimeSeriesChart, type LineSeries } from './charts/time-series-chart';
import { ChartCard } from './charts/chart-card';
import { readTheme, seriesColor, type ChartTheme } from './charts/theme';
import { el } from './dom';
import type { Point } from './series';
import type { PanelStore } from './store';

function runLabel(r: FinishedRun, i: number): string {
  const when = new Date(r.info.startedAt).toLocaleTimeString('en-GB');
  return `${i === 0 ? 'latest' : `${i} before`} · ${when} · seed ${r.info.seed} · ${r.summary.status}, loss ${formatNumber(r.summary.final.loss)}`;
}

export class CompareView {
  readonly root: HTMLElement;
  private readonly pickers: [HTMLSelectElement, HTMLSelectElement];
  private readonly chart: TimeSeriesChart;
  private readonly columns: [HTMLElement, HTMLElement];
  private theme: ChartTheme = readTheme();
  private runs: readonly FinishedRun[] = [];

  constructor() {
    this.pickers = [0, 1].map((i) => {
      const s = el('select', { id: `compare-run-${i}`, class: 'compare-picker' });
      s.addEventListener('change', () => this.draw());
      return s;
    }) as [HTMLSelectElement, HTMLSelectElement];
    const column = (i: number): HTMLElement => el('div', { class: 'compare-findings', id: `compare-findings-${i}` });
    this.columns = [column(0), column(1)];
    this.chart = new TimeSeriesChart(new ChartCard('compare-chart', 'Loss of the two runs', 'Training loss per step (solid) and validation loss per epoch (dashed) of each run.'), { log: false, yTitle: 'loss' });
    this.root = el(
      'section',
      { class: 'compare', id: 'compare-runs', 'aria-labelledby': 'compare-title', hidden: true },
      el('h2', { id: 'compare-title' }, 'Compare runs'),
      el('div', { class: 'compare-pickers' }, el('label', { for: 'compare-run-0' }, 'Run A'), this.pickers[0], el('label', { for: 'compare-run-1' }, 'Run B'), this.pickers[1]),
      this.chart.card.root,
      el('div', { class: 'compare-columns' }, ...this.columns),
    );
  }

  retheme(): void {
    this.theme = readTheme();
    this.draw();
  }

  /** The model's finished runs changed: refill the pickers, keeping the choice where the runs still exist. */
  render(store: PanelStore): void {
    const runs = store.finishedRuns?.runs ?? [];
    if (runs === this.runs) return;
    const chosen = this.pickers.map((p) => p.value);
    this.runs = runs;
    this.root.hidden = runs.length < 2;
    this.pickers.forEach((p, i) => {
      p.replaceChildren(...runs.map((r, k) => el('option', { value: r.info.runId }, runLabel(r, k))));
      // by default the latest run against the one before it
      p.value = runs.some((r) => r.info.runId === chosen[i]) ? chosen[i]! : (runs[i]?.info.runId ?? '');
    });
    this.draw();
  }

  private draw(): void {
    if (this.root.hidden) return;
    const picked = this.pickers.map((p) => this.runs.find((r) => r.info.runId === p.value) ?? null);
    const series: LineSeries[] = [];
    picked.forEach((run, i) => {
      if (!run) return;
      const name = i === 0 ? 'A' : 'B';
      const color = seriesColor(this.theme, i);
      const train: Point[] = run.steps.map((s) => ({ x: s.step, y: Number.isFinite(s.loss) ? s.loss : NaN }));
      const val: Point[] = run.epochs.filter((e) => e.valLoss !== null).map((e) => ({ x: e.step, y: Number.isFinite(e.valLoss!) ? e.valLoss! : NaN }));
      series.push({ key: `${name}:train`, label: `run ${name}: train loss`, points: train, color, dash: [], faded: false });
      if (val.length) series.push({ key: `${name}:val`, label: `run ${name}: validation loss`, points: val, color, dash: [6, 3], faded: false });
      const findings = [...run.findings].sort(bySeverity);
      this.columns[i]!.replaceChildren(
        el('h3', {}, `Run ${name}: ${findings.length ? `${findings.length} finding${findings.length > 1 ? 's' : ''}` : 'no problems found'}`),
        el('ul', {}, ...findings.map((f) => el('li', { class: `severity-${f.severity}`, 'data-code': f.code }, `${f.severity}: ${f.code}${f.layer ? ` on ${f.layer.name}` : f.field ? ` in ${f.field}` : ''}`))),
      );
    });
    this.chart.update(series, 'Neither run recorded a loss.');
  }
}
