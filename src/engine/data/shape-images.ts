// The `shapes` image source: small grayscale images, one simple stroke or shape per image at a random
// position and size, with Gaussian pixel noise. Each class is a kind of shape, so a small CNN learns it in
// seconds while a translation-bound model has to work for it.
import type { Rng } from '../rng';
import type { GeneratorParams } from './generators';
import { classificationData, type RawData } from './raw';

export const SHAPE_IMAGE_SIZE = 16;

/** The class names in label order; `classes` takes the first ones. */
export const SHAPE_KINDS = ['horizontal line', 'vertical line', 'square outline', 'plus', 'diagonal', 'filled square'] as const;

type Draw = (img: Float64Array, top: number, left: number, extent: number) => void;

const S = SHAPE_IMAGE_SIZE;
const set = (img: Float64Array, y: number, x: number) => {
  if (y >= 0 && y < S && x >= 0 && x < S) img[y * S + x] = 1;
};

const DRAW: Record<(typeof SHAPE_KINDS)[number], Draw> = {
  'horizontal line': (img, top, left, e) => {
    for (let i = 0; i < e; i++) set(img, top + (e >> 1), left + i);
  },
  'vertical line': (img, top, left, e) => {
    for (let i = 0; i < e; i++) set(img, top + i, left + (e >> 1));
  },
  'square outline': (img, top, left, e) => {
    for (let i = 0; i < e; i++) {
      set(img, top, left + i);
      set(img, top + e - 1, left + i);
      set(img, top + i, left);
      set(img, top + i, left + e - 1);
    }
  },
  plus: (img, top, left, e) => {
    for (let i = 0; i < e; i++) {
      set(img, top + (e >> 1), left + i);
      set(img, top + i, left + (e >> 1));
    }
  },
  diagonal: (img, top, left, e) => {
    for (let i = 0; i < e; i++) set(img, top + i, left + i);
  },
  'filled square': (img, top, left, e) => {
    const f = Math.max(2, e >> 1);
    for (let i = 0; i < f; i++) for (let j = 0; j < f; j++) set(img, top + i, left + j);
  },
};

/** `samples` images of 1×16×16, classes in turn, each drawn at a random size (5 to 10) and position, plus N(0, noise²) per pixel. */
export function shapeImages({ samples: n, classes, noise }: GeneratorParams, rng: Rng): RawData {
  const size = S * S;
  const x = new Float64Array(n * size);
  const labels = new Int32Array(n);
  const names = SHAPE_KINDS.slice(0, classes);
  for (let i = 0; i < n; i++) {
    const label = i % classes;
    const img = x.subarray(i * size, (i + 1) * size);
    const extent = 5 + Math.floor(rng.next() * 6);
    const top = Math.floor(rng.next() * (S - extent + 1));
    const left = Math.floor(rng.next() * (S - extent + 1));
    DRAW[names[label]](img, top, left, extent);
    if (noise > 0) for (let p = 0; p < size; p++) img[p] += noise * rng.gaussian();
    labels[i] = label;
  }
  const featureNames = Array.from({ length: size }, (_, p) => `pixel ${Math.floor(p / S)},${p % S}`);
  return classificationData(x, labels, size, featureNames, [...names]);
}
