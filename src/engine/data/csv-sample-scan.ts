// The scan of a sampled CSV file, on every core. Each row's sampling key is a seeded hash of where the row
// starts in the file, so any thread can key any part of the file without knowing how many rows come
// before it: the file (after its header) is cut into chunks of bytes that the threads claim from a shared
// counter, and each one counts the lines starting in its chunk and copies the few rows whose key is at most
// a threshold into a shared arena. The rows kept are the `samples` smallest keys (csv-sample.ts), the same
// whatever the threads, chunks or scanner. `scanSampleChunks` is self-contained: a helper thread compiles
// it from its source text, the calling thread runs it as it is.
import { Worker } from 'node:worker_threads';
import { permuteRows } from './permute-rows';

/** One scan's parameters and the shared arrays its threads fill (every array is on a SharedArrayBuffer). */
export interface SampleScanState {
  /** The byte offset of the first line after the header, the file's size and the bytes per chunk. */
  first: number;
  fileBytes: number;
  chunkBytes: number;
  chunks: number;
  /** The seeds of the row keys, and the largest key that is copied (unsigned 32 bits). */
  s0: number;
  s1: number;
  tau: number;
  maxLine: number;
  /** The wasm module's results, parsed-row and read-buffer addresses and selectLines' stop codes. */
  layout: { results: number; row: number; buffer: number };
  codes: { none: number; tooLong: number };
  /**
   * With the wasm module, candidates are parsed where they are found (as CsvRows parses a plain row): the
   * header's column count, the target's column, whether it is a number, and the features per row. Null:
   * every candidate's bytes are copied for the caller to parse.
   */
  parse: { width: number; target: number; regression: boolean; inputs: number } | null;
  /**
   * Counters: the next chunk to claim, chunks finished, threads at work, candidate slots and arena bytes
   * taken. A thread claims slots in runs, so that two threads do not write rows to the same memory pages
   * at once (first writes to a page wait on each other there); the end of a thread's last run stays unused.
   */
  nextChunk: Int32Array;
  chunksDone: Int32Array;
  busy: Int32Array;
  taken: Int32Array;
  arenaUsed: Int32Array;
  /** Flags: the candidates or the arena ran out of room; a helper failed; the file ended before its size. */
  overflow: Int32Array;
  failed: Int32Array;
  shrank: Int32Array;
  /** Per chunk: the lines starting in it, and the index in it of a line longer than maxLine (-1: none). */
  lines: Int32Array;
  tooLongAt: Int32Array;
  /** Per candidate row: its byte offset, length (without the line feed), key, chunk, line within the chunk, and where its bytes are in the arena (-1: parsed). */
  offset: Float64Array;
  length: Int32Array;
  key: Uint32Array;
  chunk: Int32Array;
  lineInChunk: Int32Array;
  at: Int32Array;
  /** Per slot: 1 once a row took it. */
  used: Uint8Array;
  arena: Uint8Array;
  /** Per parsed candidate: its features (`parse.inputs` each), its target (a number, or a class name's bytes in `labelBytes` and their count) and the target cell's 1-based column. */
  values: Float64Array;
  target: Float64Array;
  label: Uint8Array;
  labelLength: Int32Array;
  targetColumn: Int32Array;
  /** Room per candidate for its class name's bytes; a longer name's row is copied whole. */
  labelBytes: number;
  /**
   * After the scan, the move of the parsed rows into their places (moveParsedRows), which a helper that
   * finished its chunks runs while the caller reads the rows' targets: its phase, whether it is done (1, or
   * 2 if it failed), the rows and their width; and per row, the candidate it takes.
   */
  move: Int32Array;
  moveFrom: Int32Array;
}

// the phases of state.move
const MOVE_PHASE = 0;
const MOVE_DONE = 1;
const MOVE_ROWS = 2;
const MOVE_WIDTH = 3;
const AWAITING = 0;
const POSTED = 1;
const TAKEN = 2;
const RELEASED = 3;
/** How long a helper that finished its chunks waits for a move before it ends; the caller releases it sooner. */
const LINGER_MS = 10_000;

const LABEL_BYTES = 32;

/** Reads file bytes from `position` into the start of `into`; returns how many (0 past the end). */
export type ReadAt = (into: Uint8Array, position: number) => number;

/**
 * Claims chunks until none is left, filling `s` for each: lines counted, candidates copied. Lines are
 * found by the wasm module's selectLines when `module` is given, else in TypeScript with the same keys.
 * Self-contained (no imports, no outer names): a helper thread compiles it from its source.
 */
