// Chart.js, registered piece by piece (tree-shaken), with global defaults for live data: no animation,
// pre-parsed sorted data, and min/max decimation so long histories cost the same as short ones.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Decimation,
  Legend,
  LineController,
  LineElement,
  LinearScale,
  LogarithmicScale,
  PointElement,
  Tooltip,
} from 'chart.js';
import type { ChartTheme } from './theme';

let registered = false;

export function setupCharts(theme: ChartTheme): void {
  if (!registered) {
    Chart.register(LineController, LineElement, PointElement, BarController, BarElement, LinearScale, LogarithmicScale, CategoryScale, Decimation, Legend, Tooltip);
    registered = true;
  }
  Chart.defaults.animation = false;
  Chart.defaults.color = theme.foreground;
  Chart.defaults.borderColor = theme.grid;
  Chart.defaults.font.family = theme.fontFamily;
  Chart.defaults.font.size = Math.max(10, theme.fontSize - 1);
}
