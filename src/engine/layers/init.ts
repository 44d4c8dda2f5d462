// Weight initialisers, defined as the usual frameworks define them (normal variants are untruncated):
//   xavier (Glorot normal)   std = √(2 / (fanIn + fanOut))    xavier-uniform  limit = √(6 / (fanIn + fanOut))
//   he (Kaiming normal)      std = √(2 / fanIn)               he-uniform      limit = √(6 / fanIn)
//   lecun (LeCun normal)     std = √(1 / fanIn)               small-gaussian  std = spec.std (0.01 default)
import type { FloatArray } from '../types';
import type { InitSpec } from '../spec/model-spec';
import type { Rng } from '../rng';

export function initialize(values: FloatArray, init: InitSpec, fanIn: number, fanOut: number, rng: Rng): void {
  switch (init.type) {
    case 'zeros':
      values.fill(0);
      return;
    case 'constant':
      values.fill(init.value);
      return;
    case 'small-gaussian':
      return gaussian(values, init.std, rng);
    case 'xavier':
      return gaussian(values, Math.sqrt(2 / (fanIn + fanOut)), rng);
    case 'xavier-uniform':
      return uniform(values, Math.sqrt(6 / (fanIn + fanOut)), rng);
    case 'he':
      return gaussian(values, Math.sqrt(2 / fanIn), rng);
    case 'he-uniform':
      return uniform(values, Math.sqrt(6 / fanIn), rng);
    case 'lecun':
      return gaussian(values, Math.sqrt(1 / fanIn), rng);
  }
}

function gaussian(values: FloatArray, std: number, rng: Rng): void {
  for (let i = 0; i < values.length; i++) values[i] = std * rng.gaussian();
}

function uniform(values: FloatArray, limit: number, rng: Rng): void {
  for (let i = 0; i < values.length; i++) values[i] = rng.uniform(-limit, limit);
}
