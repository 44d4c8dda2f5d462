// Feature detection of the relaxed-SIMD build, in child processes: with relaxed SIMD enabled the engine picks
// the fused multiply-add build, without it the plain SIMD build, and either matches the reference and is
// bit-identical on two threads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const CHILD = path.join(__dirname, 'kernels-relaxed-child.ts');

function probe(flags: string[]): { picked: string; two: string; twoActive: number; relaxedValid: boolean; worstError: number; identical: boolean } {
  const r = spawnSync(process.execPath, [...flags, '--import', 'tsx', CHILD], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NN_DEBUGGER_KERNELS: '' } });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

test('the relaxed-SIMD build is picked where the runtime validates it, plain SIMD otherwise, both correct', () => {
  const enabled = probe(['--experimental-wasm-relaxed-simd']);
  assert.equal(enabled.relaxedValid, true, 'Node 20+ validates relaxed SIMD under the flag');
  assert.equal(enabled.picked, 'wasm-relaxed');
  assert.equal(enabled.two, 'wasm-relaxed-x2');
  const plain = probe([]);
  // Node 20 needs the flag; later runtimes (and VS Code's Electron) have relaxed SIMD on by default.
  assert.equal(plain.picked, plain.relaxedValid ? 'wasm-relaxed' : 'wasm-simd');
  for (const run of [enabled, plain]) {
    assert.ok(run.worstError < 1e-6, `${run.picked}: error ${run.worstError} against the float64 reference`);
    assert.equal(run.twoActive, 2);
    assert.ok(run.identical, `${run.picked}: two threads must give the same bits as one`);
  }
});
