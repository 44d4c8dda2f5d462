// The decision boundary of a 2-input model: the predicted class over the input plane (class colour,
// confidence as intensity; a two-colour scale for regression), training points as dots and validation
// points as squares on top; optionally the previous run's boundary beside it.
import { el } from '../dom';
import { ChartCard, type TableRow } from '../charts/chart-card';
import { seriesColor, withAlpha, type ChartTheme } from '../charts/theme';
import { formatNumber, formatPercent } from '../../src/shared/format';
import type { DecisionBoundary, PlanePoints, VisualSnapshot } from '../../src/shared/protocol';
import type { PanelStore, RunData } from '../store';
import { fitCanvas } from './canvas';

const GAP_PX = 12;

interface Plane {
  title: string;
  boundary: DecisionBoundary;
  points: PlanePoints | null;
}

const firstPoints = (run: RunData): PlanePoints | null => run.pictures.find((p) => p.points)?.points ?? null;
const latest = (run: RunData): VisualSnapshot | undefined => run.pictures.at(-1);

export class BoundaryView {
  readonly card = new ChartCard('view-boundary', 'Decision boundary', 'What the model predicts over the input plane (colour: class, intensity: confidence), with training points (dots) and validation points (squares), as it learns.');
  private readonly showVal = el('input', { type: 'checkbox', id: 'boundary-val', checked: true });
  private readonly compare = el('input', { type: 'checkbox', id: 'boundary-compare' });
  private planes: Plane[] = [];
  onChange: (() => void) | null = null;

  constructor() {
    this.card.controls.append(
      el('label', { for: 'boundary-val' }, this.showVal, ' Validation points'),
      el('label', { for: 'boundary-compare' }, this.compare, ' Previous run beside it'),
    );
    for (const box of [this.showVal, this.compare]) box.addEventListener('change', () => this.onChange?.());
    this.card.setTableSource(() => this.tableRows());
  }

  /** Whether the run has a plane to draw (2 input features). */
  static applies(store: PanelStore): boolean {
    return store.current?.pictures.some((p) => p.boundary) ?? false;
  }

  render(store: PanelStore, theme: ChartTheme): void {
    const run = store.current;
    const now = run && latest(run);
    if (!run || !now?.boundary) {
      this.card.setEmpty('The decision boundary appears for models with two input features once training starts.');
      return;
    }
    this.planes = [{ title: `step ${now.step}`, boundary: now.boundary, points: firstPoints(run) }];
    const before = store.previous && latest(store.previous);
    this.compare.disabled = !before?.boundary;
    if (this.compare.checked && before?.boundary) this.planes.unshift({ title: `previous run, step ${before.step}`, boundary: before.boundary, points: firstPoints(store.previous!) });
    this.card.setEmpty(null);
    this.draw(theme);
    this.card.setSummary(this.summary());
    this.card.refreshTable();
  }

  private draw(theme: ChartTheme): void {
    const fit = fitCanvas(this.card.canvas);
    if (!fit) return;
    const { ctx, width, height } = fit;
    const side = Math.min(height - 18, (width - GAP_PX * (this.planes.length - 1)) / this.planes.length);
    ctx.font = `${theme.fontSize}px ${theme.fontFamily}`;
    ctx.fillStyle = theme.foreground;
    this.planes.forEach((plane, k) => {
      const x0 = k * (side + GAP_PX);
      drawCells(ctx, plane.boundary, x0, 0, side, theme);
      if (plane.points) drawPoints(ctx, plane, x0, side, theme, this.showVal.checked);
      ctx.strokeStyle = theme.grid;
      ctx.strokeRect(x0 + 0.5, 0.5, side - 1, side - 1);
      ctx.fillStyle = theme.foreground;
      ctx.fillText(plane.title, x0, side + 14);
    });
  }

  private summary(): string {
    const b = this.planes.at(-1)!.boundary;
    if (b.classes === 0) return `predicted values from ${formatNumber(Math.min(...b.value))} to ${formatNumber(Math.max(...b.value))} over the plane`;
    return shares(b).map((s, c) => `class ${c}: ${formatPercent(s)} of the plane`).join(', ');
  }

  private tableRows(): { head: string[]; rows: TableRow[] } {
    const plane = this.planes.at(-1);
    if (!plane) return { head: [], rows: [] };
    const b = plane.boundary;
    if (b.classes === 0) return { head: ['Predicted value', 'Where'], rows: [{ cells: ['minimum', formatNumber(Math.min(...b.value))] }, { cells: ['maximum', formatNumber(Math.max(...b.value))] }] };
    const agree = plane.points ? agreement(b, plane.points) : null;
    return {
      head: ['Class', 'Share of the plane', 'Training points predicted right'],
      rows: shares(b).map((s, c) => ({ cells: [String(c), formatPercent(s), agree ? formatPercent(agree[c]) : '–'] })),
    };
  }
}

