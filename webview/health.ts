// A layer's health badge: the worst finding on it, and non-finite values count as an error by themselves.
import type { Finding } from '../src/shared/protocol';
import type { Severity } from '../src/shared/wire-types';
import { SEVERITIES, severityRank } from '../src/shared/severity';
import type { LayerHistory } from './store';

export type Health = Severity | 'ok' | 'no-data';

/** Higher is worse: no data, healthy, then the severities in their shared order. */
export function healthRank(h: Health): number {
  return h === 'no-data' ? -1 : h === 'ok' ? 0 : SEVERITIES.length - severityRank(h);
}
export const HEALTH_LABEL: Record<Health, string> = { 'no-data': 'No data', ok: 'Healthy', info: 'Note', warning: 'Warning', error: 'Error' };

export function layerHealth(layer: LayerHistory, findings: Finding[]): Health {
  if (!layer.latest) return 'no-data';
  let health: Health = layer.latest.nonFinite > 0 ? 'error' : 'ok';
  for (const f of findings) {
    if (f.layer?.index === layer.index && healthRank(f.severity) > healthRank(health)) health = f.severity;
  }
  return health;
}
