// Per-channel charts of the layers on images (conv layers and what follows them): one bar per channel for
// dead filters, saturation, filter gradient norms and update ratios, batch-norm batch against running
// statistics, output moments, and small multiples of per-channel histograms. A layer and a measure are
// picked with two labelled selects (keyboard reachable), the picture's summary is the canvas's label, and
// its numbers are in the card's table. Colours come from the theme (charts/theme.ts).
import { el } from '../dom';
import { ChartCard, type TableRow } from '../charts/chart-card';
import { readTheme, seriesColor, type ChartTheme } from '../charts/theme';
import { formatNumber, formatPercent } from '../../src/shared/format';
import { fitCanvas } from '../pictures/canvas';
import type { PanelStore } from '../store';
import { imageLayers, measuresOf, summarize, type BarMeasure, type HistogramMeasure, type ImageLayer, type Measure } from './channel-data';
import './channels.css';

const AXIS_PX = 48;
const LABEL_PX = 16;
const LEGEND_PX = 16;

export class ChannelsView {
  readonly root: HTMLElement;
  readonly card = new ChartCard('view-channels', 'Channels', 'Per-channel statistics of the layers on images at the latest probe: a conv layer’s filters, its ReLU’s dead filters, a batch norm’s batch and running statistics per channel.');
  private readonly layer = el('select', { id: 'channels-layer' });
  private readonly measure = el('select', { id: 'channels-measure' });
  private theme = readTheme();
  private shown: { layer: ImageLayer; measure: Measure } | null = null;
  /** The user picked a layer here: the app selects it everywhere. */
  onSelect: ((position: number) => void) | null = null;
  /** The user picked another measure: redraw. */
  onChange: (() => void) | null = null;

  constructor() {
    this.card.controls.append(el('label', { for: 'channels-layer' }, 'Layer'), this.layer, el('label', { for: 'channels-measure' }, 'Show'), this.measure);
    this.layer.addEventListener('change', () => this.onSelect?.(Number(this.layer.value)));
    this.measure.addEventListener('change', () => {
      this.measure.dataset.chosen = this.measure.value;
      this.onChange?.();
    });
    this.card.setTableSource(() => this.tableRows());
    this.root = el('section', { class: 'charts channels', 'aria-label': 'Channels of the layers on images', hidden: true }, this.card.root);
  }

  retheme(): void {
    this.theme = readTheme();
  }

  render(store: PanelStore): void {
    const layers = imageLayers(store);
    // models without image layers (and runs before their first probe) show no card
    this.root.hidden = layers.length === 0;
    if (layers.length === 0) {
      this.shown = null;
      return;
    }
    syncOptions(this.layer, layers.map((l) => ({ value: String(l.position), text: `${l.name} (${l.kind})${l.shape ? ` ${l.shape.join('×')}` : ''}` })));
    const chosen = layers.find((l) => l.position === store.selected) ?? layers.find((l) => String(l.position) === this.layer.value) ?? layers[0]!;
    this.layer.value = String(chosen.position);
    const measures = measuresOf(chosen.channels);
    syncOptions(this.measure, measures.map((m) => ({ value: m.key, text: m.label })));
    // the measure the user picked stays while it applies to the layer shown; else the layer's most telling one
    const measure = measures.find((m) => m.key === this.measure.dataset.chosen) ?? measures[0]!;
    this.measure.value = measure.key;
    this.shown = { layer: chosen, measure };
    this.card.setEmpty(null);
    const fit = fitCanvas(this.card.canvas);
    if (fit) {
      // the layer's colour, as in the other views; a second series (batch vs running) in the next one
      const colors = [seriesColor(this.theme, chosen.position), seriesColor(this.theme, chosen.position + 1)];
      if (measure.type === 'bars') drawBars(fit, this.theme, measure, colors);
      else drawHistograms(fit, this.theme, measure, colors[0]!);
    }
    this.card.setSummary(summarize(chosen, measure));
    this.card.refreshTable();
  }

  private tableRows(): { head: string[]; rows: TableRow[] } {
    if (!this.shown) return { head: [], rows: [] };
    const m = this.shown.measure;
    if (m.type === 'histograms') {
      return {
        head: ['Channel', `From (${m.axis})`, `To (${m.axis})`, 'Counts per bin'],
        rows: m.channels.map((c, k) => {
          const h = m.histograms[k]!;
          return { cells: [String(c), formatNumber(h.min), formatNumber(h.max), h.counts.map((n) => formatNumber(n)).join(' ')] };
        }),
      };
    }
    const text = (v: number | null) => (m.unit === 'share' ? formatPercent(v) : m.unit === 'flag' ? (v ? 'dead' : 'alive') : formatNumber(v));
    const channels = m.series[0]!.values.length;
    return {
      head: ['Channel', ...m.series.map((s) => s.name)],
      rows: Array.from({ length: channels }, (_, c) => ({ cells: [String(c), ...m.series.map((s) => text(s.values[c] ?? null))] })),
    };
  }
}

