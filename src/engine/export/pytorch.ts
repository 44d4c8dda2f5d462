// ModelSpec + its loaded dataset -> one self-contained PyTorch training script and the files it reads:
// the data exactly as the engine split and preprocessed it, and (with sameInit) the engine's initial
// weights, so the script's first epoch reproduces the engine's. Pure: the caller writes the files.
import type { ModelSpec } from '../spec/model-spec';
import type { Dataset, Split } from '../data/dataset';
import { Rng } from '../rng';
import { isSpatial } from '../spec/layer-kinds';
import { buildModel } from '../layers/build';
import { referenceKernels } from '../kernels/reference';
import { requiredOutputWidth } from '../train/targets';
import { emitLayer, type ExportTensor } from './pytorch-layers';
import { clippingCode, earlyStoppingCode, lossCode, optimizerCode, regularizationCode, scheduleCode } from './pytorch-training';
import { PYTHON_RUNTIME } from './pytorch-runtime';
import { attributeNames, pyString } from './python-text';

export interface PyTorchExportInput {
  spec: ModelSpec;
  dataset: Dataset;
  /** The model file as the user named it (quoted in the script's docstring). */
  modelFile: string;
  /** Base name of the script and its files: <stem>.py, <stem>.data.f64, <stem>.init.f64. */
  stem: string;
  /** Write the engine's initial weights and load them by default. */
  sameInit: boolean;
}

export interface ExportFile {
  name: string;
  bytes: Uint8Array;
}

export interface PyTorchExport {
  /** The script's file name and text. */
  scriptName: string;
  script: string;
  /** Files the script reads, to be written beside it. */
  files: ExportFile[];
}

