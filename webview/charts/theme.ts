// Chart colours come only from VS Code's theme variables, read at runtime (and again when the theme
// changes), so the charts follow light, dark and high-contrast themes.
export interface ChartTheme {
  palette: string[];
  foreground: string;
  grid: string;
  fontFamily: string;
  fontSize: number;
  vanishing: string;
  exploding: string;
  highContrast: boolean;
}

const SERIES_VARS = ['blue', 'orange', 'green', 'purple', 'red', 'yellow'].map((c) => `--vscode-charts-${c}`);
/** Line dashes so that more layers than palette colours stay distinguishable. */
export const DASHES: number[][] = [[], [6, 3], [2, 2], [8, 3, 2, 3]];

export function readTheme(): ChartTheme {
  const style = getComputedStyle(document.body);
  const v = (name: string, fallbackVar?: string): string =>
    style.getPropertyValue(name).trim() || (fallbackVar ? style.getPropertyValue(fallbackVar).trim() : '');
  const foreground = v('--vscode-charts-foreground', '--vscode-foreground') || style.color;
  return {
    palette: SERIES_VARS.map((name) => v(name) || foreground),
    foreground,
    grid: v('--vscode-charts-lines', '--vscode-widget-border') || foreground,
    fontFamily: v('--vscode-font-family') || 'sans-serif',
    fontSize: parseFloat(v('--vscode-font-size')) || 12,
    vanishing: v('--vscode-charts-blue') || foreground,
    exploding: v('--vscode-charts-red') || foreground,
    highContrast: document.body.classList.contains('vscode-high-contrast') || document.body.classList.contains('vscode-high-contrast-light'),
  };
}

export const seriesColor = (theme: ChartTheme, i: number): string => theme.palette[i % theme.palette.length]!;
export const seriesDash = (theme: ChartTheme, i: number): number[] => DASHES[Math.floor(i / theme.palette.length) % DASHES.length]!;

/** Same colour with an alpha, for the faded previous run. Accepts the forms themes use (#rgb[a], #rrggbb[aa], rgb[a]()). */
export function withAlpha(color: string, alpha: number): string {
  const c = color.trim();
  const hex = /^#([0-9a-f]{3,8})$/i.exec(c)?.[1];
  if (hex && (hex.length === 3 || hex.length === 4 || hex.length === 6 || hex.length === 8)) {
    const full = hex.length <= 4 ? [...hex].map((h) => h + h).join('') : hex;
    const [r, g, b] = [0, 2, 4].map((i) => parseInt(full.slice(i, i + 2), 16));
    return `rgba(${r}, ${g}, ${b}, ${alpha})`;
  }
  const rgb = /^rgba?\(([^)]+)\)$/i.exec(c)?.[1];
  if (rgb) {
    const parts = rgb.split(/[\s,/]+/).filter(Boolean).slice(0, 3);
    return `rgba(${parts.join(', ')}, ${alpha})`;
  }
  return c;
}