/** Replaces a select's options only when they changed (keeps focus and the open list while data streams in). */
function syncOptions(select: HTMLSelectElement, options: { value: string; text: string }[]): void {
  const key = options.map((o) => `${o.value}\u0000${o.text}`).join('\u0001');
  if (select.dataset.options === key) return;
  const value = select.value;
  select.replaceChildren(...options.map((o) => el('option', { value: o.value }, o.text)));
  select.dataset.options = key;
  if (options.some((o) => o.value === value)) select.value = value;
}

type Fit = { ctx: CanvasRenderingContext2D; width: number; height: number };

/** Grouped bars, one group per channel, from a zero baseline (means may be negative); a non-finite value is marked, not drawn. */
function drawBars({ ctx, width, height }: Fit, theme: ChartTheme, m: BarMeasure, colors: string[]): void {
  const channels = m.series[0]!.values.length;
  const finite = m.series.flatMap((s) => s.values).filter((v): v is number => v !== null && Number.isFinite(v));
  const hi = m.unit === 'number' ? Math.max(0, ...finite) : 1;
  const lo = Math.min(0, ...finite);
  const span = hi - lo || 1;
  const top = LEGEND_PX;
  const plotH = height - top - LABEL_PX;
  const py = (v: number) => top + (1 - (v - lo) / span) * plotH;
  const group = (width - AXIS_PX) / Math.max(1, channels);
  const bar = Math.max(1, (group - 2) / m.series.length);
  ctx.font = `${Math.max(9, theme.fontSize - 2)}px ${theme.fontFamily}`;
  ctx.strokeStyle = theme.grid;
  ctx.beginPath();
  ctx.moveTo(AXIS_PX, py(0) + 0.5);
  ctx.lineTo(width, py(0) + 0.5);
  ctx.stroke();
  for (let c = 0; c < channels; c++) {
    m.series.forEach((s, i) => {
      const v = s.values[c];
      const x = AXIS_PX + c * group + 1 + i * bar;
      if (v === null || v === undefined) return;
      if (!Number.isFinite(v)) {
        ctx.fillStyle = theme.exploding;
        ctx.fillText('!', x, top + 10);
        return;
      }
      const y0 = py(Math.max(0, v));
      const y1 = py(Math.min(0, v));
      ctx.fillStyle = colors[i % colors.length]!;
      ctx.fillRect(x, y0, Math.max(1, bar - 1), Math.max(1, y1 - y0));
      if (theme.highContrast) {
        ctx.strokeStyle = theme.foreground;
        ctx.strokeRect(x, y0, Math.max(1, bar - 1), Math.max(1, y1 - y0));
      }
    });
  }
  ctx.fillStyle = theme.foreground;
  const every = Math.max(1, Math.ceil(channels / Math.max(1, Math.floor((width - AXIS_PX) / 24))));
  for (let c = 0; c < channels; c += every) ctx.fillText(String(c), AXIS_PX + c * group + 1, height - 3);
  const tick = (v: number) => (m.unit === 'share' ? formatPercent(v) : m.unit === 'flag' ? (v ? 'dead' : '') : formatNumber(v));
  ctx.fillText(tick(hi), 2, top + 9);
  if (lo < 0) ctx.fillText(formatNumber(lo), 2, height - LABEL_PX);
  let x = AXIS_PX;
  m.series.forEach((s, i) => {
    ctx.fillStyle = colors[i % colors.length]!;
    ctx.fillRect(x, 3, 10, 10);
    ctx.fillStyle = theme.foreground;
    ctx.fillText(s.name, x + 14, 12);
    x += 24 + ctx.measureText(s.name).width;
  });
}

/** Small multiples: one histogram per channel shown, labelled with its channel. */
function drawHistograms({ ctx, width, height }: Fit, theme: ChartTheme, m: HistogramMeasure, color: string): void {
  const n = m.histograms.length;
  const cols = Math.max(1, Math.min(n, Math.ceil(Math.sqrt((n * width) / height))));
  const rows = Math.ceil(n / cols);
  const cw = width / cols;
  const ch = height / rows;
  ctx.font = `${Math.max(9, theme.fontSize - 3)}px ${theme.fontFamily}`;
  m.histograms.forEach((h, k) => {
    const x0 = (k % cols) * cw + 2;
    const y0 = Math.floor(k / cols) * ch;
    const plotH = ch - 14;
    const peak = Math.max(1, ...h.counts);
    const bw = (cw - 6) / h.counts.length;
    ctx.fillStyle = color;
    h.counts.forEach((c, i) => {
      const bh = (c / peak) * (plotH - 2);
      if (bh > 0) ctx.fillRect(x0 + i * bw, y0 + plotH - bh, Math.max(1, bw - 0.5), bh);
    });
    ctx.strokeStyle = theme.grid;
    ctx.strokeRect(x0 - 1.5, y0 + 0.5, cw - 3, plotH);
    ctx.fillStyle = theme.foreground;
    ctx.fillText(`ch ${m.channels[k]}`, x0, y0 + ch - 3);
  });
}
