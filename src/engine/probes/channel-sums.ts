// One pass over an image batch [batch × C × S] gathering, per channel, what the per-channel probes need: the
// sum and sum of squares of its values (its mean and std, a batch norm's batch moments) and how many of them
// are stuck (dead filters, stuck and saturated shares). In wasm SIMD when the batch lives in kernel memory,
// else a float64 loop.
import type { FloatArray } from '../types';
import type { Kernels } from '../kernels/kernels';
import { kernelChannelSums, kernelReluChannelSums } from '../kernels/select';
import type { StuckTest } from './stuck-tests';

/**
 * Per channel c of `values` [rows × channels × spatial]: Σx at out[c], Σx² at out[channels + c] (float64 sums
 * of the values as float64) and, given a stuck test, at out[2·channels + c] the number of values it holds for
 * (else 0). Returns `out`.
 */
export function channelSums(values: FloatArray, channels: number, spatial: number, stuck: StuckTest | null, kernels: Kernels | null, out = new Float64Array(3 * channels)): Float64Array {
  const size = channels * spatial;
  const rows = values.length / size;
  if (kernelChannelSums(kernels, values, rows, channels, spatial, stuck ? stuck.wasm.mode : 0, stuck ? stuck.wasm.lo : 0, stuck ? stuck.wasm.hi : 0, out)) return out;
  const test = stuck ? stuck.test : null;
  for (let c = 0; c < channels; c++) {
    let s = 0;
    let q = 0;
    let n = 0;
    for (let r = 0; r < rows; r++) {
      for (let i = r * size + c * spatial, end = i + spatial; i < end; i++) {
        s += values[i];
        q += values[i] * values[i];
      }
      if (test) for (let i = r * size + c * spatial, end = i + spatial; i < end; i++) if (test(values[i])) n++;
    }
    out[c] = s;
    out[channels + c] = q;
    out[2 * channels + c] = n;
  }
  return out;
}

/**
 * channelSums of a plain ReLU's input `x` (no stuck test) and of the ReLU's output (its inactive count), both
 * from one wasm pass over `x`: the output is never read, which saves a full pass over an image batch. The
 * output's sums are those channelSums gives reading it, as its values are the forward's own (x > 0 ? x : 0).
 * Null when `x` is not kernel memory on the wasm path (then read each buffer).
 */
export function reluPairSums(x: FloatArray, channels: number, spatial: number, kernels: Kernels | null): { input: Float64Array; output: Float64Array } | null {
  const all = new Float64Array(5 * channels);
  if (!kernelReluChannelSums(kernels, x, x.length / (channels * spatial), channels, spatial, all)) return null;
  const input = new Float64Array(3 * channels);
  input.set(all.subarray(0, 2 * channels));
  return { input, output: all.slice(2 * channels) };
}
