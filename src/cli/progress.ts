// Live progress: a redrawn bar on a terminal, one plain line per epoch otherwise.
import type { EpochMetrics, StepMetrics } from '../engine/types';

export interface ProgressSink {
  step(m: StepMetrics): void;
  epoch(m: EpochMetrics): void;
  done(): void;
}

const REDRAW_MS = 100;
const WIDTH = 24;

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
    const filled = Math.min(WIDTH, Math.round((step / total) * WIDTH));
    const bar = '#'.repeat(filled) + '.'.repeat(WIDTH - filled);
    stream.write(`\r[${bar}] ${Math.min(100, Math.round((step / total) * 100))}%  step ${step}  loss ${loss.toPrecision(4)}  ${lastEpoch}\x1b[K`);
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