export function scanSampleChunks(s: SampleScanState, read: ReadAt, module: WebAssembly.Module | null): void {
  // locals, not loads from the state object (one of many properties) in the per-row code
  const { offset: offsets, length: lengths, key: keys, chunk: chunkOf, lineInChunk, at: arenaAt, used, arena, values, target: targets, label: labels, labelLength, targetColumn, taken, arenaUsed, overflow, shrank, lines: linesIn, tooLongAt, nextChunk, chunksDone, maxLine, tau, labelBytes, fileBytes, first, chunkBytes, s0, s1, chunks } = s;
  const fmix32 = (h: number): number => {
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    return (h ^ (h >>> 16)) >>> 0;
  };
  const keyOf = (offset: number): number => fmix32(fmix32((offset % 4294967296) ^ s0) ^ Math.floor(offset / 4294967296) ^ s1);
  const { results, row: ROW, buffer: BUFFER } = s.layout;
  const { none: NONE, tooLong: TOO_LONG } = s.codes;
  // a chunk's last line usually ends within this much past the chunk; a longer one is read again from its start
  const window = chunkBytes + Math.min(Math.ceil(chunkBytes / 4), 16384);
  const ex = module
    ? (new WebAssembly.Instance(module).exports as unknown as {
        memory: WebAssembly.Memory;
        selectLines(start: number, end: number, limit: number, base: number, s0: number, s1: number, tau: number, maxLine: number): number;
        parseRow(start: number, end: number, width: number, target: number, classTarget: number): number;
      })
    : null;
  const parse = ex ? s.parse : null;
  let bytes = new Uint8Array(0);
  let i32 = new Int32Array(0);
  let f64 = new Float64Array(0);
  /** The window's bytes, at least `n`: in the module's memory after its fixed areas, or a plain array. */
  const room = (n: number): Uint8Array => {
    if (ex) {
      const have = ex.memory.buffer.byteLength;
      if (BUFFER + n > have) ex.memory.grow(Math.ceil((BUFFER + n - have) / 65536));
      if (bytes.buffer !== ex.memory.buffer || bytes.length < n) {
        bytes = new Uint8Array(ex.memory.buffer, BUFFER);
        i32 = new Int32Array(ex.memory.buffer, 0, 16);
        f64 = new Float64Array(ex.memory.buffer, 0, BUFFER >> 3);
      }
    } else if (bytes.length < n) {
      // Node's Buffer searches with memchr, several times faster than a typed array's indexOf
      bytes = typeof Buffer === 'function' ? Buffer.alloc(n) : new Uint8Array(n);
    }
    return bytes;
  };
  // what the last select found: lines passed, the stop (a line feed, NONE or TOO_LONG), the selected key
  let count = 0;
  let stop = NONE;
  let key = 0;
  /** selectLines over window positions (`base` is the file offset of position 0); returns the line it stopped at. */
  const select = (start: number, end: number, limit: number): number => {
    if (ex) {
      const line = ex.selectLines(BUFFER + start, BUFFER + end, BUFFER + limit, base - BUFFER, s0, s1, tau, maxLine) - BUFFER;
      count = i32[results >> 2];
      const at = i32[(results >> 2) + 4];
      stop = at >= 0 ? at - BUFFER : at;
      key = i32[(results >> 2) + 5] >>> 0;
      return line;
    }
    count = 0;
    stop = NONE;
    for (let line = start; ; ) {
      const nl = bytes.indexOf(10, line);
      if (nl < 0 || nl >= end) return line;
      if (nl - line > maxLine) {
        stop = TOO_LONG;
        return line;
      }
      count++;
      key = keyOf(base + line);
      if (key <= tau) {
        stop = nl;
        return line;
      }
      line = nl + 1;
      if (line >= limit) return line;
    }
  };
  /** The file offset of bytes[0], and the end of the window's bytes. */
  let base = 0;
  let len = 0;
  /**
   * Reads up to `n` bytes from file offset `pos` (fewer only at the end of the file) into the window, at
   * the index with pos's place in a page: the kernel copies a page-aligned pair several times faster.
   * Returns the index the window starts at.
   */
  const load = (pos: number, n: number): number => {
    const skew = pos % 4096;
    n = Math.min(n, fileBytes - pos);
    const into = room(skew + n);
    base = pos - skew;
    len = skew;
    while (len < skew + n) {
      const r = read(into.subarray(len, skew + n), base + len);
      if (r <= 0) {
        Atomics.store(shrank, 0, 1);
        break;
      }
      len += r;
    }
    return skew;
  };
  /** Parses candidate i's plain row bytes[start, end) into its values, as CsvRows would; false if it is not plain. */
  const parsed = (i: number, start: number, end: number): boolean => {
    if (!ex || !parse) return false;
    if (end > start && bytes[end - 1] === 13) end--;
    // a row that may be blank, or start with a space, is CsvRows' to look at
    const lead = bytes[start];
    if (lead <= 32 || lead >= 127) return false;
    if (ex.parseRow(BUFFER + start, BUFFER + end, parse.width, parse.target, parse.regression ? 0 : 1) === 0) return false;
    const r = results >> 2;
    if (parse.regression) targets[i] = f64[(ROW >> 3) + parse.inputs];
    else {
      const from = i32[r + 1] - BUFFER;
      const to = i32[r + 2] - BUFFER;
      if (to - from > labelBytes) return false;
      // element by element: a typed-array set between a plain and a shared buffer costs far more per call
      for (let j = from, at = i * labelBytes; j < to; j++, at++) labels[at] = bytes[j];
      labelLength[i] = to - from;
    }
    for (let j = 0, from = ROW >> 3, at = i * parse.inputs; j < parse.inputs; j++) values[at + j] = f64[from + j];
    targetColumn[i] = i32[r + 3] + 1;
    return true;
  };
  // this thread's run of slots: [slot, runEnd)
  const RUN = 64;
  let slot = 0;
  let runEnd = 0;
  const take = (offset: number, start: number, length: number, rowKey: number, chunk: number, line: number): void => {
    if (slot === runEnd) {
      slot = Atomics.add(taken, 0, RUN);
      runEnd = slot + RUN;
    }
    const i = slot++;
    if (i >= keys.length) {
      Atomics.store(overflow, 0, 1);
      return;
    }
    used[i] = 1;
    offsets[i] = offset;
    lengths[i] = length;
    keys[i] = rowKey;
    chunkOf[i] = chunk;
    lineInChunk[i] = line;
    if (parsed(i, start, start + length)) {
      arenaAt[i] = -1;
      return;
    }
    const at = Atomics.add(arenaUsed, 0, length);
    if (at + length > arena.length) {
      Atomics.store(overflow, 0, 1);
      return;
    }
    arena.set(bytes.subarray(start, start + length), at);
    arenaAt[i] = at;
  };
  const scanChunk = (c: number): void => {
    const from = first + c * chunkBytes;
    const to = Math.min(from + chunkBytes, fileBytes);
    tooLongAt[c] = -1;
    // the window starts a byte early, to see whether a line starts at `from`
    let line = load(c === 0 ? from : from - 1, window);
    if (c > 0) {
      const nl = bytes.subarray(line, Math.min(len, to - base)).indexOf(10);
      if (nl < 0) return; // no line starts in this chunk
      line += nl + 1;
      if (base + line >= to) return;
    }
    let lines = 0;
    for (;;) {
      line = select(line, len, to - base);
      lines += count;
      if (stop >= 0) {
        take(base + line, line, stop - line, key, c, lines - 1);
        line = stop + 1;
        if (base + line >= to) break;
        continue;
      }
      if (stop === TOO_LONG) {
        tooLongAt[c] = lines;
        break;
      }
      if (base + line >= to) break;
      if (len - line > maxLine) {
        tooLongAt[c] = lines;
        break;
      }
      if (base + len >= fileBytes || Atomics.load(shrank, 0)) {
        // the file's last line, without a line feed
        if (line < len) {
          lines++;
          const k = keyOf(base + line);
          if (k <= tau) take(base + line, line, len - line, k, c, lines - 1);
        }
        break;
      }
      // the line has not ended in the window: read on from its start, with room for it to be as long as allowed
      const seen = len - line;
      line = load(base + line, seen < window / 2 ? window : Math.min(2 * seen + 1, maxLine + 2));
    }
    linesIn[c] = lines;
  };
  for (;;) {
    const c = Atomics.add(nextChunk, 0, 1);
    if (c >= chunks) return;
    scanChunk(c);
    Atomics.add(chunksDone, 0, 1);
  }
}

