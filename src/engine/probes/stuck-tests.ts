// What "stuck" means for a unit of each activation kind: where its gradient is (almost) zero. A ReLU-family
// unit is inactive (no gradient, or only the leak): the test holds for an input exactly when it holds for the
// unit's output of it, so either can be tested. A sigmoid or tanh unit is saturated (tested on its output:
// derivative below 0.01, tanh's below 0.02). The one definition behind the probes'
// dead units and saturation, the per-channel views and the panel's pictures; each test also comes as float32
// bounds for the wasm channel pass (scripts/build-wasm.js, channelSums), which gives the same answer on every
// float32 value.

export interface StuckTest {
  means: 'inactive' | 'saturated';
  test: (x: number) => boolean;
  /**
   * The test on float32 values in wasm. Mode 1 (inactive): stuck when not above lo, or at or above hi (NaN: no
   * upper bound). Mode 2 (saturated): stuck when below lo or above hi. The bounds are float32 values.
   */
  wasm: { mode: 1 | 2; lo: number; hi: number };
}

const RELU: StuckTest = { means: 'inactive', test: (x) => !(x > 0), wasm: { mode: 1, lo: 0, hi: NaN } };
const RELU6: StuckTest = { means: 'inactive', test: (x) => !(x > 0 && x < 6), wasm: { mode: 1, lo: 0, hi: 6 } };
// x < t holds for a float32 x exactly when x is below the least float32 at or above t (likewise for >)
const SIGMOID: StuckTest = { means: 'saturated', test: (x) => x < 0.01 || x > 0.99, wasm: { mode: 2, lo: float32AtOrAbove(0.01), hi: float32AtOrBelow(0.99) } };
const TANH: StuckTest = { means: 'saturated', test: (x) => Math.abs(x) > 0.99, wasm: { mode: 2, lo: float32AtOrAbove(-0.99), hi: float32AtOrBelow(0.99) } };

/** The stuck test of a layer kind, or null for kinds that do not get stuck this way. */
export function stuckTest(kind: string): StuckTest | null {
  if (kind === 'relu' || kind === 'leaky-relu') return RELU;
  if (kind === 'relu6') return RELU6;
  if (kind === 'sigmoid') return SIGMOID;
  if (kind === 'tanh') return TANH;
  return null;
}

/** The least float32 value at or above t (finite, nonzero t). */
export function float32AtOrAbove(t: number): number {
  const f = Math.fround(t);
  return f >= t ? f : adjacentFloat32(f, 1);
}

/** The greatest float32 value at or below t (finite, nonzero t). */
export function float32AtOrBelow(t: number): number {
  const f = Math.fround(t);
  return f <= t ? f : adjacentFloat32(f, -1);
}

/** The float32 next to a finite nonzero float32 f, upwards (direction 1) or downwards (-1). */
function adjacentFloat32(f: number, direction: 1 | -1): number {
  const bits = new Int32Array(1);
  const value = new Float32Array(bits.buffer);
  value[0] = f;
  // float32 bits grow with the magnitude: up is one more for a positive f, one less for a negative one
  bits[0] += f > 0 ? direction : -direction;
  return value[0];
}
