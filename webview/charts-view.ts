// All charts, fed from the store. Each layer keeps its colour (and dash), given by its position in the
// model, across the per-layer charts and the histogram; the previous run
// is drawn with the same colours, faded, so the effect of a fix is visible at a glance.
import type { Finding } from '../src/shared/protocol';
import { el } from './dom';
import type { BandOptions } from './charts/bands-plugin';
import { ChartCard } from './charts/chart-card';
import { HistogramChart } from './charts/histogram-chart';
import { readTheme, seriesColor, seriesDash, withAlpha, type ChartTheme } from './charts/theme';
import { PREVIOUS_PREFIX, TimeSeriesChart, type LineSeries } from './charts/time-series-chart';
import { setupCharts } from './charts/setup';
import type { Series } from './series';
import type { BatchNormHistory, LayerHistory, PanelStore, RunData } from './store';

/** Default shading when the run has no gradient finding carrying its own threshold. */
export const VANISHING_BELOW = 1e-6;
export const EXPLODING_ABOVE = 1e3;
const FADED_ALPHA = 0.35;
const SCREEN_MARGIN_PX = 150;

export class ChartsView {
  readonly root: HTMLElement;
  private theme: ChartTheme;
  private readonly loss: TimeSeriesChart;
  private gradNorm: TimeSeriesChart;
  private readonly updateRatio: TimeSeriesChart;
  private readonly ratios: TimeSeriesChart;
  private readonly batchNorm: TimeSeriesChart;
  private readonly histogram: HistogramChart;
  private readonly histogramLayer = el('select', { id: 'histogram-layer', 'aria-label': 'Layer whose gradient histogram is shown' });
  private bands: string;
  /** Only cards on (or near) the screen are redrawn; the others catch up when scrolled into view. */
  private readonly onScreen = new Map<Element, boolean>();
  private readonly visibility = new IntersectionObserver(
    (entries) => {
      for (const e of entries) this.onScreen.set(e.target, e.isIntersecting);
      if (entries.some((e) => e.isIntersecting)) this.onShown?.();
    },
    { rootMargin: `${SCREEN_MARGIN_PX}px` },
  );
  /** Set by the app: a card came into view and needs its data drawn. */
  onShown: (() => void) | null = null;

  constructor() {
    this.theme = readTheme();
    setupCharts(this.theme);
    const card = (id: string, title: string, description: string) => new ChartCard(id, title, description);
    this.loss = new TimeSeriesChart(card('chart-loss', 'Loss and accuracy', 'Training loss per step and validation loss per epoch (left axis); accuracy per epoch (right axis).'), {
      log: false,
      yTitle: 'loss',
      secondAxis: { title: 'accuracy', range: [0, 1] },
    });
    this.bands = '';
    this.gradNorm = this.makeGradNorm([VANISHING_BELOW, EXPLODING_ABOVE]);
    this.updateRatio = new TimeSeriesChart(card('chart-update-ratio', 'Update / weight ratio', 'How much each step changes a layer’s weights, relative to their size (log scale); around 1e-3 is typical.'), {
      log: true,
      yTitle: '‖ΔW‖ / ‖W‖',
    });
    this.ratios = new TimeSeriesChart(card('chart-ratios', 'Dead and saturated units', 'Share of dead units in ReLU-family layers (solid) and of saturated outputs in sigmoid/tanh layers (dashed).'), {
      log: false,
      yTitle: 'share of units',
      fixed: [0, 1],
    });
    this.batchNorm = new TimeSeriesChart(card('chart-batchnorm', 'Batch-norm statistics', 'Per norm layer: batch against running mean and variance, and the mean of gamma and beta.'), {
      log: false,
      yTitle: 'value',
    });
    this.histogram = new HistogramChart(card('chart-histogram', 'Gradient histogram', 'The latest distribution of |gradient| over the weights of the chosen layer.'));
    this.histogram.card.controls.append(el('label', { for: 'histogram-layer' }, 'Layer'), this.histogramLayer);
    this.histogramLayer.addEventListener('change', () => this.onHistogramLayer?.(Number(this.histogramLayer.value)));
    this.root = el('section', { class: 'charts', 'aria-label': 'Charts' });
    this.appendCards();
  }

  /** Set by the app: the user picked another histogram layer (it becomes the selected layer). */
  onHistogramLayer: ((position: number) => void) | null = null;
  /** The layer selected anywhere in the panel (store.selected), as of the last invalidate. */
  private selected: number | null = null;

  private appendCards(): void {
    const cards = [this.loss, this.gradNorm, this.updateRatio, this.ratios, this.batchNorm, this.histogram].map((c) => c.card.root);
    this.root.replaceChildren(...cards);
    cards.forEach((c) => this.visibility.observe(c));
  }

  /** The charts were hidden and are shown again: what the observer last said no longer holds. */
  forgetVisibility(): void {
    this.onScreen.clear();
  }