/** A zeroed Int32Array of `n` on shared memory. */
const sharedInt32 = (n: number) => new Int32Array(new SharedArrayBuffer(4 * n));

/** A scan's state: `capacity` candidates, `arenaBytes` of their bytes. */
export function sampleScanState(params: Pick<SampleScanState, 'first' | 'fileBytes' | 'chunkBytes' | 's0' | 's1' | 'tau' | 'maxLine' | 'layout' | 'codes' | 'parse'>, capacity: number, arenaBytes: number): SampleScanState {
  const chunks = Math.max(0, Math.ceil((params.fileBytes - params.first) / params.chunkBytes));
  const parse = params.parse;
  const sharedFloat64 = (n: number) => new Float64Array(new SharedArrayBuffer(8 * n));
  return {
    ...params,
    chunks,
    nextChunk: sharedInt32(1),
    chunksDone: sharedInt32(1),
    busy: sharedInt32(1),
    taken: sharedInt32(1),
    arenaUsed: sharedInt32(1),
    overflow: sharedInt32(1),
    failed: sharedInt32(1),
    shrank: sharedInt32(1),
    lines: sharedInt32(chunks),
    tooLongAt: sharedInt32(chunks),
    offset: sharedFloat64(capacity),
    length: sharedInt32(capacity),
    key: new Uint32Array(new SharedArrayBuffer(4 * capacity)),
    chunk: sharedInt32(capacity),
    lineInChunk: sharedInt32(capacity),
    at: sharedInt32(capacity),
    used: new Uint8Array(new SharedArrayBuffer(capacity)),
    arena: new Uint8Array(new SharedArrayBuffer(arenaBytes)),
    values: sharedFloat64(parse ? capacity * parse.inputs : 0),
    target: sharedFloat64(parse?.regression ? capacity : 0),
    label: new Uint8Array(new SharedArrayBuffer(parse && !parse.regression ? capacity * LABEL_BYTES : 0)),
    labelLength: sharedInt32(parse && !parse.regression ? capacity : 0),
    targetColumn: sharedInt32(parse ? capacity : 0),
    labelBytes: LABEL_BYTES,
    move: sharedInt32(4),
    moveFrom: sharedInt32(parse ? capacity : 0),
  };
}

