// The latest gradient histogram of one chosen layer (log-spaced |grad| bins, zeros in bin 0).
import { Chart } from 'chart.js';
import { HISTOGRAM_EDGES } from '../../src/shared/histogram-edges';
import { formatNumber } from '../../src/shared/format';
import { ChartCard, type TableRow } from './chart-card';

export class HistogramChart {
  private chart: Chart<'bar', number[], string> | null = null;
  private labels: string[] = [];
  private counts: number[] = [];

  constructor(readonly card: ChartCard) {
    card.setTableSource(() => this.tableRows());
  }

  update(layerName: string | null, counts: number[] | null, color: string, emptyMessage: string): void {
    if (!counts || counts.length === 0 || layerName === null) {
      this.card.setEmpty(emptyMessage);
      return;
    }
    this.card.setEmpty(null);
    this.labels = binLabels(counts.length);
    this.counts = counts.map((c) => (Number.isFinite(c) ? c : 0));
    const chart = (this.chart ??= this.create());
    chart.data.labels = this.labels;
    chart.data.datasets = [{ label: `${layerName} |gradient| count`, data: this.counts, backgroundColor: color, borderColor: color }];
    chart.update('none');
    const total = this.counts.reduce((a, b) => a + b, 0);
    this.card.setSummary(`${layerName}, ${total} weights over ${counts.length} bins, ${formatNumber(this.counts[0]! / (total || 1))} of them exactly zero`);
    this.card.refreshTable();
  }

  reset(): void {
    this.chart?.destroy();
    this.chart = null;
  }

  private create(): Chart<'bar', number[], string> {
    return new Chart<'bar', number[], string>(this.card.canvas, {
      type: 'bar',
      data: { labels: [], datasets: [] },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: {
          x: { type: 'category', title: { display: true, text: '|gradient| bin (log-spaced, small to large)' } },
          y: { type: 'linear', beginAtZero: true, title: { display: true, text: 'weights' } },
        },
        plugins: { legend: { display: false } },
      },
    });
  }

  private tableRows(): { head: string[]; rows: TableRow[] } {
    return { head: ['Bin', 'Count'], rows: this.labels.map((l, i) => ({ cells: [l, String(this.counts[i])] })) };
  }
}

/** Bin 0 holds |g| below the first edge (zeros included); bin k holds [EDGES[k-1], EDGES[k]). */
function binLabels(bins: number): string[] {
  const e = (v: number) => v.toExponential(0).replace('e+', 'e');
  if (bins !== HISTOGRAM_EDGES.length + 1) return Array.from({ length: bins }, (_, i) => `bin ${i}`);
  return Array.from({ length: bins }, (_, k) => (k === 0 ? `<${e(HISTOGRAM_EDGES[0]!)}` : `≥${e(HISTOGRAM_EDGES[k - 1]!)}`));
}
