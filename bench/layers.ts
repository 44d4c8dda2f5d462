// `node --experimental-wasm-relaxed-simd --import tsx bench/layers.ts [--cases=cnn|<case id substring>] [--threads=N]`:
// the share of a training step (wall time) spent in each layer's forward and backward pass and outside the
// layers (finiteness checks, batch gather, loss, optimiser), timed around each call over a few epochs. The
// per-layer view of bench/profile.ts's per-function one.
import { cnnBenchSpec } from './cnn-spec';
import { benchCases, dataset, modelSpec } from './cases';
import { loadDataset } from '../src/engine/data/load';
import { Trainer } from '../src/engine/train/trainer';
import type { Layer } from '../src/engine/layers/layer';

const args = process.argv.slice(2);
const opt = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const EPOCHS = 5;

function trainers(filter: string, threads: number): { id: string; trainer: Trainer }[] {
  const options = { epochs: 1, yieldEveryMs: 0, threads, dtype: 'float32' as const };
  const out: { id: string; trainer: Trainer }[] = [];
  if ('cnn'.includes(filter)) {
    const spec = cnnBenchSpec(1);
    out.push({ id: 'cnn b64', trainer: new Trainer(spec, loadDataset(spec, {}), options) });
  }
  for (const c of benchCases().filter((x) => x.id.includes(filter))) out.push({ id: c.id, trainer: new Trainer(modelSpec(c), dataset(c.data), options) });
  return out;
}

function timeLayers(layers: readonly Layer[], spent: Map<string, number>): void {
  const add = (key: string, ms: number) => spent.set(key, (spent.get(key) ?? 0) + ms);
  layers.forEach((layer, i) => {
    const forward = layer.forward.bind(layer);
    const backward = layer.backward.bind(layer);
    const name = `${i} ${layer.spec.kind}`;
    layer.forward = (x, batch, training) => {
      const t0 = performance.now();
      const out = forward(x, batch, training);
      add(`${name} forward`, performance.now() - t0);
      return out;
    };
    layer.backward = (g, batch) => {
      const t0 = performance.now();
      const out = backward(g, batch);
      add(`${name} backward`, performance.now() - t0);
      return out;
    };
  });
}

async function main(): Promise<void> {
  for (const { id, trainer } of trainers(opt('cases') ?? 'cnn', Number(opt('threads') ?? 1))) {
    const spent = new Map<string, number>();
    timeLayers(trainer.layers, spent);
    await trainer.run(); // warm-up
    spent.clear();
    const t0 = performance.now();
    for (let e = 0; e < EPOCHS; e++) await trainer.run();
    const total = performance.now() - t0;
    let inLayers = 0;
    console.log(`${id} (${trainer.summary().kernel})`);
    for (const [key, ms] of spent) {
      inLayers += ms;
      console.log(`  ${key.padEnd(24)} ${((100 * ms) / total).toFixed(1).padStart(5)} %`);
    }
    console.log(`  ${'outside the layers'.padEnd(24)} ${((100 * (total - inLayers)) / total).toFixed(1).padStart(5)} %`);
  }
}

void main();
