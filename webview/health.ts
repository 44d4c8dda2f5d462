// A layer's health badge: the worst finding on it, and non-finite values count as an error by themselves.
import type { Finding } from '../src/protocol';
import type { Severity } from '../src/engine/types';
import type { LayerHistory } from './store';

export type Health = Severity | 'ok' | 'no-data';

export const HEALTH_RANK: Record<Health, number> = { 'no-data': -1, ok: 0, info: 1, warning: 2, error: 3 };
export const HEALTH_LABEL: Record<Health, string> = { 'no-data': 'No data', ok: 'Healthy', info: 'Note', warning: 'Warning', error: 'Error' };

export function layerHealth(layer: LayerHistory, findings: Finding[]): Health {
  if (!layer.latest) return 'no-data';
  let health: Health = layer.latest.nonFinite > 0 ? 'error' : 'ok';
  for (const f of findings) {
    if (f.layer?.index === layer.index && HEALTH_RANK[f.severity] > HEALTH_RANK[health]) health = f.severity;
  }
  return health;
}