  /** From the observer, or measured (a forced layout) until its first report, which comes a frame late. */
  private shown(chart: { card: ChartCard }): boolean {
    const known = this.onScreen.get(chart.card.root);
    if (known !== undefined) return known;
    const r = chart.card.root.getBoundingClientRect();
    return r.width > 0 && r.bottom > -SCREEN_MARGIN_PX && r.top < window.innerHeight + SCREEN_MARGIN_PX;
  }

  private makeGradNorm([below, above]: [number, number]): TimeSeriesChart {
    const bands: BandOptions = {
      below,
      above,
      belowColor: this.theme.vanishing,
      aboveColor: this.theme.exploding,
      belowLabel: `vanishing (< ${below.toExponential(0)})`,
      aboveLabel: `exploding (> ${above.toExponential(0)})`,
    };
    this.bands = `${below},${above}`;
    return new TimeSeriesChart(new ChartCard('chart-grad-norm', 'Gradient norm per layer', 'L2 norm of each layer’s weight gradient over steps (log scale), with the vanishing and exploding regions shaded.'), {
      log: true,
      yTitle: '‖∇W‖',
      bands,
    });
  }

  /** The theme changed: read the colours again and rebuild the charts with them. */
  retheme(): void {
    this.theme = readTheme();
    setupCharts(this.theme);
    for (const c of [this.loss, this.gradNorm, this.updateRatio, this.ratios, this.batchNorm, this.histogram]) c.reset();
    this.bands = ''; // the band colours come from the theme too: rebuild that chart on the next render
  }

  /** Charts still to draw in the current pass, in page order. */
  private queue: (() => { card: ChartCard } | null)[] = [];

  get pending(): boolean {
    return this.queue.length > 0;
  }

  /** Starts a redraw pass over all charts; `drawNext` then draws them one per frame. */
  invalidate(store: PanelStore): void {
    const run = store.current;
    const prev = store.previous && run && store.previous.info.model.name === run.info.model.name ? store.previous : null;
    const waiting = run ? 'Waiting for the first measurements…' : 'No data yet: run “NN Debugger: Train Model” on a .nn.json file.';
    const probed = run !== null && run.probes > 0;
    this.selected = store.selected;
    const perLayer = (pick: (l: LayerHistory) => Series) => [...this.layerSeries(run, pick, false), ...this.layerSeries(prev, pick, true)];
    this.syncBands(run?.findings ?? []);
    const draw = <T extends { card: ChartCard }>(chart: () => T, update: (c: T) => void) => () => {
      const c = chart();
      if (!this.shown(c)) return null;
      update(c);
      return c;
    };
    this.queue = [
      draw(() => this.loss, (c) => c.update([...this.lossSeries(run, false), ...this.lossSeries(prev, true)], waiting)),
      draw(() => this.gradNorm, (c) => c.update(perLayer((l) => l.gradNorm), probed ? 'No layer has weights to measure.' : waiting)),
      draw(() => this.updateRatio, (c) => c.update(perLayer((l) => l.updateRatio), probed ? 'No layer has weights to measure.' : waiting)),
      draw(() => this.ratios, (c) => c.update([...this.ratioSeries(run, false), ...this.ratioSeries(prev, true)], probed ? 'This model has no ReLU, sigmoid or tanh layers, so there is nothing to show here.' : waiting)),
      draw(() => this.batchNorm, (c) => c.update([...this.batchNormSeries(run, false), ...this.batchNormSeries(prev, true)], probed ? 'This model has no batch-norm layers. Add one to see its statistics here.' : waiting)),
      draw(() => this.histogram, () => this.renderHistogram(run, waiting)),
    ];
  }

  /** Draws the next chart of the pass that is on screen (one per frame keeps every frame short). */
  drawNext(): void {
    while (this.queue.length > 0) if (this.queue.shift()!() !== null) return;
  }

  /** Draws every chart now (the user picked another histogram layer). */
  render(store: PanelStore): void {
    this.invalidate(store);
    while (this.pending) this.drawNext();
  }

  /** Shade the bands at the thresholds the diagnosis actually used, when a finding reports them. */
  private syncBands(findings: Finding[]): void {
    const threshold = (code: string, fallback: number) => findings.find((f) => f.code === code && Number.isFinite(f.evidence.threshold) && f.evidence.threshold > 0)?.evidence.threshold ?? fallback;
    const wanted: [number, number] = [threshold('vanishing-gradients', VANISHING_BELOW), threshold('exploding-gradients', EXPLODING_ABOVE)];
    if (`${wanted[0]},${wanted[1]}` === this.bands) return;
    this.gradNorm.reset();
    const next = this.makeGradNorm(wanted);
    this.visibility.unobserve(this.gradNorm.card.root);
    this.onScreen.delete(this.gradNorm.card.root);
    this.gradNorm.card.root.replaceWith(next.card.root);
    this.visibility.observe(next.card.root);
    this.gradNorm = next;
  }