/**
 * Puts parsed row moveFrom[i] at row i for the first `rows` candidates (filled in by the caller), on a
 * helper thread waiting after the scan if there is one, else when the returned wait is called. The wait
 * returns once the rows are in place.
 */
export function moveParsedRows(s: SampleScanState, rows: number, width: number): () => void {
  s.move[MOVE_ROWS] = rows;
  s.move[MOVE_WIDTH] = width;
  if (Atomics.compareExchange(s.move, MOVE_PHASE, AWAITING, POSTED) === AWAITING) Atomics.notify(s.move, MOVE_PHASE);
  return () => {
    if (Atomics.compareExchange(s.move, MOVE_PHASE, POSTED, TAKEN) === POSTED) {
      permuteRows(s.values.subarray(0, rows * width), width, s.moveFrom.subarray(0, rows));
      Atomics.store(s.move, MOVE_DONE, 1);
      return;
    }
    const since = performance.now();
    while (Atomics.load(s.move, MOVE_DONE) === 0) {
      if (performance.now() - since > STALLED_MS) throw new Error('a CSV helper thread stopped while moving the rows it read');
      Atomics.wait(s.move, MOVE_DONE, 0, 50);
    }
    if (Atomics.load(s.move, MOVE_DONE) !== 1) throw new Error('a CSV helper thread failed while moving the rows it read');
  };
}

/** Lets the helpers still waiting for a move end now: none is coming. */
export function releaseHelpers(s: SampleScanState): void {
  if (Atomics.compareExchange(s.move, MOVE_PHASE, AWAITING, RELEASED) === AWAITING) Atomics.notify(s.move, MOVE_PHASE);
}

// the mailbox through which helpers are handed scans: how many were posted, and whether they are released
const POSTS = 0;
const CLOSED = 1;

/**
 * The helper's program: it waits for a scan's state (ScanHelpers.post), opens the file the first time,
 * scans chunks beside the caller, then waits to move the rows parsed into their places (moveParsedRows)
 * while the caller reads their targets; then it waits for the next scan (a rescan of the same file) until
 * released. It never yields to its event loop, so the states are taken from its port directly. tsx, which
 * runs the tests, wraps named inner functions in `__name`, which the helper defines as the identity.
 */
