// Activation distributions layer by layer, side by side from the first layer to the last: the newest
// histogram of each layer's outputs filled, the first picture's drawn as an outline. With a bad
// initialisation the picture shows the collapse (to zero, or to the flat ends of a tanh) layer by layer.
import { el } from '../dom';
import { ChartCard, type TableRow } from '../charts/chart-card';
import { seriesColor, withAlpha, type ChartTheme } from '../charts/theme';
import { formatNumber } from '../../src/shared/format';
import type { LayerPicture, ValueHistogram } from '../../src/shared/protocol';
import type { PanelStore } from '../store';
import { fitCanvas } from './canvas';

const LABEL_PX = 30;

interface Panel {
  now: LayerPicture;
  first: LayerPicture | null;
}

/** Mean and standard deviation of the values a histogram describes (bin centres). */
export function histogramMoments(h: ValueHistogram): { mean: number; std: number } {
  const width = (h.max - h.min) / h.counts.length;
  let n = 0;
  let s = 0;
  let q = 0;
  h.counts.forEach((c, i) => {
    const x = width > 0 ? h.min + (i + 0.5) * width : h.min;
    n += c;
    s += c * x;
    q += c * x * x;
  });
  const mean = n ? s / n : NaN;
  return { mean, std: n ? Math.sqrt(Math.max(0, q / n - mean * mean)) : NaN };
}

export class ActivationsView {
  readonly card = new ChartCard('view-activations', 'Activation distributions', 'Each layer’s outputs over the last training batch, first layer to last: filled now, outlined at the first picture. Collapsing or saturating distributions show a bad initialisation at a glance.');
  private readonly pre = el('input', { type: 'checkbox', id: 'activations-pre' });
  private panels: Panel[] = [];
  onChange: (() => void) | null = null;

  constructor() {
    this.card.controls.append(el('label', { for: 'activations-pre' }, this.pre, ' Pre-activations (dense outputs)'));
    this.pre.addEventListener('change', () => this.onChange?.());
    this.card.setTableSource(() => this.tableRows());
  }

  render(store: PanelStore, theme: ChartTheme): void {
    const pictures = store.current?.pictures ?? [];
    const now = pictures.at(-1);
    if (!now) {
      this.card.setEmpty('Activation distributions appear once training starts.');
      return;
    }
    const first = pictures.length > 1 ? pictures[0]! : null;
    this.panels = now.layers
      .filter((l) => l.output && (this.pre.checked || l.kind !== 'dense'))
      .map((l) => ({ now: l, first: first?.layers.find((f) => f.position === l.position) ?? null }));
    if (this.panels.length === 0) {
      this.card.setEmpty('This model has no activation layer to show; tick “Pre-activations”.');
      return;
    }
    this.card.setEmpty(null);
    this.draw(theme, store.selected);
    this.card.setSummary(this.panels.map((p) => {
      const m = histogramMoments(p.now.output!);
      return `${p.now.name} (${p.now.kind}) mean ${formatNumber(m.mean)} std ${formatNumber(m.std)}`;
    }).join('; '));
    this.card.refreshTable();
  }

  private draw(theme: ChartTheme, selected: number | null): void {
    const fit = fitCanvas(this.card.canvas);
    if (!fit) return;
    const { ctx, width, height } = fit;
    const w = width / this.panels.length;
    const plotH = height - LABEL_PX;
    ctx.font = `${Math.max(9, theme.fontSize - 2)}px ${theme.fontFamily}`;
    this.panels.forEach((p, k) => {
      const x0 = k * w + 2;
      const color = seriesColor(theme, p.now.position);
      const h = p.now.output!;
      const peak = Math.max(...h.counts, ...(p.first?.output?.counts ?? []), 1);
      bars(h, x0, plotH, w - 6, peak, (x, y, bw, bh) => {
        ctx.fillStyle = withAlpha(color, 0.7);
        ctx.fillRect(x, y, bw, bh);
      });
      const before = p.first?.output;
      if (before) {
        ctx.strokeStyle = theme.foreground;
        ctx.setLineDash([2, 2]);
        bars(before, x0, plotH, w - 6, peak, (x, y, bw, bh) => ctx.strokeRect(x, y, bw, bh));
        ctx.setLineDash([]);
      }
      if (p.now.position === selected) {
        ctx.strokeStyle = theme.foreground;
        ctx.strokeRect(x0 - 1.5, 0.5, w - 3, height - 1);
      }
      ctx.fillStyle = theme.foreground;
      ctx.fillText(clip(`${p.now.name}`, w), x0, plotH + 12);
      ctx.fillText(clip(`${formatNumber(h.min, 2)} … ${formatNumber(h.max, 2)}`, w), x0, plotH + 25);
    });
  }

  private tableRows(): { head: string[]; rows: TableRow[] } {
    return {
      head: ['Layer', 'Kind', 'Mean now', 'Std now', 'Std at first picture', 'Range now'],
      rows: this.panels.map((p) => {
        const m = histogramMoments(p.now.output!);
        const f = p.first?.output ? histogramMoments(p.first.output).std : null;
        return { cells: [p.now.name, p.now.kind, formatNumber(m.mean), formatNumber(m.std), formatNumber(f), `${formatNumber(p.now.output!.min)} to ${formatNumber(p.now.output!.max)}`] };
      }),
    };
  }
}

/** Bars of a histogram in a box of `width` x `height` at x0, scaled so `peak` fills the height. */
function bars(h: ValueHistogram, x0: number, height: number, width: number, peak: number, draw: (x: number, y: number, w: number, h: number) => void): void {
  const bw = width / h.counts.length;
  h.counts.forEach((c, i) => {
    const bh = (c / peak) * (height - 4);
    if (bh > 0) draw(x0 + i * bw, height - bh, Math.max(1, bw - 1), bh);
  });
}

function clip(text: string, width: number): string {
  const max = Math.max(4, Math.floor(width / 6.5));
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
