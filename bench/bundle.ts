// Bench scripts measure the engine as users run it: bundled by esbuild (as dist/ is), not through tsx's
// loader, whose per-import getters add a call to every cross-module reference in the hot paths. The bundle
// goes under the repository's .cache/ so the engine's lookups relative to the package root still resolve.
import * as path from 'node:path';
import { buildSync } from 'esbuild';

/** Bundles `entry` (a bench script) into .cache/bench/ and returns the bundle's path. */
export function bundledScript(entry: string): string {
  const outfile = path.join(__dirname, '..', '.cache', 'bench', `${path.basename(entry, '.ts')}.js`);
  buildSync({ entryPoints: [entry], outfile, bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning', mainFields: ['module', 'main'] });
  return outfile;
}