const HELPER_SOURCE = `
const { workerData, parentPort, receiveMessageOnPort } = require('node:worker_threads');
const fs = require('node:fs');
const __name = (f) => f;
const { path, mailbox } = workerData;
const scan = (${scanSampleChunks.toString()});
const permute = (${permuteRows.toString()});
let fd = null;
for (let seen = 0; ; seen++) {
  while (Atomics.load(mailbox, ${POSTS}) === seen && Atomics.load(mailbox, ${CLOSED}) === 0) {
    if (Atomics.wait(mailbox, ${POSTS}, seen, ${LINGER_MS}) === 'timed-out') break;
  }
  if (Atomics.load(mailbox, ${CLOSED}) !== 0 || Atomics.load(mailbox, ${POSTS}) === seen) break;
  const { state, module } = receiveMessageOnPort(parentPort).message;
  try {
    // one that starts after every chunk was claimed (the caller scanned alone) leaves the file alone
    if (fd === null && Atomics.load(state.nextChunk, 0) < state.chunks) fd = fs.openSync(path, 'r');
  } catch {
    fd = -1; // the caller scans every chunk
  }
  if (fd !== null && fd >= 0) {
    Atomics.add(state.busy, 0, 1);
    try {
      scan(state, (into, position) => fs.readSync(fd, into, 0, into.length, position), module);
    } catch {
      // a chunk it claimed may be unfinished
      Atomics.store(state.failed, 0, 1);
    } finally {
      Atomics.sub(state.busy, 0, 1);
      Atomics.notify(state.busy, 0);
    }
  }
  // then the move of the rows the scan parsed (moveParsedRows), unless released first or another helper takes it
  const move = state.move;
  if (Atomics.load(state.failed, 0) === 0) {
    if (Atomics.load(move, ${MOVE_PHASE}) === ${AWAITING}) Atomics.wait(move, ${MOVE_PHASE}, ${AWAITING}, ${LINGER_MS});
    if (Atomics.compareExchange(move, ${MOVE_PHASE}, ${POSTED}, ${TAKEN}) === ${POSTED}) {
      try {
        const rows = move[${MOVE_ROWS}], width = move[${MOVE_WIDTH}];
        permute(state.values.subarray(0, rows * width), width, state.moveFrom.subarray(0, rows));
        Atomics.store(move, ${MOVE_DONE}, 1);
      } catch {
        Atomics.store(move, ${MOVE_DONE}, 2);
      }
      Atomics.notify(move, ${MOVE_DONE});
    }
  }
}
if (fd !== null && fd >= 0) fs.closeSync(fd);
`;

/**
 * Helper threads that sample one file beside the caller. They are started before the file's header is
 * read, so that their start-up (tens of milliseconds) overlaps it; each scan of the file is then posted to
 * them, and close() lets them end. A runtime without threads gets none, and the caller scans alone.
 */
export class ScanHelpers {
  private readonly workers: Worker[] = [];
  private readonly mailbox = sharedInt32(2);

  constructor(path: string, count: number) {
    for (let i = 0; i < count; i++) {
      try {
        const worker = new Worker(HELPER_SOURCE, { eval: true, workerData: { path, mailbox: this.mailbox } });
        // a helper that fails leaves its chunks to the caller (state.failed), never the process
        worker.on('error', () => {});
        worker.unref();
        this.workers.push(worker);
      } catch {
        break;
      }
    }
  }

  /** Hands a scan's state to every helper. */
  post(s: SampleScanState, module: WebAssembly.Module | null): void {
    if (this.workers.length === 0) return;
    for (const worker of this.workers) worker.postMessage({ state: s, module });
    Atomics.add(this.mailbox, POSTS, 1);
    Atomics.notify(this.mailbox, POSTS);
  }

  /** Lets the helpers end once they are done with the scan they have. */
  close(): void {
    Atomics.store(this.mailbox, CLOSED, 1);
    Atomics.notify(this.mailbox, POSTS);
  }
}

/** How long the caller waits on a helper whose chunks stop finishing before it scans again alone. */
const STALLED_MS = 10_000;

/**
 * Runs one scan: the helpers (reading the file themselves) and the caller through `read`, which also
 * reports progress after each of its chunks. Returns false if a helper failed (the state is then
 * incomplete and the caller scans again alone).
 */
export function runSampleScan(s: SampleScanState, read: ReadAt, module: WebAssembly.Module | null, helpers: ScanHelpers | null, progress: (chunksDone: number) => void): boolean {
  helpers?.post(s, module);
  scanSampleChunks(s, (into, position) => {
    const n = read(into, position);
    progress(Atomics.load(s.chunksDone, 0));
    return n;
  }, module);
  // a helper may still be finishing the chunks it claimed
  let done = Atomics.load(s.chunksDone, 0);
  let since = performance.now();
  for (let busy = Atomics.load(s.busy, 0); busy > 0; busy = Atomics.load(s.busy, 0)) {
    Atomics.wait(s.busy, 0, busy, 50);
    const now = Atomics.load(s.chunksDone, 0);
    if (now !== done) [done, since] = [now, performance.now()];
    else if (performance.now() - since > STALLED_MS) return false;
  }
  progress(s.chunks);
  return !Atomics.load(s.failed, 0);
}
