// The engine as bench/ours.ts runs it: this entry is bundled by esbuild (bench/bundle.ts), as dist/ is, so
// the bench does not measure tsx's loader in the training and probe hot paths.
export { Trainer } from '../src/engine/train/trainer';
export { ProbeObserver } from '../src/engine/probes/observer';
