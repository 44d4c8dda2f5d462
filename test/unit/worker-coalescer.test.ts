// The worker's progress coalescer, on a fake clock: it never sends more than the rate allows, stops at the
// acknowledgement window until the host catches up, loses nothing it promised to keep, and stays bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProgressCoalescer, type CoalescerClock } from '../../src/worker/coalescer';
import type { ProgressBatch } from '../../src/shared/protocol';
import { HISTORY_CAPACITY } from '../../src/shared/history';

class FakeClock implements CoalescerClock {
  t = 0;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private next = 1;
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    const id = this.next++;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  };
  clearTimeout = (h: unknown) => {
    this.timers = this.timers.filter((x) => x.id !== h);
  };
  advance(ms: number) {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const due = this.timers[0];
      if (!due || due.at > end) break;
      this.timers.shift();
      this.t = due.at;
      due.fn();
    }
    this.t = end;
  }
}

const step = (i: number) => ({ step: i, epoch: 1, loss: 1 / (i + 1), lr: 0.01 });

test('sends at most maxPerSecond batches while steps pour in, and all steps arrive when acked', () => {
  const clock = new FakeClock();
  const sent: { seq: number; at: number; batch: ProgressBatch }[] = [];
  const c: ProgressCoalescer = new ProgressCoalescer((seq, batch) => {
    sent.push({ seq, at: clock.t, batch });
    c.ack(seq); // a host that keeps up
  }, 20, 4, clock);
  for (let i = 0; i < 1000; i++) {
    c.addStep(step(i));
    clock.advance(1); // one step per millisecond: 1000 steps per second
  }
  c.flush();
  const inFirstSecond = sent.filter((s) => s.at < 1000).length;
  assert.ok(inFirstSecond <= 21, `${inFirstSecond} batches in one second`);
  assert.ok(inFirstSecond >= 15, `still live: ${inFirstSecond} batches`);
  assert.deepEqual(sent.flatMap((s) => s.batch.steps.map((x) => x.step)), Array.from({ length: 1000 }, (_, i) => i));
});

test('holds back at the ack window and resumes on ack', () => {
  const clock = new FakeClock();
  const sent: number[] = [];
  const c = new ProgressCoalescer((seq) => sent.push(seq), 20, 2, clock);
  for (let i = 0; i < 50; i++) {
    c.addEpoch({ epoch: i + 1, step: i, loss: 1, accuracy: null, valLoss: null, valAccuracy: null, lr: 0.1, durationMs: 1, samplesPerSecond: 1 });
    clock.advance(100);
  }
  assert.deepEqual(sent, [1, 2], 'two unacknowledged batches, then silence');
  c.ack(2);
  clock.advance(100);
  assert.deepEqual(sent, [1, 2, 3], 'one more batch with everything pending');
});

test('a host that never acks cannot make the pending batch grow without bound', () => {
  const clock = new FakeClock();
  let last: ProgressBatch | null = null;
  const c = new ProgressCoalescer((_seq, b) => (last = b), 20, 1, clock);
  for (let i = 0; i < 100_000; i++) c.addStep(step(i));
  clock.advance(1000);
  c.flush();
  const steps = (last as ProgressBatch | null)?.steps ?? [];
  assert.ok(steps.length <= HISTORY_CAPACITY.steps + 1, `${steps.length} steps pending`);
  assert.equal(steps[0]?.step, 0, 'the first step is kept');
  assert.equal(steps.at(-1)?.step, 99_999, 'the latest step is kept');
});

test('the latest findings replace earlier ones in the same batch', () => {
  const clock = new FakeClock();
  const batches: ProgressBatch[] = [];
  const c = new ProgressCoalescer((_s, b) => batches.push(b), 20, 4, clock);
  c.setFindings([]);
  c.setFindings([{ code: 'dead-relu' } as never]);
  clock.advance(100);
  assert.equal(batches.length, 1);
  assert.deepEqual(batches[0]!.findings, [{ code: 'dead-relu' }]);
});

test('pictures: a batch carries its first picture (with the data points) and the newest whole, the others as quantiles only', () => {
  const clock = new FakeClock();
  const sent: ProgressBatch[] = [];
  const c = new ProgressCoalescer((_seq, batch) => sent.push(batch), 10, 4, clock);
  const layer = { position: 0, name: 'dense_1', kind: 'dense', output: { min: 0, max: 1, counts: [1] }, units: null, weighted: true, weights: [0.5], weightQuantiles: [0, 1], gradQuantiles: [0, 1] };
  const picture = (stepNo: number) => ({ step: stepNo, epoch: 1, boundary: null, points: stepNo === 1 ? { train: [], trainLabels: [], val: [], valLabels: [] } : null, layers: [layer] });
  for (let i = 1; i <= 50; i++) c.addVisual(picture(i));
  clock.advance(200);
  c.ack(1);
  for (let i = 51; i <= 60; i++) c.addVisual(picture(i));
  clock.advance(200);
  assert.deepEqual(sent.map((b) => b.visuals?.map((v) => v.step)), [Array.from({ length: 50 }, (_, i) => i + 1), Array.from({ length: 10 }, (_, i) => i + 51)]);
  const first = sent[0]!.visuals!;
  assert.ok(first[0]!.points, 'the first picture keeps its points');
  assert.deepEqual(first.map((v) => v.layers[0]!.weights !== null), first.map((_, i) => i === 0 || i === first.length - 1), 'only the first and newest keep their drawing data');
  assert.ok(first.every((v) => v.layers[0]!.weightQuantiles !== null), 'every picture keeps its quantiles for the distributions over time');
});
