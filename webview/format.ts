// Number formatting for the panel: non-finite values are spelled out ("NaN", "Infinity") rather than
// hidden, because they are exactly what the user is debugging.

export function formatNumber(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined) return '–';
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  if (v === 0) return '0';
  const abs = Math.abs(v);
  if (abs >= 1e4 || abs < 1e-3) return v.toExponential(digits - 1);
  return Number(v.toPrecision(digits)).toString();
}

export function formatPercent(v: number | null | undefined): string {
  if (v === null || v === undefined) return '–';
  if (!Number.isFinite(v)) return formatNumber(v);
  return `${(v * 100).toFixed(1)} %`;
}

export function formatRate(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return formatNumber(v);
  return v >= 1000 ? `${Math.round(v).toLocaleString('en-US')}` : v.toFixed(0);
}
