// Rules about what a regression is asked to predict: targets far from the unit scale that every
// initialiser and default learning rate assume.
import type { Rule } from './rule';
import { finding, fmt } from './rule';
import { featureStats } from '../data/preprocess';

export const unscaledTargets: Rule = {
  code: 'unscaled-targets',
  severity: 'warning',
  stage: 'static',
  thresholds: { maxScale: 10 },
  evaluate(ctx, t) {
    const ds = ctx.dataset;
    if (!ds || ds.task !== 'regression' || ctx.spec.data.targetScaling !== 'none' || ds.train.n === 0) return [];
    const { mean, std } = featureStats(ds.train.targets, ds.train.n, ds.outputs);
    let worst = 0;
    let scale = 0;
    for (let j = 0; j < ds.outputs; j++) {
      const s = Math.max(Math.abs(mean[j]), std[j]);
      if (s > scale) {
        scale = s;
        worst = j;
      }
    }
    if (!(scale > t.maxScale)) return [];
    const name = ds.outputs === 1 ? `"${ctx.spec.data.target ?? 'target'}"` : `column ${worst + 1}`;
    return [
      finding(this, { field: 'data' },
        `The regression target ${name} has mean ${fmt(mean[worst])} and standard deviation ${fmt(std[worst])}, but a freshly initialised network outputs values near 0 with a spread of about 1. ` +
          `Its first errors are that large, so the squared loss starts near ${fmt(mean[worst] ** 2 + std[worst] ** 2)}, and the gradients that follow are large enough to throw the weights far (NaN, dead ReLUs) before the output has even reached the targets' range. ` +
          'Standardising the targets (learning (y - mean) / std, with every reported loss converted back to the original units) lets the network work at the scale its initialisation and learning rate assume.',
        { metric: 'largest |mean| or std of a target column', value: scale, threshold: t.maxScale, comparison: '>', details: { target: name, mean: mean[worst], std: std[worst] } },
        ['target-scaling:standardize'],
      ),
    ];
  },
};
