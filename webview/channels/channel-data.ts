// What the channels view can show of each image layer, read from the layer's latest probe (its `channels`):
// pure data, no DOM, so it is tested in Node too. A measure is offered only where the probe carries it
// (dead filters after a ReLU, saturation after sigmoid/tanh, filter gradients of a conv layer, a batch
// norm's batch and running statistics, output moments and histograms of every image layer).
import type { ChannelProbe, LayerProbe, ValueHistogram } from '../../src/shared/wire-types';
import { HISTOGRAM_EDGES } from '../../src/shared/histogram-edges';
import type { PanelStore } from '../store';

export type MeasureKey = 'dead' | 'saturation' | 'gradNorm' | 'updateRatio' | 'bnMean' | 'bnVar' | 'moments' | 'outputHistograms' | 'gradientHistograms';

/** Bars per channel: one value per channel for each series (null: not measured). */
export interface BarMeasure {
  type: 'bars';
  key: MeasureKey;
  label: string;
  series: { name: string; values: (number | null)[] }[];
  /** How one value reads in the summary and the table. */
  unit: 'share' | 'flag' | 'number';
}

/** Small multiples, one histogram per channel shown. */
export interface HistogramMeasure {
  type: 'histograms';
  key: MeasureKey;
  label: string;
  channels: number[];
  /** How the channels were picked (ChannelHistograms.rankedBy). */
  rankedBy: string;
  histograms: ValueHistogram[];
  /** What the histograms' axis measures (their min and max are on it). */
  axis: 'output' | 'log10 |gradient|';
}

export type Measure = BarMeasure | HistogramMeasure;

export interface ImageLayer {
  position: number;
  name: string;
  kind: string;
  /** [C, H, W] from the model summary, when it has shapes. */
  shape: readonly number[] | null;
  channels: ChannelProbe;
}

/** Layers whose latest probe has per-channel statistics, in model order. */
export function imageLayers(store: PanelStore): ImageLayer[] {
  const run = store.current;
  if (!run) return [];
  const shapes = new Map(run.info.model.layers.map((l) => [l.position, l.outputShape ?? null]));
  const out: ImageLayer[] = [];
  for (const l of run.layers) {
    const latest: LayerProbe | null = l.latest;
    if (latest?.channels) out.push({ position: l.position, name: l.name, kind: l.kind, shape: shapes.get(l.position) ?? null, channels: latest.channels });
  }
  return out;
}

/** The gradient histograms' log bins as a ValueHistogram over log10 |g| (bin 0 holds the zeros). */
function logBins(counts: number[]): ValueHistogram {
  return { min: Math.log10(HISTOGRAM_EDGES[0]!) - 1, max: Math.log10(HISTOGRAM_EDGES[HISTOGRAM_EDGES.length - 1]!) + 1, counts };
}

/** The measures a layer's probe carries, the most telling first. */
export function measuresOf(ch: ChannelProbe): Measure[] {
  const out: Measure[] = [];
  if (ch.dead) out.push({ type: 'bars', key: 'dead', label: 'Dead filters', series: [{ name: 'dead', values: ch.dead }], unit: 'flag' });
  if (ch.saturation) out.push({ type: 'bars', key: 'saturation', label: 'Saturated share', series: [{ name: 'saturated', values: ch.saturation }], unit: 'share' });
  if (ch.batchNorm) {
    const bn = ch.batchNorm;
    out.push({ type: 'bars', key: 'bnMean', label: 'Batch vs running mean', series: [{ name: 'batch mean', values: bn.batchMean }, { name: 'running mean', values: bn.runningMean }], unit: 'number' });
    out.push({ type: 'bars', key: 'bnVar', label: 'Batch vs running variance', series: [{ name: 'batch variance', values: bn.batchVar }, { name: 'running variance', values: bn.runningVar }], unit: 'number' });
  }
  if (ch.gradNorm) out.push({ type: 'bars', key: 'gradNorm', label: 'Filter gradient norm', series: [{ name: 'gradient norm', values: ch.gradNorm }], unit: 'number' });
  if (ch.updateRatio) out.push({ type: 'bars', key: 'updateRatio', label: 'Filter update / weight', series: [{ name: 'update / weight', values: ch.updateRatio }], unit: 'number' });
  out.push({ type: 'bars', key: 'moments', label: 'Output mean and std', series: [{ name: 'mean', values: ch.activationMean }, { name: 'std', values: ch.activationStd }], unit: 'number' });
  const h = ch.histograms;
  if (h) {
    out.push({ type: 'histograms', key: 'outputHistograms', label: 'Output histograms', channels: h.channels, rankedBy: h.rankedBy, histograms: h.activation, axis: 'output' });
    if (h.gradient) out.push({ type: 'histograms', key: 'gradientHistograms', label: 'Filter gradient histograms (log10 |g|)', channels: h.channels, rankedBy: h.rankedBy, histograms: h.gradient.map(logBins), axis: 'log10 |gradient|' });
  }
  return out;
}

const RANKED: Record<string, string> = {
  all: 'every channel',
  stuck: 'the channels most often dead or saturated',
  gradient: 'the filters with the smallest gradient',
  spread: 'the channels with the least spread',
};

/** One sentence on what a measure shows now: the canvas's accessible label and the screen reader's summary. */
export function summarize(layer: ImageLayer, m: Measure): string {
  const where = `${layer.name} (${layer.kind}${layer.shape ? `, ${layer.shape.join('×')}` : ''})`;
  if (m.type === 'histograms') return `${where}: ${m.label.toLowerCase()} of ${RANKED[m.rankedBy] ?? m.rankedBy} (${m.channels.length} shown: ${m.channels.join(', ')}).`;
  const values = m.series[0]!.values;
  if (m.unit === 'flag') {
    const dead = values.flatMap((v, c) => (v ? [c] : []));
    return `${where}: ${dead.length} of ${values.length} filters dead${dead.length ? ` (channel ${dead.join(', ')})` : ''}.`;
  }
  const finite = values.map((v, c) => ({ v, c })).filter((x): x is { v: number; c: number } => x.v !== null && Number.isFinite(x.v));
  const bad = values.length - finite.length;
  if (finite.length === 0) return `${where}: no finite ${m.series[0]!.name} per channel.`;
  const lo = finite.reduce((a, b) => (b.v < a.v ? b : a));
  const hi = finite.reduce((a, b) => (b.v > a.v ? b : a));
  const fmt = (v: number) => (m.unit === 'share' ? `${(v * 100).toFixed(1)} %` : Number(v.toPrecision(3)).toString());
  return `${where}: ${m.series[0]!.name} per channel from ${fmt(lo.v)} (channel ${lo.c}) to ${fmt(hi.v)} (channel ${hi.c})${bad ? `, ${bad} not finite or not measured` : ''}.`;
}
