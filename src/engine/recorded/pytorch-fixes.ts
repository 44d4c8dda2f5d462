// Fix ids (src/engine/fixes) as PyTorch code: a recorded run has no model file to edit, so each fix is
// given as the lines a PyTorch user would write instead. Layer names are the watcher's module paths
// (`fc1`, `layers.0`; a second call of a shared module reads `act#2`).

/** `model.fc1`, `model.layers[0]`: a module path as Python attribute and index access. */
export function moduleExpr(name: string, root = 'model'): string {
  const path = name.replace(/#\d+$/, '');
  return path.split('.').reduce((expr, part) => (/^\d+$/.test(part) ? `${expr}[${part}]` : /^[A-Za-z_]\w*$/.test(part) ? `${expr}.${part}` : `getattr(${expr}, ${JSON.stringify(part)})`), root);
}

/** `self.fc1 = ...` for a top-level attribute; the module expression otherwise. */
function assignTarget(name: string): string {
  const path = name.replace(/#\d+$/, '');
  return /^[A-Za-z_]\w*$/.test(path) ? `self.${path}` : moduleExpr(name);
}

function initLine(name: string, init: string): string {
  const w = `${moduleExpr(name)}.weight`;
  switch (init) {
    case 'he':
      return `nn.init.kaiming_normal_(${w}, nonlinearity="relu")`;
    case 'he-uniform':
      return `nn.init.kaiming_uniform_(${w}, nonlinearity="relu")`;
    case 'xavier':
      return `nn.init.xavier_normal_(${w})`;
    case 'xavier-uniform':
      return `nn.init.xavier_uniform_(${w})`;
    default:
      return `nn.init.kaiming_normal_(${w}, nonlinearity="linear")  # LeCun: variance 1/fan_in`;
  }
}

const SCHEDULES: Record<string, string> = {
  step: 'scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=max(1, epochs // 3), gamma=0.5)  # scheduler.step() once per epoch',
  exponential: 'scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.95)  # scheduler.step() once per epoch',
  cosine: 'scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)  # scheduler.step() once per epoch',
};

/** A layer of the recorded run, in forward order, as the fixes need it. */
export interface FixLayer {
  name: string;
  kind: string;
}

/** Every hidden sigmoid/tanh (one line per module, a shared one once) to ReLU, with He init before it. */
function reluHeAll(layers: readonly FixLayer[], leaky = false): string {
  const module = leaky ? 'nn.LeakyReLU(0.01)' : 'nn.ReLU()';
  const nonlinearity = leaky ? 'leaky_relu' : 'relu';
  const lastWeight = layers.map((l) => l.kind === 'dense' || l.kind.startsWith('conv')).lastIndexOf(true);
  const lines = new Set<string>();
  let weight: string | null = null;
  layers.forEach((l, i) => {
    if (l.kind === 'dense' || l.kind.startsWith('conv')) weight = l.name;
    if ((l.kind === 'sigmoid' || l.kind === 'tanh') && i < lastWeight) {
      lines.add(`${assignTarget(l.name)} = ${module}`);
      if (weight) lines.add(`nn.init.kaiming_normal_(${moduleExpr(weight)}.weight, nonlinearity="${nonlinearity}")`);
    }
  });
  return lines.size ? [...lines].join('\n') : `# every hidden nn.Sigmoid()/nn.Tanh() -> ${module}, with kaiming_normal_ init of the layer before it`;
}

/** The PyTorch code for a fix id, one or more lines; `layers` resolves fixes over every layer (`relu-he:*`). */
export function pytorchFix(fixId: string, layers: readonly FixLayer[] = []): string {
  const [kind, ...args] = fixId.split(':');
  const [a, b] = args;
  switch (kind) {
    case 'clip-norm':
      return `torch.nn.utils.clip_grad_norm_(model.parameters(), ${a})  # between loss.backward() and optimizer.step()`;
    case 'clip-value':
      return `torch.nn.utils.clip_grad_value_(model.parameters(), ${a})  # between loss.backward() and optimizer.step()`;
    case 'lr':
      return `for group in optimizer.param_groups:\n    group["lr"] = ${a}`;
    case 'schedule':
      return SCHEDULES[a] ?? SCHEDULES.step;
    case 'reinit':
      return (a ?? '').split(',').filter(Boolean).map((n) => initLine(n, b)).join('\n');
    case 'leaky-relu':
      return `${assignTarget(a)} = nn.LeakyReLU(0.01)`;
    case 'relu-he':
      return a === '*'
        ? reluHeAll(layers)
        : `${assignTarget(a)} = nn.ReLU()  # and nn.init.kaiming_normal_(<the Linear before it>.weight, nonlinearity="relu")`;
    case 'leaky-relu-he':
      return a === '*'
        ? reluHeAll(layers, true)
        : `${assignTarget(a)} = nn.LeakyReLU(0.01)  # and nn.init.kaiming_normal_(<the Linear before it>.weight, nonlinearity="leaky_relu")`;
    case 'bias-init':
      return (a ?? '').split(',').filter(Boolean).map((n) => `nn.init.zeros_(${moduleExpr(n)}.bias)`).join('\n');
    case 'insert-batchnorm':
      return `# in forward(): x = self.bn(${assignTarget(a)}(x)), with self.bn = nn.BatchNorm1d(${moduleExpr(a, 'self')}.out_features)`;
    case 'insert-activation':
      return `# in forward(): x = torch.${b === 'tanh' ? 'tanh' : 'relu'}(${assignTarget(a)}(x))`;
    case 'remove-layer':
      return `${assignTarget(a)} = nn.Identity()`;
    case 'dropout':
      return `${assignTarget(a)}_dropout = nn.Dropout(${b})  # applied after ${a} in forward()`;
    case 'l2':
      return `optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=${a})  # or weight_decay= on your optimiser`;
    case 'early-stopping':
      return `# keep the best weights: if val_loss < best: best, best_state = val_loss, copy.deepcopy(model.state_dict());\n# stop after ${a ?? 5} epochs without improvement, then model.load_state_dict(best_state)`;
    case 'standardize':
      return 'x = (x - mean) / std  # mean, std = x_train.mean(0), x_train.std(0), computed on the training set only';
    case 'target-scaling':
      return 'y = (y - y_mean) / y_std  # y_mean, y_std from the training targets; report predictions as pred * y_std + y_mean';
    case 'loss':
      return a === 'softmax-cross-entropy' ? 'criterion = nn.CrossEntropyLoss()  # on raw logits: no softmax layer before it' : a === 'binary-cross-entropy' ? 'criterion = nn.BCEWithLogitsLoss()' : 'criterion = nn.MSELoss()';
    case 'batchnorm-momentum':
      // PyTorch's momentum is the weight of the new batch, the engine's that of the old average
      return `${moduleExpr(a)}.momentum = ${Number((1 - Number(b)).toFixed(4))}`;
    case 'batch-size':
      return `loader = torch.utils.data.DataLoader(dataset, batch_size=${a}, shuffle=True)`;
    default:
      return `# ${fixId}`;
  }
}
