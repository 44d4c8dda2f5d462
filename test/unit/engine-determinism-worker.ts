// Worker-thread side of the determinism test: trains the model it is sent and posts back every step loss.
import { parentPort, workerData } from 'node:worker_threads';
import { parseModel } from '../../src/engine/spec/parse';
import { loadDataset } from '../../src/engine/data/load';
import { Trainer } from '../../src/engine/train/trainer';

const parsed = parseModel(workerData as string, 'model.nn.json');
if (!parsed.ok) throw new Error(parsed.issues.map((i) => i.message).join('\n'));
const trainer = new Trainer(parsed.spec, loadDataset(parsed.spec, {}));
const losses: number[] = [];
trainer.on((e) => e.type === 'step' && losses.push(e.metrics.loss));
void trainer.run().then(() => parentPort!.postMessage(losses));
