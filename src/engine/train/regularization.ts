// L1/L2 penalties, Keras convention: penalty = l1·Σ|w| + l2·Σw², gradient l1·sign(w) + 2·l2·w. Param.l1/l2
// already hold the per-layer strengths (0 for biases and norm parameters). The penalty is not part of the
// reported loss, so training and validation losses stay comparable.
import type { Param } from '../layers/layer';

export function regularizationPenalty(params: readonly Param[]): number {
  let sum = 0;
  for (const p of params) {
    if (p.l1 === 0 && p.l2 === 0) continue;
    const w = p.value;
    for (let i = 0; i < w.length; i++) sum += p.l1 * Math.abs(w[i]) + p.l2 * w[i] * w[i];
  }
  return sum;
}

export function addRegularizationGradients(params: readonly Param[]): void {
  for (const p of params) {
    if (p.l1 === 0 && p.l2 === 0) continue;
    const w = p.value;
    const g = p.grad;
    const twoL2 = 2 * p.l2;
    for (let i = 0; i < w.length; i++) g[i] += p.l1 * Math.sign(w[i]) + twoL2 * w[i];
  }
}
