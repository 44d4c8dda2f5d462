// The network as a diagram: a column of units per stage (the inputs, then each weighted layer's outputs
// after its activation), links coloured by the sign of each weight and drawn wider for larger ones, units
// shaded by how much of the batch finds them stuck (inactive ReLU, saturated sigmoid/tanh). Layers wider
// than MAX_DRAWN_UNITS show as one summary bar. Each column is a button that selects its layer everywhere.
import { el } from '../dom';
import { seriesColor, withAlpha, type ChartTheme } from '../charts/theme';
import { formatNumber, formatPercent } from '../../src/shared/format';
import type { LayerPicture, ModelSummary, VisualSnapshot } from '../../src/shared/protocol';
import type { PanelStore } from '../store';

const SVG = 'http://www.w3.org/2000/svg';
/** As the engine's pictures: wider layers are summarised. */
const MAX_DRAWN_UNITS = 32;
const HEIGHT = 260;
const UNIT_R = 5;

interface Stage {
  /** The weighted layer whose outputs this column shows (null: the inputs). */
  position: number | null;
  name: string;
  units: number;
  weights: number[] | null;
  state: LayerPicture['units'];
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, ...children: (Node | string)[]): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  for (const c of children) node.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return node;
}

/**
 * Inputs, then every layer with a weight matrix; its units are shaded by the first activation after it
 * (past any norm or dropout layer) that can leave units stuck.
 */
export function stages(model: ModelSummary, picture: VisualSnapshot): Stage[] {
  const out: Stage[] = [{ position: null, name: 'inputs', units: model.inputs, weights: null, state: null }];
  const layers = [...picture.layers].sort((a, b) => a.position - b.position);
  layers.forEach((p, k) => {
    if (!p.weighted) return;
    const next = layers.slice(k + 1);
    const end = next.findIndex((l) => l.weighted);
    const activation = (end < 0 ? next : next.slice(0, end)).find((l) => l.units?.stuckMeans);
    const units = model.layers.find((l) => l.position === p.position)?.outputSize ?? 0;
    out.push({ position: p.position, name: p.name, units, weights: p.weights, state: activation?.units ?? p.units });
  });
  return out;
}

/**
 * A ReLU unit is off for part of every batch, normally about half: only a unit stuck for most of the batch
 * is coloured, fully when it is stuck for all of it (dead, or saturated throughout).
 */
function stuckFill(theme: ChartTheme, stuck: number): string {
  if (stuck <= 0.5) return withAlpha(theme.foreground, 0.15);
  const t = (stuck - 0.5) / 0.5;
  return withAlpha(theme.exploding, 0.15 + 0.85 * t * t);
}

export class NetworkView {
  readonly root: HTMLElement;
  private readonly figure: SVGSVGElement;
  private readonly empty = el('p', { class: 'chart-empty' });
  /** The user picked a layer: the app selects it everywhere. */
  onSelect: ((position: number) => void) | null = null;

  constructor() {
    this.figure = svg('svg', { id: 'view-network-svg', role: 'group', 'aria-label': 'Network diagram', height: HEIGHT, width: '100%' });
    this.root = el(
      'figure',
      { class: 'chart-card', id: 'view-network', 'aria-labelledby': 'view-network-title' },
      el('div', { class: 'chart-head' }, el('h3', { id: 'view-network-title' }, 'Network')),
      el('p', { class: 'chart-desc' }, 'Units by layer; links coloured by weight sign and sized by magnitude; a unit turns red as it stays stuck (inactive or saturated) for more of the batch, solid when it is stuck for all of it. Select a layer with a click or Enter.'),
      this.figure,
      this.empty,
    );
  }

  render(store: PanelStore, theme: ChartTheme): void {
    const run = store.current;
    const picture = run?.pictures.at(-1);
    if (!run || !picture) {
      this.figure.replaceChildren();
      this.empty.hidden = false;
      this.empty.textContent = 'The network diagram appears once training starts.';
      return;
    }
    this.empty.hidden = true;
    this.draw(stages(run.info.model, picture), theme, store.selected);
  }

