// The built-in generators match their published definitions (checked through statistics that each
// definition implies), are reproducible from the seed, and differ between seeds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/engine/rng';
import { BLOB_RADIUS, GENERATORS, blobs, circles, moons, sine, spiral, xor } from '../../src/engine/data/generators';
import type { RawData } from '../../src/engine/data/raw';

const rng = (seed = 1) => new Rng(seed).fork('data');
const point = (d: RawData, i: number) => [d.x[2 * i], d.x[2 * i + 1]];
const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
const std = (a: number[]) => {
  const m = mean(a);
  return Math.sqrt(mean(a.map((v) => (v - m) ** 2)));
};
const indices = (d: RawData, label: number) => Array.from(d.labels.keys()).filter((i) => d.labels[i] === label);

test('every generator is reproducible from its seed and changes with it', () => {
  for (const [name, gen] of Object.entries(GENERATORS)) {
    const p = { samples: 120, classes: 3, noise: 0.2 };
    const a = gen(p, rng(5));
    const b = gen(p, rng(5));
    const c = gen(p, rng(6));
    assert.deepEqual(a.x, b.x, name);
    assert.deepEqual(a.labels, b.labels, name);
    assert.deepEqual(a.targets, b.targets, name);
    assert.notDeepEqual(a.x, c.x, name);
    assert.equal(a.n, 120, name);
  }
});

test('xor: clusters at (±1, ±1) with std noise, label 1 exactly when the signs differ', () => {
  const d = xor({ samples: 4000, classes: 2, noise: 0.3 }, rng());
  const pts = Array.from({ length: d.n }, (_, i) => point(d, i));
  pts.forEach(([x, y], i) => assert.equal(d.labels[i], x * y < 0 ? 1 : 0));
  // samples come cluster by cluster, 1000 each: mean at its centre, std equal to noise
  [[1, 1], [-1, 1], [-1, -1], [1, -1]].forEach(([cx, cy], c) => {
    const cluster = pts.slice(c * 1000, (c + 1) * 1000);
    assert.ok(Math.abs(mean(cluster.map((p) => p[0])) - cx) < 0.05 && Math.abs(mean(cluster.map((p) => p[1])) - cy) < 0.05);
    assert.ok(Math.abs(std(cluster.map((p) => p[0])) - 0.3) < 0.03 && Math.abs(std(cluster.map((p) => p[1])) - 0.3) < 0.03);
  });
});

test('circles: make_circles with factor 0.5 (exact radii without noise, noise std on x and y)', () => {
  const clean = circles({ samples: 101, classes: 2, noise: 0 }, rng());
  assert.equal(indices(clean, 0).length, 50); // floor(n/2) on the outer circle, like scikit-learn
  assert.equal(indices(clean, 1).length, 51);
  for (let i = 0; i < clean.n; i++) {
    const [x, y] = point(clean, i);
    assert.ok(Math.abs(Math.hypot(x, y) - (clean.labels[i] === 0 ? 1 : 0.5)) < 1e-12);
  }
  // linspace(0, 2π, n_out, endpoint=False): first point (1, 0), angle step 2π/50
  assert.deepEqual(point(clean, 0), [1, 0]);
  assert.ok(Math.abs(Math.atan2(point(clean, 1)[1], point(clean, 1)[0]) - (2 * Math.PI) / 50) < 1e-12);
  const noisy = circles({ samples: 20000, classes: 2, noise: 0.1 }, rng());
  const radial = indices(noisy, 0).map((i) => Math.hypot(...point(noisy, i)) - 1);
  assert.ok(Math.abs(std(radial) - 0.1) < 0.01, `radial std ${std(radial)}`);
});

test('moons: make_moons half circles, upper (cos t, sin t) and lower (1 - cos t, 0.5 - sin t)', () => {
  const d = moons({ samples: 10, classes: 2, noise: 0 }, rng());
  const close = (a: number[], b: number[]) => a.every((v, i) => Math.abs(v - b[i]) < 1e-12);
  assert.ok(close(point(d, 0), [1, 0]));
  assert.ok(close(point(d, 4), [-1, 0]));
  assert.ok(close(point(d, 2), [0, 1]));
  assert.ok(close(point(d, 5), [0, 0.5]));
  assert.ok(close(point(d, 9), [2, 0.5]));
  assert.ok(close(point(d, 7), [1, -0.5]));
  assert.deepEqual(Array.from(d.labels), [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
});

test('spiral: CS231n arms, radius linspace(0, 1), angle linspace(4j, 4j+4) plus angle noise', () => {
  const clean = spiral({ samples: 300, classes: 3, noise: 0 }, rng());
  for (let j = 0; j < 3; j++) {
    const arm = indices(clean, j);
    assert.equal(arm.length, 100);
    arm.forEach((i, k) => {
      const [x, y] = point(clean, i);
      const r = k / 99;
      const t = 4 * j + (4 * k) / 99;
      assert.ok(Math.abs(x - r * Math.sin(t)) < 1e-12 && Math.abs(y - r * Math.cos(t)) < 1e-12);
    });
  }
  // noise moves points along the arm's circle only: radius unchanged, angle error ~ N(0, noise²)
  const noisy = spiral({ samples: 3000, classes: 3, noise: 0.2 }, rng());
  const errs: number[] = [];
  for (let j = 0; j < 3; j++) {
    indices(noisy, j).forEach((i, k) => {
      const [x, y] = point(noisy, i);
      const r = k / 999;
      assert.ok(Math.abs(Math.hypot(x, y) - r) < 1e-12);
      if (r > 0.1) {
        const t = 4 * j + (4 * k) / 999;
        errs.push(Math.atan2(Math.sin(Math.atan2(x, y) - t), Math.cos(Math.atan2(x, y) - t)));
      }
    });
  }
  assert.ok(Math.abs(std(errs) - 0.2) < 0.015, `angle noise std ${std(errs)}`);
  assert.ok(Math.abs(mean(errs)) < 0.015);
});

test('blobs: classes clusters of std noise on a circle of radius 3', () => {
  const d = blobs({ samples: 8000, classes: 4, noise: 0.5 }, rng());
  for (let k = 0; k < 4; k++) {
    const pts = indices(d, k).map((i) => point(d, i));
    assert.equal(pts.length, 2000);
    const cx = mean(pts.map((p) => p[0]));
    const cy = mean(pts.map((p) => p[1]));
    const angle = (2 * Math.PI * k) / 4;
    assert.ok(Math.hypot(cx - BLOB_RADIUS * Math.cos(angle), cy - BLOB_RADIUS * Math.sin(angle)) < 0.05);
    assert.ok(Math.abs(std(pts.map((p) => p[0])) - 0.5) < 0.03);
  }
});

test('sine: x uniform in [-π, π], y = sin x + N(0, noise²)', () => {
  const d = sine({ samples: 20000, classes: 0, noise: 0.1 }, rng());
  assert.equal(d.task, 'regression');
  assert.equal(d.inputs, 1);
  assert.equal(d.outputs, 1);
  const xs = Array.from(d.x);
  assert.ok(xs.every((x) => x >= -Math.PI && x < Math.PI));
  assert.ok(Math.abs(mean(xs)) < 0.05);
  assert.ok(Math.abs(std(xs) - (2 * Math.PI) / Math.sqrt(12)) < 0.03);
  const resid = xs.map((x, i) => d.targets[i] - Math.sin(x));
  assert.ok(Math.abs(std(resid) - 0.1) < 0.005 && Math.abs(mean(resid)) < 0.005);
});