export function exportToPyTorch(input: PyTorchExportInput): PyTorchExport {
  const { spec, dataset, stem } = input;
  const width = requiredOutputWidth(spec, dataset);
  // The engine's own construction, so the initial tensors are the ones a run with this seed starts from.
  const layers = buildModel(spec, dataset.inputShape ?? dataset.inputs, width, 'float64', new Rng(spec.seed), referenceKernels);
  const attrs = attributeNames(spec.layers.map((l) => l.name));
  const lastKind = spec.layers[spec.layers.length - 1].kind;
  const loss = lossCode(spec.loss, dataset.task, width, lastKind);

  const moduleLines: string[] = [];
  const initLines: string[] = [];
  const forwardLines: string[] = [];
  const helpers = new Set<string>();
  const tensors: ExportTensor[] = [];
  const regularized: [string, number, number][] = [];
  layers.forEach((layer, i) => {
    const ls = spec.layers[i];
    const attr = attrs[i];
    const emitted = emitLayer(ls, layer);
    const fusedHere = loss.fused && i === layers.length - 1;
    if (fusedHere) return;
    const origin = attr === ls.name ? '' : `  # "${ls.name}"`;
    if (emitted.note) moduleLines.push(`        # ${emitted.note}`);
    moduleLines.push(`        self.${attr} = ${emitted.module}${origin}`);
    for (const line of emitted.init) initLines.push(`        ${line.replaceAll('{m}', `self.${attr}`)}`);
    for (const h of emitted.helpers) helpers.add(h);
    // A dense layer after an image layer flattens its input, channel-major, as x.flatten(1) does.
    const flat = ls.kind === 'dense' && isSpatial(layer.inputShape);
    forwardLines.push(`        x = self.${attr}(${flat ? 'x.flatten(1)' : 'x'})`);
    for (const t of emitted.tensors) tensors.push({ ...t, key: `${attr}.${t.key}` });
    for (const p of layer.params) if (p.role === 'weight' && (p.l1 !== 0 || p.l2 !== 0)) regularized.push([`${attr}.weight`, p.l1, p.l2]);
  });
  const lastNote = loss.fused
    ? `        return x  # logits: the file's final ${lastKind} is part of the loss, as in the engine`
    : '        return x';

  const dataFile = `${stem}.data.f64`;
  const initFile = input.sameInit ? `${stem}.init.f64` : null;
  const split = (name: string, s: Split) => {
    const yCols = dataset.task === 'regression' ? dataset.outputs : 1;
    return [
      [`${name}_x`, s.n, dataset.inputs],
      [`${name}_y`, s.n, yCols],
    ] as const;
  };
  const layout = [...split('train', dataset.train), ...split('val', dataset.val)];

  const script = [
    '#!/usr/bin/env python3',
    `"""${spec.name}: exported from ${input.modelFile} by NN Debugger.`,
    '',
    "The engine's training in PyTorch: the file's layers and initialisers, the engine's data as it split and",
    `preprocessed it (${dataFile})${initFile ? `, its initial weights (${initFile})` : ''}, its batch order, optimiser,`,
    'learning-rate schedule, gradient clipping, L1/L2 (biases exempt) and early stopping.',
    '',
    `  python3 ${stem}.py [--epochs N] [--seed S] [--device cpu|cuda] [--json] [--watch]`,
    `  torchrun --nproc_per_node 2 ${stem}.py    # data-parallel (DistributedDataParallel; gloo on CPU, nccl on GPU)`,
    '',
    "Under a launcher each rank computes its share of every engine batch; the gradients' average over ranks",
    "is then the whole batch's, so the run matches one process (batch norm uses each rank's share).",
    '"""',
    'import argparse',
    'import copy',
    'import json',
    'import math',
    'import os',
    'import sys',
    '',
    'import torch',
    'import torch.distributed as dist',
    'from torch import nn',
    '',
    'HERE = os.path.dirname(os.path.abspath(__file__))',
    `NAME = ${pyString(spec.name)}`,
    `DATA_FILE = os.path.join(HERE, ${pyString(dataFile)})`,
    `INIT_FILE = ${initFile ? `os.path.join(HERE, ${pyString(initFile)})` : 'None'}`,
    `SAVE_FILE = os.path.join(HERE, ${pyString(`${stem}.pt`)})`,
    '',
    `SEED = ${spec.seed}`,
    `EPOCHS = ${spec.epochs}`,
    `BATCH_SIZE = ${Math.max(1, Math.min(spec.batchSize, dataset.train.n))}`,
    `TASK = ${pyString(dataset.task)}`,
    `INPUTS = ${dataset.inputs}`,
    '# One sample as the model reads it: [features], or an image [channels, height, width].',
    `INPUT_SHAPE = (${(dataset.inputShape ?? [dataset.inputs]).join(', ')}${dataset.inputShape ? '' : ','})`,
    `OUTPUT_WIDTH = ${width}`,
    '# (name, rows, columns) of the arrays in DATA_FILE, in order: features, then class labels or targets.',
    `DATA_LAYOUT = [${layout.map(([n, r, c]) => `(${pyString(n)}, ${r}, ${c})`).join(', ')}]`,
    "# (state_dict key, shape) of the engine's initial tensors in INIT_FILE, in order.",
    `INIT_LAYOUT = [${initFile ? tensors.map((t) => `(${pyString(t.key)}, (${t.shape.join(', ')}${t.shape.length === 1 ? ',' : ''}))`).join(', ') : ''}]`,
    '',
    '',
    ...[...helpers].flatMap((h) => [h, '', '']),
    'class Model(nn.Module):',
    '    def __init__(self):',
    '        super().__init__()',
    ...moduleLines,
    '        self.reset_parameters()',
    '',
    '    @torch.no_grad()',
    '    def reset_parameters(self):',
    `        """The file's initialisers (--no-same-init starts from these)."""`,
    ...(initLines.length ? initLines : ['        pass']),
    '',
    '    def forward(self, x):',
    ...forwardLines,
    lastNote,
    '',
    '',
    loss.text,
    '',
    '',
    optimizerCode(spec.optimizer),
    '',
    '',
    scheduleCode(spec.schedule),
    '',
    '',
    clippingCode(spec.clipping),
    '',
    '',
    regularizationCode(regularized),
    '',
    '',
    earlyStoppingCode(spec.earlyStopping),
    '',
    PYTHON_RUNTIME,
  ].join('\n');

  const files: ExportFile[] = [{ name: dataFile, bytes: float64File(layout.map(([name]) => splitArray(dataset, name))) }];
  if (initFile) files.push({ name: initFile, bytes: float64File(tensors.map((t) => t.values)) });
  return { scriptName: `${stem}.py`, script, files };
}

/** A split's features, or its labels (as numbers) or regression targets. */
function splitArray(dataset: Dataset, name: string): ArrayLike<number> {
  const s = name.startsWith('train') ? dataset.train : dataset.val;
  if (name.endsWith('_x')) return s.x;
  return dataset.task === 'regression' ? s.targets : s.labels;
}

/** The arrays back to back as little-endian float64. */
function float64File(arrays: ArrayLike<number>[]): Uint8Array {
  const total = arrays.reduce((n, a) => n + a.length, 0);
  const bytes = new Uint8Array(total * 8);
  const view = new DataView(bytes.buffer);
  let offset = 0;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++, offset += 8) view.setFloat64(offset, a[i], true);
  }
  return bytes;
}
