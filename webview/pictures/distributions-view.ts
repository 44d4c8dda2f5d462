// Weight and gradient distributions over time for one layer, as TensorBoard draws them: nested quantile
// bands (min-max, 7-93 %, 16-84 %, 31-69 %) around the median, over training steps.
import { el } from '../dom';
import { ChartCard, type TableRow } from '../charts/chart-card';
import { seriesColor, withAlpha, type ChartTheme } from '../charts/theme';
import { formatNumber } from '../../src/shared/format';
import type { LayerHistory, PanelStore } from '../store';
import type { Series } from '../series';
import { fitCanvas } from './canvas';

const AXIS_PX = 56;

export class DistributionsView {
  readonly card = new ChartCard('view-distributions', 'Weight and gradient distributions', 'How the chosen layer’s weights (or their gradients) spread over training: nested bands hold 100, 86, 68 and 38 % of the values around the median.');
  private readonly layer = el('select', { id: 'distributions-layer', 'aria-label': 'Layer whose distributions are shown' });
  private readonly tensor = el('select', { id: 'distributions-tensor', 'aria-label': 'Weights or weight gradients' }, el('option', { value: 'weights' }, 'Weights'), el('option', { value: 'gradients' }, 'Gradients'));
  private bands: Series[] = [];
  private shown: LayerHistory | null = null;
  /** The user picked a layer here: the app selects it everywhere. */
  onSelect: ((position: number) => void) | null = null;
  onChange: (() => void) | null = null;

  constructor() {
    this.card.controls.append(el('label', { for: 'distributions-layer' }, 'Layer'), this.layer, this.tensor);
    this.layer.addEventListener('change', () => this.onSelect?.(Number(this.layer.value)));
    this.tensor.addEventListener('change', () => this.onChange?.());
    this.card.setTableSource(() => this.tableRows());
  }

  render(store: PanelStore, theme: ChartTheme): void {
    const layers = (store.current?.layers ?? []).filter((l) => l.weightBands.length > 0);
    const options = layers.map((l) => l.position).join(',');
    if (this.layer.dataset.options !== options) {
      this.layer.replaceChildren(...layers.map((l) => el('option', { value: String(l.position) }, `${l.name} (${l.kind})`)));
      this.layer.dataset.options = options;
    }
    const chosen = layers.find((l) => l.position === store.selected) ?? layers.find((l) => String(l.position) === this.layer.value) ?? layers[0] ?? null;
    if (!chosen) {
      this.card.setEmpty('Weight distributions appear once training starts.');
      return;
    }
    this.layer.value = String(chosen.position);
    this.shown = chosen;
    this.bands = this.tensor.value === 'gradients' ? chosen.gradBands : chosen.weightBands;
    this.card.setEmpty(null);
    this.draw(theme, seriesColor(theme, chosen.position));
    const last = this.bands.map((b) => b.last?.y ?? NaN);
    this.card.setSummary(`${chosen.name} ${this.tensor.value}: median ${formatNumber(last[4])}, 68 % between ${formatNumber(last[2])} and ${formatNumber(last[6])}, range ${formatNumber(last[0])} to ${formatNumber(last[8])}`);
    this.card.refreshTable();
  }

  private draw(theme: ChartTheme, color: string): void {
    const fit = fitCanvas(this.card.canvas);
    if (!fit || this.bands.length < 9) return;
    const { ctx, width, height } = fit;
    const pts = this.bands.map((b) => b.points);
    const xs = pts[4]!.map((p) => p.x);
    if (xs.length === 0) return;
    const finite = pts.flat().map((p) => p.y).filter(Number.isFinite);
    let lo = Math.min(...finite);
    let hi = Math.max(...finite);
    if (!(hi > lo)) [lo, hi] = [lo - 1, lo + 1];
    const x0 = xs[0]!;
    const x1 = Math.max(xs[xs.length - 1]!, x0 + 1);
    const px = (x: number) => AXIS_PX + ((x - x0) / (x1 - x0)) * (width - AXIS_PX - 4);
    const py = (y: number) => 4 + (1 - (y - lo) / (hi - lo)) * (height - 22);
    for (let k = 0; k < 4; k++) {
      const upper = pts[8 - k]!;
      const lower = pts[k]!;
      ctx.beginPath();
      upper.forEach((p, i) => (i ? ctx.lineTo(px(p.x), py(p.y)) : ctx.moveTo(px(p.x), py(p.y))));
      for (let i = lower.length - 1; i >= 0; i--) ctx.lineTo(px(lower[i]!.x), py(lower[i]!.y));
      ctx.closePath();
      ctx.fillStyle = withAlpha(color, 0.18);
      ctx.fill();
    }
    ctx.beginPath();
    pts[4]!.forEach((p, i) => (i ? ctx.lineTo(px(p.x), py(p.y)) : ctx.moveTo(px(p.x), py(p.y))));
    ctx.strokeStyle = color;
    ctx.lineWidth = 1.5;
    ctx.stroke();
    ctx.fillStyle = theme.foreground;
    ctx.font = `${Math.max(9, theme.fontSize - 2)}px ${theme.fontFamily}`;
    ctx.fillText(formatNumber(hi), 2, 12);
    ctx.fillText(formatNumber(lo), 2, height - 20);
    ctx.fillText(`step ${x0}`, AXIS_PX, height - 4);
    const end = `step ${xs[xs.length - 1]}`;
    ctx.fillText(end, width - ctx.measureText(end).width - 4, height - 4);
  }

  private tableRows(): { head: string[]; rows: TableRow[] } {
    if (!this.shown || this.bands.length < 9) return { head: [], rows: [] };
    const steps = this.bands[4]!.points;
    return {
      head: ['Step', 'Min', '16 %', 'Median', '84 %', 'Max'],
      rows: steps.map((p, i) => ({ cells: [String(p.x), ...[0, 2, 4, 6, 8].map((q) => formatNumber(this.bands[q]!.points[i]?.y))] })),
    };
  }
}
