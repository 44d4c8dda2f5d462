// A live line chart over training steps. Data arrays are the store's own point arrays (no copies); the
// y-axis follows the recent part of the history, not all-time extremes, so a large early gradient does not
// make today's healthy values look vanishing.
import { Chart, Ticks, type ChartDataset, type Scale, type Tick } from 'chart.js';
import { formatNumber } from '../../src/shared/format';
import type { Point } from '../series';
import { bandsPlugin, type BandOptions } from './bands-plugin';
import { ChartCard, type TableRow } from './chart-card';

export interface LineSeries {
  key: string;
  label: string;
  points: Point[];
  color: string;
  dash: number[];
  /** The previous run, drawn faded for comparison and left out of the legend and the y-range. */
  faded: boolean;
  axis?: 'y' | 'y2';
}

export interface TimeSeriesOptions {
  log: boolean;
  yTitle: string;
  /** A fixed y-range (ratios, accuracy) instead of the recent range. */
  fixed?: [number, number];
  secondAxis?: { title: string; range: [number, number] };
  bands?: BandOptions;
}

/** The share of the step range, counted back from the latest step, that sets the y-axis range. */
export const RECENT_FRACTION = 0.5;
/** Points drawn per line: about one per two pixels of a chart card, whatever the history length. */
const DECIMATED_POINTS = 240;

export class TimeSeriesChart {
  private chart: Chart<'line', Point[]> | null = null;
  private keys = '';
  private series: LineSeries[] = [];

  constructor(
    readonly card: ChartCard,
    private readonly options: TimeSeriesOptions,
  ) {
    card.setTableSource(() => this.tableRows());
  }

  update(series: LineSeries[], emptyMessage: string | null): void {
    this.series = series;
    const hasData = series.some((s) => !s.faded && s.points.length > 0);
    const message = hasData ? null : emptyMessage;
    this.card.setEmpty(message);
    if (message !== null) return;
    const chart = (this.chart ??= this.create());
    const keys = series.map((s) => s.key).join('\n');
    if (keys !== this.keys) {
      chart.data.datasets = series.map((s) => this.dataset(s));
      this.keys = keys;
    } else {
      series.forEach((s, i) => Object.assign(chart.data.datasets[i]!, this.dataset(s)));
    }
    const y = chart.options.scales!.y!;
    const [min, max] = this.options.fixed ?? recentRange(series, this.options.log) ?? [undefined, undefined];
    y.min = min;
    y.max = max;
    const latest = series.filter((s) => !s.faded && s.points.length > 0);
    const lastStep = Math.max(...latest.map((s) => s.points[s.points.length - 1]!.x));
    // The previous run is compared step for step up to where the current run is, not beyond: a longer old
    // run must not squeeze the current one into a corner.
    chart.options.scales!.x!.max = series.some((s) => s.faded) ? lastStep : undefined;
    chart.update('none');
    this.card.setSummary(`${latest.length} series up to step ${lastStep}; ${latest.map((s) => `${s.label} ${formatNumber(s.points[s.points.length - 1]!.y)}`).join(', ')}`);
    this.card.refreshTable();
  }

  /** Theme change: rebuild with the new defaults. */
  reset(): void {
    this.chart?.destroy();
    this.chart = null;
    this.keys = '';
  }

  private dataset(s: LineSeries): ChartDataset<'line', Point[]> {
    return {
      label: s.label,
      data: s.points,
      borderColor: s.color,
      backgroundColor: s.color,
      borderDash: s.dash,
      borderWidth: s.faded ? 1 : 1.6,
      pointRadius: 0,
      pointHitRadius: 4,
      spanGaps: false,
      yAxisID: s.axis ?? 'y',
      order: s.faded ? 1 : 0,
    };
  }

