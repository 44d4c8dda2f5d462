// Records fixtures/conv-run.json from the real engine: a small CNN on the generated shapes images with
// batch norm per channel after its first conv layer and a second conv layer wider than the probes' channel
// histograms (CHANNEL_HISTOGRAMS), started with a negative bias so some of its filters die. Written as the
// ToWebview messages the extension sends the panel (record-run.ts), encoded as on the wire.
// Run: node --import tsx test/webview/record-conv-fixture.ts
import { writeFileSync } from 'fs';
import { join } from 'path';
import { encodeNumbers } from '../../src/shared/protocol';
import { record } from './record-run';

export const CONV_MODEL = {
  name: 'shapes-cnn-channels',
  seed: 12,
  data: { source: 'shapes', samples: 480, classes: 4, noise: 0.2, validationSplit: 0.25, preprocess: 'none' },
  layers: [
    { type: 'conv2d', filters: 8, kernel: 3, padding: 'same', init: 'he', name: 'conv1' },
    { type: 'batchnorm', name: 'bn1' },
    { type: 'relu', name: 'relu1' },
    { type: 'maxpool', size: 2 },
    { type: 'conv2d', filters: 24, kernel: 3, padding: 'same', init: 'he', biasInit: { type: 'constant', value: -1 }, activation: 'relu', name: 'conv2' },
    { type: 'globalavgpool' },
    { type: 'dense', units: 4, name: 'logits' },
  ],
  loss: 'softmax-cross-entropy',
  optimizer: { type: 'adam', lr: 0.003 },
  epochs: 3,
  batchSize: 30,
};

async function main(): Promise<void> {
  const t0 = Date.now();
  const run = await record('conv-run', 'conv-channels.nn.json', JSON.stringify(CONV_MODEL, null, 2), 4);
  const out = { source: 'engine run of the CNN in test/webview/record-conv-fixture.ts', runs: [run.messages.map((m) => encodeNumbers(m))] };
  writeFileSync(join(__dirname, 'fixtures', 'conv-run.json'), JSON.stringify(out));
  console.log(`${out.source}: ${run.findings.length} findings (${run.findings.map((f) => f.code).join(', ')}); ${Date.now() - t0} ms`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