  private draw(all: Stage[], theme: ChartTheme, selected: number | null): void {
    const width = this.figure.clientWidth || 600;
    const colX = (k: number) => 30 + (k * (width - 60)) / Math.max(1, all.length - 1);
    const unitY = (j: number, n: number) => 20 + ((j + 0.5) * (HEIGHT - 50)) / n;
    const links = svg('g', { class: 'links' });
    const columns: SVGGElement[] = [];
    all.forEach((stage, k) => {
      const prev = all[k - 1];
      if (prev && stage.weights && prev.units <= MAX_DRAWN_UNITS && stage.units <= MAX_DRAWN_UNITS) {
        const max = Math.max(...stage.weights.map(Math.abs), 1e-12);
        for (let i = 0; i < prev.units; i++) {
          for (let j = 0; j < stage.units; j++) {
            const w = stage.weights[i * stage.units + j]!;
            const s = Math.abs(w) / max;
            links.append(svg('line', {
              x1: colX(k - 1), y1: unitY(i, prev.units), x2: colX(k), y2: unitY(j, stage.units),
              stroke: withAlpha(seriesColor(theme, w >= 0 ? 0 : 1), 0.15 + 0.75 * s), 'stroke-width': 0.4 + 2.6 * s,
            }));
          }
        }
      }
      columns.push(this.column(stage, colX(k), unitY, theme, stage.position !== null && stage.position === selected));
    });
    this.figure.replaceChildren(links, ...columns);
  }

  private column(stage: Stage, x: number, unitY: (j: number, n: number) => number, theme: ChartTheme, selected: boolean): SVGGElement {
    const label = stage.position === null ? `${stage.units} inputs` : `${stage.name}: ${stage.units} units`;
    const g = svg('g', { class: 'network-column', 'aria-label': label, ...(stage.position !== null ? { tabindex: 0, role: 'button', 'aria-pressed': String(selected) } : {}) });
    // the whole column answers a click, not only its unit circles
    g.append(svg('rect', { x: x - 14, y: 10, width: 28, height: HEIGHT - 10, fill: 'transparent', 'pointer-events': 'all' }));
    if (stage.units > MAX_DRAWN_UNITS) {
      const stuck = stage.state ? stage.state.stuck.reduce((a, b) => a + b, 0) / stage.state.stuck.length : 0;
      g.append(svg('rect', { x: x - 7, y: 20, width: 14, height: HEIGHT - 50, rx: 3, fill: stuckFill(theme, stuck), stroke: theme.foreground }, svg('title', {}, `${label}${stage.state ? `, stuck for ${formatPercent(stuck)} of the batch on average` : ''}`)));
    } else {
      for (let j = 0; j < stage.units; j++) {
        const stuck = stage.state?.stuck[j] ?? 0;
        const what = stage.state?.stuckMeans === 'saturated' ? 'saturated' : 'inactive';
        const title = stage.state
          ? `${stage.name} unit ${j}: mean ${formatNumber(stage.state.mean[j])}, std ${formatNumber(stage.state.std[j])}, ${what} for ${formatPercent(stuck)} of the batch`
          : `${stage.name === 'inputs' ? 'input' : stage.name} ${j}`;
        g.append(svg('circle', {
          cx: x, cy: unitY(j, stage.units), r: UNIT_R,
          fill: stuckFill(theme, stuck),
          stroke: theme.foreground, 'stroke-width': 1, 'data-stuck': stuck.toFixed(3),
        }, svg('title', {}, title)));
      }
    }
    g.append(svg('text', { x, y: HEIGHT - 8, 'text-anchor': 'middle', fill: theme.foreground, 'font-size': 11, 'font-weight': selected ? 'bold' : 'normal' }, stage.position === null ? 'inputs' : stage.name));
    if (stage.position !== null) {
      const position = stage.position;
      g.addEventListener('click', () => this.onSelect?.(position));
      g.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          this.onSelect?.(position);
        }
      });
    }
    return g;
  }
}
