// Live progress: a redrawn bar on a terminal, one plain line per epoch otherwise. Loading a data file
// shows its own byte bar on a terminal (and nothing otherwise), cleared once the file is read.
import type { EpochMetrics, StepMetrics } from '../engine/types';

export interface ProgressSink {
  step(m: StepMetrics): void;
  epoch(m: EpochMetrics): void;
  done(): void;
}

const REDRAW_MS = 100;
const WIDTH = 24;

const bar = (fraction: number) => {
  const filled = Math.max(0, Math.min(WIDTH, Math.round(fraction * WIDTH)));
  return '[' + '#'.repeat(filled) + '.'.repeat(WIDTH - filled) + ']';
};

export interface LoadProgress {
  update(bytes: number, total: number): void;
  /** Clears the bar (idempotent): after the file is read, or when loading failed. */
  done(): void;
}

export function createLoadProgress(stream: NodeJS.WriteStream, file: string, enabled: boolean): LoadProgress {
  if (!enabled || !stream.isTTY) return { update() {}, done() {} };
  let last = 0;
  let shown = false;
  const mib = (b: number) => (b / 2 ** 20).toFixed(0);
  const done = () => {
    if (shown) stream.write('\r\x1b[K');
    shown = false;
  };
  return {
    update(bytes, total) {
      if (bytes >= total) return done();
      const now = Date.now();
      if (now - last < REDRAW_MS) return;
      last = now;
      shown = true;
      stream.write(`\rloading ${file} ${bar(bytes / total)} ${Math.floor((bytes / total) * 100)}%  ${mib(bytes)}/${mib(total)} MiB\x1b[K`);
    },
    done,
  };
}

function epochLine(m: EpochMetrics, total: number): string {
  const parts = [`epoch ${m.epoch}/${total}`, `loss ${m.loss.toPrecision(4)}`];
  if (m.accuracy !== null) parts.push(`acc ${(m.accuracy * 100).toFixed(1)}%`);
  if (m.valLoss !== null) parts.push(`val_loss ${m.valLoss.toPrecision(4)}`);
  if (m.valAccuracy !== null) parts.push(`val_acc ${(m.valAccuracy * 100).toFixed(1)}%`);
  return parts.join('  ');
}

export function createProgress(stream: NodeJS.WriteStream, totalEpochs: number, stepsPerEpoch: number, enabled: boolean): ProgressSink {
  if (!enabled) return { step() {}, epoch() {}, done() {} };
  if (!stream.isTTY) {
    return { step() {}, epoch: (m) => void stream.write(epochLine(m, totalEpochs) + '\n'), done() {} };
  }
  const total = Math.max(1, totalEpochs * stepsPerEpoch);
  let last = 0;
  let lastEpoch = '';
  const draw = (step: number, loss: number) => {
    stream.write(`\r${bar(step / total)} ${Math.min(100, Math.round((step / total) * 100))}%  step ${step}  loss ${loss.toPrecision(4)}  ${lastEpoch}\x1b[K`);
  };
  return {
    step(m) {
      const now = Date.now();
      if (now - last < REDRAW_MS) return;
      last = now;
      draw(m.step, m.loss);
    },
    epoch(m) {
      lastEpoch = epochLine(m, totalEpochs);
      draw(m.step, m.loss);
    },
    done() {
      stream.write('\n');
    },
  };
}
