// The model-dependent training definitions of an exported script: loss and its targets, accuracy
// threshold, optimiser with the engine's defaults, learning-rate schedule, clipping, L1/L2 strengths and
// early stopping, each as PyTorch code that computes what the engine's trainer computes.
import type { ClippingSpec, LossKind, ModelSpec, OptimizerSpec, ScheduleSpec } from '../spec/model-spec';
import type { Task } from '../spec/model-spec';
import { pyFloat, pyString } from './python-text';

export interface LossCode {
  /** Python statements defining LOSS, LOSS_TERMS_PER_SAMPLE, THRESHOLD and loss_targets(y, dtype). */
  text: string;
  /** The model's last layer is folded into the loss (forward returns its input, the logits). */
  fused: boolean;
}

/** `width` is the model's output width, `lastKind` the kind of its last layer. */
export function lossCode(loss: LossKind, task: Task, width: number, lastKind: string): LossCode {
  const fused = (loss === 'softmax-cross-entropy' && lastKind === 'softmax') || (loss === 'binary-cross-entropy' && lastKind === 'sigmoid');
  const module = {
    mse: 'nn.MSELoss(reduction="sum")',
    'binary-cross-entropy': 'nn.BCEWithLogitsLoss(reduction="sum")',
    'softmax-cross-entropy': 'nn.CrossEntropyLoss(reduction="sum")',
  }[loss];
  const what = {
    mse: 'mean squared error over every output',
    'binary-cross-entropy': 'binary cross-entropy on logits, over every output',
    'softmax-cross-entropy': 'softmax cross-entropy on logits, per sample',
  }[loss];
  let targets: string;
  if (task === 'regression') targets = 'y.to(dtype)';
  else if (loss === 'softmax-cross-entropy') targets = 'y[:, 0].long()';
  else if (width === 1) targets = 'y.to(dtype)';
  else targets = 'nn.functional.one_hot(y[:, 0].long(), OUTPUT_WIDTH).to(dtype)';
  const text = [
    `# ${what}; summed here and divided by the batch's terms in train_epoch, so it is the engine's mean.`,
    `LOSS = ${module}`,
    `LOSS_TERMS_PER_SAMPLE = ${loss === 'softmax-cross-entropy' ? 1 : 'OUTPUT_WIDTH'}`,
    `# A single output is a class-1 ${loss === 'binary-cross-entropy' ? 'logit above 0' : 'output above 0.5'}.`,
    `THRESHOLD = ${loss === 'binary-cross-entropy' ? '0.0' : '0.5'}`,
    '',
    '',
    'def loss_targets(y, dtype):',
    `    """What LOSS compares the output with, from the stored ${task === 'regression' ? 'targets' : 'class labels'}."""`,
    `    return ${targets}`,
  ].join('\n');
  return { text, fused };
}

export function optimizerCode(spec: OptimizerSpec): string {
  let call: string;
  switch (spec.type) {
    case 'sgd': {
      const momentum = spec.momentum > 0 ? `, momentum=${pyFloat(spec.momentum)}${spec.nesterov ? ', nesterov=True' : ''}` : '';
      call = `torch.optim.SGD(params, lr=LEARNING_RATE${momentum})`;
      break;
    }
    case 'adagrad':
      call = `torch.optim.Adagrad(params, lr=LEARNING_RATE, eps=${pyFloat(spec.epsilon)})`;
      break;
    case 'rmsprop':
      call = `torch.optim.RMSprop(params, lr=LEARNING_RATE, alpha=${pyFloat(spec.decay)}, eps=${pyFloat(spec.epsilon)})`;
      break;
    case 'adam':
      call = `torch.optim.Adam(params, lr=LEARNING_RATE, betas=(${pyFloat(spec.beta1)}, ${pyFloat(spec.beta2)}), eps=${pyFloat(spec.epsilon)})`;
      break;
  }
  return [`LEARNING_RATE = ${pyFloat(spec.lr)}`, '', '', 'def make_optimizer(params):', `    return ${call}`].join('\n');
}

/** The engine sets the rate once per epoch from a closed form; so does the script (no scheduler state). */
export function scheduleCode(spec: ScheduleSpec): string {
  let body: string[];
  switch (spec.type) {
    case 'constant':
      body = ['    return LEARNING_RATE'];
      break;
    case 'step':
      body = [`    return LEARNING_RATE * ${pyFloat(spec.factor)} ** (epoch // ${Math.max(1, spec.every)})  # as StepLR`];
      break;
    case 'exponential':
      body = [`    return LEARNING_RATE * ${pyFloat(spec.gamma)} ** epoch  # as ExponentialLR`];
      break;
    case 'cosine':
      body = [
        `    min_lr = ${pyFloat(spec.minLr)}  # as CosineAnnealingLR with T_max = epochs`,
        '    return min_lr + (LEARNING_RATE - min_lr) * (1 + math.cos(math.pi * epoch / max(1, epochs))) / 2',
      ];
      break;
  }
  return ['def learning_rate(epoch, epochs):', '    """The learning rate of an epoch (counted from 0)."""', ...body].join('\n');
}

export function clippingCode(spec: ClippingSpec): string {
  const head = ['def clip_gradients(params):'];
  switch (spec.mode) {
    case 'none':
      return [...head, '    """No clipping; the global gradient norm tells a non-finite gradient."""', '    return global_grad_norm(params)'].join('\n');
    case 'norm':
      return [
        ...head,
        `    """Scales all gradients together to a global L2 norm of at most ${pyFloat(spec.norm)}; returns the norm before."""`,
        '    norm = global_grad_norm(params)',
        `    if math.isfinite(norm) and norm > ${pyFloat(spec.norm)}:`,
        '        for p in params:',
        `            p.grad.mul_(${pyFloat(spec.norm)} / norm)`,
        '    return norm',
      ].join('\n');
    case 'value':
      return [
        ...head,
        `    """Clamps every gradient entry to [-${pyFloat(spec.value)}, ${pyFloat(spec.value)}]; returns the global norm before."""`,
        '    norm = global_grad_norm(params)',
        `    torch.nn.utils.clip_grad_value_(params, ${pyFloat(spec.value)})`,
        '    return norm',
      ].join('\n');
  }
}

/** `strengths`: [parameter name, l1, l2] of every regularised weight. */
export function regularizationCode(strengths: [string, number, number][]): string {
  const entries = strengths.map(([name, l1, l2]) => `    ${pyString(name)}: (${pyFloat(l1)}, ${pyFloat(l2)}),`);
  return [
    '# (l1, l2) of each regularised weight, as in the engine (Keras convention): the gradient gains',
    '# l1·sign(w) + 2·l2·w before clipping; biases and norm parameters are exempt; the reported loss excludes it.',
    entries.length ? ['REGULARIZATION = {', ...entries, '}'].join('\n') : 'REGULARIZATION = {}',
    '',
    '',
    '@torch.no_grad()',
    'def add_regularization_gradients(regularized):',
    '    for p, l1, l2 in regularized:',
    '        p.grad.add_(l1 * torch.sign(p) + 2 * l2 * p)',
  ].join('\n');
}

export function earlyStoppingCode(spec: ModelSpec['earlyStopping']): string {
  if (!spec) return 'EARLY_STOPPING = None';
  return [
    '# Stop when the monitored loss has not improved by min_delta for `patience` epochs; restore the best weights.',
    `EARLY_STOPPING = {"patience": ${spec.patience}, "min_delta": ${pyFloat(spec.minDelta)}}`,
  ].join('\n');
}