function shares(b: DecisionBoundary): number[] {
  const out = new Array<number>(Math.max(b.classes, 1)).fill(0);
  for (const v of b.value) out[v] = (out[v] ?? 0) + 1 / b.value.length;
  return out;
}

/** The cell under a point of the plane. */
function cellOf(b: DecisionBoundary, x: number, y: number): number {
  const i = Math.min(b.size - 1, Math.max(0, Math.floor(((x - b.x[0]) / (b.x[1] - b.x[0])) * b.size)));
  const j = Math.min(b.size - 1, Math.max(0, Math.floor(((y - b.y[0]) / (b.y[1] - b.y[0])) * b.size)));
  return j * b.size + i;
}

/** Per class, the share of its training points that fall in a cell predicted as that class. */
function agreement(b: DecisionBoundary, p: PlanePoints): number[] {
  const hit = new Array<number>(b.classes).fill(0);
  const all = new Array<number>(b.classes).fill(0);
  p.trainLabels.forEach((label, k) => {
    all[label]++;
    if (b.value[cellOf(b, p.train[2 * k]!, p.train[2 * k + 1]!)] === label) hit[label]++;
  });
  return hit.map((h, c) => (all[c] ? h / all[c]! : NaN));
}

function valueRange(values: number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) if (Number.isFinite(v)) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  return hi > lo ? [lo, hi] : [lo - 1, lo + 1];
}

/** Regression values run from the theme's blue (low) to its red (high). */
function regressionColor(theme: ChartTheme, t: number): string {
  return t < 0.5 ? withAlpha(theme.vanishing, 0.75 - t) : withAlpha(theme.exploding, t - 0.25);
}

function drawCells(ctx: CanvasRenderingContext2D, b: DecisionBoundary, x0: number, y0: number, side: number, theme: ChartTheme): void {
  const cell = side / b.size;
  const [lo, hi] = b.classes === 0 ? valueRange(b.value) : [0, 1];
  for (let j = 0; j < b.size; j++) {
    for (let i = 0; i < b.size; i++) {
      const c = j * b.size + i;
      if (b.classes === 0) ctx.fillStyle = regressionColor(theme, (b.value[c]! - lo) / (hi - lo));
      else {
        const floor = 1 / b.classes;
        const strength = Math.max(0, ((b.confidence?.[c] ?? 1) - floor) / (1 - floor));
        ctx.fillStyle = withAlpha(seriesColor(theme, b.value[c]!), 0.12 + 0.5 * strength);
      }
      // row 0 is the bottom of the plane
      ctx.fillRect(x0 + i * cell, y0 + (b.size - 1 - j) * cell, Math.ceil(cell), Math.ceil(cell));
    }
  }
}

function drawPoints(ctx: CanvasRenderingContext2D, plane: Plane, x0: number, side: number, theme: ChartTheme, withVal: boolean): void {
  const { boundary: b, points } = plane;
  if (!points) return;
  const [lo, hi] = b.classes === 0 ? valueRange(points.trainLabels) : [0, 1];
  const at = (x: number, y: number): [number, number] => [x0 + ((x - b.x[0]) / (b.x[1] - b.x[0])) * side, side - ((y - b.y[0]) / (b.y[1] - b.y[0])) * side];
  const color = (label: number) => (b.classes === 0 ? regressionColor(theme, (label - lo) / (hi - lo)) : seriesColor(theme, label));
  ctx.lineWidth = 1;
  ctx.strokeStyle = theme.foreground;
  points.trainLabels.forEach((label, k) => {
    const [px, py] = at(points.train[2 * k]!, points.train[2 * k + 1]!);
    ctx.fillStyle = color(label);
    ctx.beginPath();
    ctx.arc(px, py, 2.5, 0, 2 * Math.PI);
    ctx.fill();
    ctx.stroke();
  });
  if (!withVal) return;
  points.valLabels.forEach((label, k) => {
    const [px, py] = at(points.val[2 * k]!, points.val[2 * k + 1]!);
    ctx.fillStyle = color(label);
    ctx.fillRect(px - 3, py - 3, 6, 6);
    ctx.strokeRect(px - 3, py - 3, 6, 6);
  });
}
