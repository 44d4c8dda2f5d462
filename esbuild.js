// One build for every entry: extension host, engine worker, CLI (Node, CommonJS) and the panel (browser).
// `--watch` rebuilds on change, `--production` minifies and drops source maps. Type checking is separate
// (`npm run check`).
const esbuild = require('esbuild');
const path = require('path');
const { packData } = require('./scripts/pack-data');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const common = {
  bundle: true,
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  logLevel: 'info',
  legalComments: 'none',
};

const nodeEntry = (entry, outfile, extra = {}) => ({
  ...common,
  entryPoints: [entry],
  outfile,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['vscode'],
  // jsonc-parser's UMD "main" hides its requires from the bundler; its ESM build bundles cleanly.
  mainFields: ['module', 'main'],
  ...extra,
});

const builds = [
  nodeEntry('src/extension/extension.ts', 'dist/extension.js'),
  nodeEntry('src/worker/main.ts', 'dist/worker.js'),
  nodeEntry('src/cli/main.ts', 'dist/cli.js', { banner: { js: '#!/usr/bin/env node' } }),
  {
    ...common,
    entryPoints: { webview: 'webview/main.ts' },
    outdir: 'dist',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    loader: { '.css': 'css', '.ttf': 'file' },
  },
];

async function main() {
  packData(path.join(__dirname, 'dist', 'data'));
  if (watch) {
    const contexts = await Promise.all(builds.map((b) => esbuild.context(b)));
    await Promise.all(contexts.map((c) => c.watch()));
    return;
  }
  await Promise.all(builds.map((b) => esbuild.build(b)));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
