// Summaries of per-round throughputs.
export interface Summary {
  median: number;
  min: number;
  max: number;
}

export function summarize(rates: number[]): Summary {
  if (rates.length === 0) throw new Error('no measured rounds');
  const s = [...rates].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return { median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2, min: s[0], max: s[s.length - 1] };
}

export function fmtRate(s: Summary): string {
  const f = (v: number) => (v >= 1000 ? Math.round(v).toLocaleString('en-US') : v.toFixed(0));
  return `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
}