  private create(): Chart<'line', Point[]> {
    const { log, yTitle, secondAxis, bands } = this.options;
    const scales: NonNullable<Chart<'line'>['options']['scales']> = {
      x: { type: 'linear', title: { display: true, text: 'step' }, ticks: { maxTicksLimit: 8 } },
      y: { type: log ? 'logarithmic' : 'linear', title: { display: true, text: yTitle }, ticks: log ? { callback: logTick } : { maxTicksLimit: 6 } },
    };
    if (secondAxis) {
      scales.y2 = { type: 'linear', position: 'right', min: secondAxis.range[0], max: secondAxis.range[1], title: { display: true, text: secondAxis.title }, grid: { drawOnChartArea: false } };
    }
    return new Chart<'line', Point[]>(this.card.canvas, {
      type: 'line',
      data: { datasets: [] },
      plugins: bands ? [bandsPlugin] : [],
      options: {
        animation: false,
        parsing: false,
        normalized: true,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        scales,
        plugins: {
          // Chart.js only decimates above `threshold` points; LTTB keeps the peaks (explosions) visible.
          decimation: { enabled: true, algorithm: 'lttb', samples: DECIMATED_POINTS, threshold: DECIMATED_POINTS },
          legend: {
            position: 'bottom',
            labels: { boxWidth: 12, boxHeight: 2, filter: (item, data) => !data.datasets[item.datasetIndex ?? 0]?.label?.startsWith(PREVIOUS_PREFIX) },
          },
          tooltip: { callbacks: { label: (ctx) => `${ctx.dataset.label}: ${formatNumber((ctx.raw as Point).y)}` } },
          bands: bands ?? false,
        },
      },
    });
  }

  private tableRows(): { head: string[]; rows: TableRow[] } {
    return {
      head: ['Series', 'Latest step', 'Latest value', 'Recent min', 'Recent max'],
      rows: this.series.map((s) => {
        const last = s.points[s.points.length - 1];
        const range = recentRange([s], false, 0);
        return { cells: [s.label, last ? String(last.x) : '–', formatNumber(last?.y), formatNumber(range?.[0]), formatNumber(range?.[1])] };
      }),
    };
  }
}

export const PREVIOUS_PREFIX = 'previous run: ';

/**
 * Min and max over the recent part of the current run's steps, padded; null when there is nothing finite.
 * The faded previous run counts only within that same step window, so the comparison shows where the old
 * run was at the same point of training without its later history widening the axis.
 */
export function recentRange(series: Pick<LineSeries, 'points' | 'faded' | 'axis'>[], log: boolean, pad = 0.08): [number, number] | null {
  const onAxis = series.filter((s) => (s.axis ?? 'y') === 'y' && s.points.length > 0);
  const current = onAxis.filter((s) => !s.faded);
  if (current.length === 0) return null;
  const first = Math.min(...current.map((s) => s.points[0]!.x));
  const last = Math.max(...current.map((s) => s.points[s.points.length - 1]!.x));
  const cutoff = last - RECENT_FRACTION * (last - first);
  let min = Infinity;
  let max = -Infinity;
  for (const s of onAxis) {
    for (let i = s.points.length - 1; i >= 0 && s.points[i]!.x >= cutoff; i--) {
      if (s.points[i]!.x > last) continue;
      const y = s.points[i]!.y;
      if (!Number.isFinite(y) || (log && y <= 0)) continue;
      if (y < min) min = y;
      if (y > max) max = y;
    }
  }
  if (min > max) return null;
  if (pad === 0) return [min, max];
  if (log) return [min / (1 + 4 * pad), max * (1 + 4 * pad)];
  const span = max - min || Math.abs(max) || 1;
  return [min - pad * span, max + pad * span];
}

/** Chart.js picks which log ticks get a label; the label itself is written compactly (1e-4, 0.01, 10). */
function logTick(this: Scale, value: number | string, index: number, ticks: Tick[]): string {
  const label = Ticks.formatters.logarithmic.call(this, Number(value), index, ticks);
  return label === '' ? '' : formatNumber(Number(value), 2);
}
