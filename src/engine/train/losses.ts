// Losses, all as means over the batch, with gradients already divided accordingly:
//   mse                    mean over batch × outputs of (o - y)²                       grad 2(o - y)/(B·K)
//   binary-cross-entropy   mean over batch × outputs of BCE(σ(z), y), on logits z       grad (σ(z) - y)/(B·K)
//   softmax-cross-entropy  mean over batch of -Σ y·log softmax(z), on logits z         grad (softmax(z) - y)/B
// Cross-entropies always work on logits, in the stable log-sum-exp / softplus forms. Which logits:
// - fused: when the last layer is `softmax` (with softmax-cross-entropy) or `sigmoid` (with
//   binary-cross-entropy), the logits are that layer's *input* and its backward is skipped, so the gradient
//   entering the network is simply p - y (no log of a rounded-to-zero probability, no vanishing σ').
// - otherwise the loss applies softmax/sigmoid to the model's raw outputs itself (as "from logits").
import type { FloatArray } from '../types';
import type { LossKind } from '../spec/model-spec';
import type { Layer } from '../layers/layer';

export interface LossPlan {
  kind: LossKind;
  /** The last layer is skipped in backward; the loss gradient goes to the layer before it. */
  fused: boolean;
}

export function planLoss(kind: LossKind, layers: readonly Layer[]): LossPlan {
  const last = layers[layers.length - 1];
  const lastKind = last?.spec.kind;
  const fused = (kind === 'softmax-cross-entropy' && lastKind === 'softmax') || (kind === 'binary-cross-entropy' && lastKind === 'sigmoid');
  return { kind, fused };
}

/**
 * Mean loss of the model's last forward against dense targets `y` [batch × k]. Writes d(loss)/d(input of
 * the backward chain) into `grad` when given: the model output, or the fused layer's input.
 */
export function computeLoss(plan: LossPlan, layers: readonly Layer[], y: ArrayLike<number>, batch: number, grad: FloatArray | null): number {
  const last = layers[layers.length - 1];
  const z = plan.fused ? last.lastInput! : last.lastOutput!;
  const k = last.outputSize;
  switch (plan.kind) {
    case 'mse':
      return meanSquaredError(z, y, batch, k, grad);
    case 'binary-cross-entropy':
      return sigmoidCrossEntropy(z, y, batch, k, grad);
    case 'softmax-cross-entropy':
      return softmaxCrossEntropy(z, y, batch, k, grad);
  }
}

export function meanSquaredError(o: ArrayLike<number>, y: ArrayLike<number>, batch: number, k: number, grad: FloatArray | null): number {
  const n = batch * k;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const d = o[i] - y[i];
    sum += d * d;
    if (grad) grad[i] = (2 * d) / n;
  }
  return sum / n;
}

export function sigmoidCrossEntropy(z: ArrayLike<number>, y: ArrayLike<number>, batch: number, k: number, grad: FloatArray | null): number {
  const n = batch * k;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const zi = z[i];
    // -[y log σ(z) + (1-y) log(1-σ(z))] = max(z,0) - z·y + log(1 + e^{-|z|})
    sum += Math.max(zi, 0) - zi * y[i] + Math.log1p(Math.exp(-Math.abs(zi)));
    if (grad) {
      const p = zi >= 0 ? 1 / (1 + Math.exp(-zi)) : Math.exp(zi) / (1 + Math.exp(zi));
      grad[i] = (p - y[i]) / n;
    }
  }
  return sum / n;
}

/** One row's e^(z - max), kept in float64 between the row's sum and its gradient. */
let rowExp = new Float64Array(16);

export function softmaxCrossEntropy(z: ArrayLike<number>, y: ArrayLike<number>, batch: number, k: number, grad: FloatArray | null): number {
  if (rowExp.length < k) rowExp = new Float64Array(k);
  const e = rowExp;
  let sum = 0;
  for (let r = 0; r < batch; r++) {
    const o = r * k;
    let max = -Infinity;
    for (let j = 0; j < k; j++) if (z[o + j] > max) max = z[o + j];
    // one exponential per logit (Math.exp is most of this loss's time): the softmax is e / Σe
    let se = 0;
    for (let j = 0; j < k; j++) {
      e[j] = Math.exp(z[o + j] - max);
      se += e[j];
    }
    const lse = max + Math.log(se);
    // -Σ y_j (z_j - lse), valid for soft targets as well as one-hot ones.
    for (let j = 0; j < k; j++) {
      sum += y[o + j] * (lse - z[o + j]);
      if (grad) grad[o + j] = (e[j] / se - y[o + j]) / batch;
    }
  }
  return sum / batch;
}
