// Learning-rate schedules, evaluated once per epoch (epoch counted from 0):
//   constant     lr
//   step         lr · factor^⌊epoch / every⌋                         (PyTorch StepLR)
//   exponential  lr · gamma^epoch                                     (PyTorch ExponentialLR)
//   cosine       minLr + (lr - minLr) · (1 + cos(π · epoch / epochs)) / 2   (PyTorch CosineAnnealingLR, T_max = epochs)
import type { ScheduleSpec } from '../spec/model-spec';

export function learningRateAt(schedule: ScheduleSpec, baseLr: number, epoch: number, totalEpochs: number): number {
  switch (schedule.type) {
    case 'constant':
      return baseLr;
    case 'step':
      return baseLr * Math.pow(schedule.factor, Math.floor(epoch / Math.max(1, schedule.every)));
    case 'exponential':
      return baseLr * Math.pow(schedule.gamma, epoch);
    case 'cosine':
      return schedule.minLr + ((baseLr - schedule.minLr) * (1 + Math.cos((Math.PI * epoch) / Math.max(1, totalEpochs)))) / 2;
  }
}