  private style(i: number, faded: boolean, dashOverride?: number[]): Pick<LineSeries, 'color' | 'dash' | 'faded'> {
    const color = seriesColor(this.theme, i);
    return { color: faded ? withAlpha(color, FADED_ALPHA) : color, dash: dashOverride ?? seriesDash(this.theme, i), faded };
  }

  private label(faded: boolean, text: string): string {
    return faded ? `${PREVIOUS_PREFIX}${text}` : text;
  }

  private lossSeries(run: RunData | null, faded: boolean): LineSeries[] {
    if (!run) return [];
    const s = (key: string, label: string, series: Series, i: number, axis: 'y' | 'y2', dash?: number[]): LineSeries => ({
      key: `${faded ? 'prev' : 'cur'}:${key}`,
      label: this.label(faded, label),
      points: series.points,
      axis,
      ...this.style(i, faded, dash),
    });
    return [
      s('loss', 'train loss', run.loss, 0, 'y'),
      s('val-loss', 'validation loss', run.valLoss, 1, 'y'),
      s('acc', 'train accuracy', run.trainAccuracy, 2, 'y2', [4, 3]),
      s('val-acc', 'validation accuracy', run.valAccuracy, 3, 'y2', [4, 3]),
    ].filter((x) => x.points.length > 0);
  }

  private layerSeries(run: RunData | null, pick: (l: LayerHistory) => Series, faded: boolean): LineSeries[] {
    if (!run) return [];
    return run.layers
      .map((l, i) => ({ key: `${faded ? 'prev' : 'cur'}:${l.position}`, label: this.label(faded, `${l.name} (${l.kind})`), points: pick(l).points, ...this.style(i, faded) }))
      .filter((s) => s.points.length > 0);
  }

  private ratioSeries(run: RunData | null, faded: boolean): LineSeries[] {
    if (!run) return [];
    const out: LineSeries[] = [];
    run.layers.forEach((l, i) => {
      if (l.dead.points.length > 0) out.push({ key: `${faded}:dead:${l.position}`, label: this.label(faded, `${l.name} dead`), points: l.dead.points, ...this.style(i, faded, []) });
      if (l.saturation.points.length > 0) out.push({ key: `${faded}:sat:${l.position}`, label: this.label(faded, `${l.name} saturated`), points: l.saturation.points, ...this.style(i, faded, [6, 3]) });
    });
    return out;
  }

  private batchNormSeries(run: RunData | null, faded: boolean): LineSeries[] {
    if (!run) return [];
    const parts: [keyof BatchNormHistory, string, number[]][] = [
      ['batchMean', 'batch mean', []],
      ['runningMean', 'running mean', [6, 3]],
      ['batchVar', 'batch var', []],
      ['runningVar', 'running var', [6, 3]],
      ['gammaMean', 'gamma mean', [2, 2]],
      ['betaMean', 'beta mean', [8, 3, 2, 3]],
    ];
    const out: LineSeries[] = [];
    let colour = 0;
    for (const l of run.layers) {
      if (!l.batchNorm) continue;
      parts.forEach(([key, text, dash], j) => {
        // Batch and running values of one statistic share a colour; the dash tells them apart. (Norm
        // layers are few, so here colours follow the statistic rather than the layer.)
        const i = colour + Math.floor(j / 2);
        out.push({ key: `${faded}:bn:${l.position}:${key}`, label: this.label(faded, `${l.name} ${text}`), points: l.batchNorm![key].points, ...this.style(i, faded, dash) });
      });
      colour += 3;
    }
    return out;
  }

  private renderHistogram(run: RunData | null, waiting: string): void {
    const layers = run?.layers.filter((l) => l.latest?.histogram) ?? [];
    const options = layers.map((l) => `${l.position}`).join(',');
    if (this.histogramLayer.dataset.options !== options) {
      const selected = this.histogramLayer.value;
      this.histogramLayer.replaceChildren(...layers.map((l) => el('option', { value: String(l.position) }, `${l.name} (${l.kind})`)));
      this.histogramLayer.dataset.options = options;
      if (layers.some((l) => String(l.position) === selected)) this.histogramLayer.value = selected;
    }
    // a layer selected elsewhere (the network diagram, the distributions) is shown here too
    if (layers.some((l) => l.position === this.selected)) this.histogramLayer.value = String(this.selected);
    const chosen = layers.find((l) => String(l.position) === this.histogramLayer.value) ?? layers[0] ?? null;
    const colour = chosen && run ? run.layers.indexOf(chosen) : 0;
    this.histogram.update(chosen?.name ?? null, chosen?.latest?.histogram ?? null, seriesColor(this.theme, colour), run && run.probes > 0 ? 'No layer reported a gradient histogram.' : waiting);
  }
}
