// The rule table. Order matters only for presentation: findings are sorted by severity afterwards.
import type { Rule } from './rule';
import { dropoutTooHigh, missingActivation, outputLossMismatch, poorInitialization, tinyBatchNorm, unnormalizedInput } from './static-rules';
import { explodingGradients, updateRatio, vanishingGradients } from './gradient-rules';
import { batchNormUnstable, deadRelu, saturatedActivation } from './activation-rules';
import { unscaledTargets } from './target-rules';
import { lossDiverging, lossOscillating, lossPlateau, nonFinite, overfitting } from './loss-rules';

export const RULES: readonly Rule[] = [
  nonFinite,
  lossDiverging,
  explodingGradients,
  vanishingGradients,
  deadRelu,
  saturatedActivation,
  batchNormUnstable,
  updateRatio,
  lossPlateau,
  lossOscillating,
  overfitting,
  unnormalizedInput,
  unscaledTargets,
  poorInitialization,
  missingActivation,
  outputLossMismatch,
  dropoutTooHigh,
  tinyBatchNorm,
];
