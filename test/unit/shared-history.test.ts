// The one bounded history policy (src/shared/history.ts): bounded, first and newest kept, and what is kept
// depends on the entries alone, not on how they were batched, so a replayed history equals the live one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ThinnedList } from '../../src/shared/history';

const at = (step: number) => ({ step });
const steps = (list: ThinnedList<{ step: number }>) => list.items().map((x) => x.step);

test('a thinned list stays bounded, in step order, keeps the first and the newest entry', () => {
  for (const n of [10, 99, 100, 101, 1000, 20_011]) {
    const list = new ThinnedList<{ step: number }>(100);
    for (let s = 1; s <= n; s++) list.push(at(s));
    const kept = steps(list);
    assert.ok(kept.length <= 101, `${n}: ${kept.length} kept`);
    assert.equal(kept[0], 1, `${n}: first kept`);
    assert.equal(kept.at(-1), n, `${n}: newest kept`);
    for (let i = 1; i < kept.length; i++) assert.ok(kept[i]! > kept[i - 1]!);
    if (n > 200) assert.ok(kept.length >= 50, `${n}: thinning keeps at least half the capacity (${kept.length})`);
  }
});

test('what is kept does not depend on batching, and a list rebuilt from its snapshot continues identically', () => {
  const all = Array.from({ length: 5000 }, (_, i) => at(i * 3 + 2));
  const whole = new ThinnedList<{ step: number }>(64);
  for (const x of all) whole.push(x);
  for (const cut of [1, 7, 1234, 4999]) {
    const live = new ThinnedList<{ step: number }>(64);
    for (const x of all.slice(0, cut)) live.push(x);
    const restored = ThinnedList.from(64, live.snapshot());
    assert.deepEqual(steps(restored), steps(live), `cut ${cut}: the snapshot holds the same entries`);
    for (const x of all.slice(cut)) {
      live.push(x);
      restored.push(x);
    }
    assert.deepEqual(steps(live), steps(whole), `cut ${cut}: same as pushed in one go`);
    assert.deepEqual(steps(restored), steps(whole), `cut ${cut}: a replayed list continues as the live one`);
  }
});

test('re-sent steps are ignored', () => {
  const list = new ThinnedList<{ step: number }>(10);
  for (const s of [1, 2, 3, 3, 2, 4]) list.push(at(s));
  assert.deepEqual(steps(list), [1, 2, 3, 4]);
});

test('a snapshot for a smaller capacity is the same policy thinned further: bounded, a subset, first and newest kept', () => {
  const list = new ThinnedList<{ step: number }>(1000);
  for (let s = 1; s <= 7777; s++) list.push(at(s));
  const small = list.snapshot(100);
  const kept = new Set(steps(list));
  assert.ok(small.items.length <= 101, `${small.items.length} kept`);
  assert.ok(small.items.every((x) => kept.has(x.step)));
  assert.equal(small.items[0]!.step, 1);
  assert.equal(small.items.at(-1)!.step, 7777);
  assert.ok(small.stride > list.stride);
  assert.deepEqual(list.snapshot().items.length, list.length, 'at its own capacity a snapshot holds everything');
});
