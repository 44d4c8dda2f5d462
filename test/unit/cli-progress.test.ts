// The CLI's loading bar: drawn on a terminal while a data file is read, cleared at its end (or when loading
// fails), and absent from plain (non-terminal) output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLoadProgress } from '../../src/cli/progress';

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, write: (s: string) => writes.push(s) > 0 } as unknown as NodeJS.WriteStream };
}

test('a terminal shows a byte bar while a file loads and clears it at the end', () => {
  const { writes, stream } = fakeStream(true);
  const bar = createLoadProgress(stream, 'data/big.csv', true);
  bar.update(256 * 2 ** 20, 1024 * 2 ** 20);
  assert.equal(writes.length, 1);
  assert.match(writes[0], /^\rloading data\/big\.csv \[#{6}\.{18}\] 25% {2}256\/1024 MiB/);
  bar.update(300 * 2 ** 20, 1024 * 2 ** 20); // within the redraw interval: not drawn
  assert.equal(writes.length, 1);
  bar.update(1024 * 2 ** 20, 1024 * 2 ** 20);
  assert.deepEqual(writes.slice(1), ['\r\x1b[K']);
  bar.done();
  assert.equal(writes.length, 2, 'done after the end clears nothing twice');
});

test('a failed load clears the bar; plain output and --json without a terminal get no bar', () => {
  const { writes, stream } = fakeStream(true);
  const bar = createLoadProgress(stream, 'd.csv', true);
  bar.update(1, 10);
  bar.done();
  assert.deepEqual(writes.slice(1), ['\r\x1b[K']);
  for (const [tty, enabled] of [[false, true], [true, false]]) {
    const plain = fakeStream(tty);
    const quiet = createLoadProgress(plain.stream, 'd.csv', enabled);
    quiet.update(1, 10);
    quiet.update(10, 10);
    quiet.done();
    assert.deepEqual(plain.writes, []);
  }
});
