// Shades the vanishing (below) and exploding (above) gradient-norm regions behind the lines, with a label.
import { Chart, type Plugin } from 'chart.js';

export interface BandOptions {
  below: number;
  above: number;
  belowColor: string;
  aboveColor: string;
  belowLabel: string;
  aboveLabel: string;
}

declare module 'chart.js' {
  // The type parameter must match Chart.js's own declaration for the interfaces to merge.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  interface PluginOptionsByType<TType> {
    bands?: BandOptions | false;
  }
}

const ALPHA = 0.14;

export const bandsPlugin: Plugin = {
  id: 'bands',
  beforeDatasetsDraw(chart: Chart, _args, raw) {
    const options = raw as BandOptions | false;
    if (!options || !('below' in options)) return;
    const y = chart.scales.y;
    if (!y) return;
    const { left, right, top, bottom } = chart.chartArea;
    const ctx = chart.ctx;
    const draw = (from: number, to: number, color: string, label: string, atTop: boolean) => {
      const y0 = Math.max(top, Math.min(bottom, from));
      const y1 = Math.max(top, Math.min(bottom, to));
      if (Math.abs(y1 - y0) < 1) return;
      ctx.save();
      ctx.globalAlpha = ALPHA;
      ctx.fillStyle = color;
      ctx.fillRect(left, Math.min(y0, y1), right - left, Math.abs(y1 - y0));
      ctx.globalAlpha = 0.9;
      ctx.font = `${Chart.defaults.font.size ?? 11}px ${Chart.defaults.font.family ?? 'sans-serif'}`;
      ctx.fillStyle = color;
      ctx.textAlign = 'right';
      ctx.textBaseline = atTop ? 'top' : 'bottom';
      ctx.fillText(label, right - 4, atTop ? Math.min(y0, y1) + 2 : Math.max(y0, y1) - 2);
      ctx.restore();
    };
    draw(y.getPixelForValue(options.below), bottom, options.belowColor, options.belowLabel, false);
    draw(top, y.getPixelForValue(options.above), options.aboveColor, options.aboveLabel, true);
  },
};
