#!/usr/bin/env node
// Runs NN Debugger in a real VS Code here: code-server (VS Code's workbench with a Node extension host)
// driven by Debian Chromium through playwright-core.
//   node test/harness/run-vscode.mjs suite   mocha suite inside the extension host (test/vscode/suite)
//   node test/harness/run-vscode.mjs e2e     the UI as a person uses it (test/vscode/e2e)
//   node test/harness/run-vscode.mjs build   only build the extension and the suite (for .vscode-test.mjs)
// Options: --vsix <file> installs that package for e2e instead of the built folder; --keep keeps the run
// folder; --no-build uses dist/ as it is. Prints `N passed, N failed`; exits non-zero on any failure or a missing results file.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { format } from 'node:util';
import { installVsix, prepareRun, startCodeServer } from './code-server.mjs';
import { launchBrowser } from './system-deps.mjs';
import { ensureToolchain } from './toolchain.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const mode = process.argv[2];
const argValue = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const SUITE_TIMEOUT_MS = 10 * 60_000;
const resultsDir = path.join(root, 'test-results');
const WORKBENCH_NOISE = /^(Ignoring fetching additional builtin extensions|Updating additional builtin extensions cache|\[AccountPolicyGate\])/;

function buildExtension() {
  if (process.argv.includes('--no-build')) return; // iterate on the tests against the dist/ already built
  const r = spawnSync(process.execPath, ['esbuild.js'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('node esbuild.js failed');
}

/** Each suite file becomes its own CommonJS file, so mocha (or @vscode/test-cli) can load them one by one. */
async function buildSuite() {
  const esbuild = await import('esbuild');
  const dir = path.join(root, 'test', 'vscode', 'suite');
  const outdir = path.join(root, 'out', 'test', 'vscode', 'suite');
  rmSync(outdir, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => path.join(dir, f)),
    outdir,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: 'inline',
    external: ['vscode', 'mocha'],
    // jsonc-parser's UMD entry requires its parts dynamically, which a bundle cannot follow; use its ESM build.
    mainFields: ['module', 'main'],
    logLevel: 'warning',
  });
  return path.join(outdir, 'index.js');
}

function printSummary(results) {
  for (const t of results.tests) {
    console.log(`  ${t.state === 'passed' ? 'ok  ' : 'FAIL'} ${t.title} (${t.durationMs} ms)`);
    if (t.error) console.log(`       ${t.error.split('\n').join('\n       ')}`);
  }
  const passed = results.tests.filter((t) => t.state === 'passed').length;
  const failed = results.tests.length - passed;
  console.log(`${passed} passed, ${failed} failed`);
  return failed;
}

async function runSuite(toolchain) {
  buildExtension();
  const suiteIndex = await buildSuite();
  const run = prepareRun(path.join(root, 'examples'));
  const resultsFile = path.join(run.dir, 'results.json');
  const server = await startCodeServer(run, toolchain, {
    smokeTestDriver: true,
    env: { NN_DEBUGGER_TEST_RESULTS: resultsFile, NN_DEBUGGER_TEST_ARTIFACTS: resultsDir },
  });
  const browser = await launchBrowser();
  let failed = true;
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const exited = new Promise((resolve) => page.exposeFunction('codeAutomationExit', (code) => resolve(code)));
    // The extension host forwards console output unformatted; format it here, minus the workbench's chatter.
    await page.exposeFunction('codeAutomationLog', (_level, args) => {
      const line = format(...(Array.isArray(args) ? args : [args]));
      if (!WORKBENCH_NOISE.test(line)) console.log(line);
    });
    const payload = [
      ['extensionDevelopmentPath', `vscode-remote://remote${root}`],
      ['extensionTestsPath', `vscode-remote://remote${suiteIndex}`],
      ['skipWelcome', 'true'],
    ];
    await page.goto(`${server.url}/?folder=${encodeURIComponent(run.workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
    const timeout = new Promise((resolve) => setTimeout(() => resolve('timeout'), SUITE_TIMEOUT_MS).unref());
    const code = await Promise.race([exited, timeout]);
    if (code === 'timeout') console.log(`the suite did not finish within ${SUITE_TIMEOUT_MS / 60_000} minutes`);
    if (!existsSync(resultsFile)) {
      console.log(`no results file from the extension host (exit code ${code}); server log: ${server.logFile}`);
      console.log('0 passed, 1 failed');
      return 1;
    }
    failed = printSummary(JSON.parse(readFileSync(resultsFile, 'utf8'))) > 0 || code !== 0;
    return failed ? 1 : 0;
  } finally {
    await browser.close();
    await server.stop();
    keepOrRemove(run, failed);
  }
}

/** Installs the built extension the way a user's VS Code keeps it: a folder named publisher.name-version. */
function installBuiltFolder(run) {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  const target = path.join(run.extensions, `${pkg.publisher}.${pkg.name}-${pkg.version}`.toLowerCase());
  mkdirSync(target, { recursive: true });
  for (const entry of ['package.json', 'dist', 'media', 'examples', 'schemas', 'snippets', 'README.md', 'LICENSE']) {
    if (existsSync(path.join(root, entry))) cpSync(path.join(root, entry), path.join(target, entry), { recursive: true });
  }
}

/** Settings for an e2e file's workspace: trusted (the default), or opened in Restricted Mode without a prompt. */
function e2eSettings(trusted) {
  const base = { 'nnDebugger.autoOpenPanel': true, 'editor.wordWrap': 'on' };
  return trusted ? base : { ...base, 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never' };
}

/**
 * Each e2e file gets a server and a browser of its own (a file may export `trusted = false` for a
 * Restricted Mode workspace); its steps run in order and stop at the first failure.
 */
async function runE2e(toolchain) {
  const vsix = argValue('--vsix');
  if (!vsix) buildExtension();
  const results = { tests: [] };
  const e2eDir = path.join(root, 'test', 'vscode', 'e2e');
  for (const file of readdirSync(e2eDir).filter((f) => f.endsWith('.e2e.mjs')).sort()) {
    const { steps, trusted = true } = await import(pathToFileURL(path.join(e2eDir, file)).href);
    const run = prepareRun(path.join(root, 'examples'), e2eSettings(trusted));
    if (vsix) await installVsix(run, toolchain, path.resolve(vsix));
    else installBuiltFolder(run);
    const server = await startCodeServer(run, toolchain, { workspaceTrust: !trusted });
    const browser = await launchBrowser();
    let failed = false;
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const ctx = { page, url: server.url, workspace: run.workspace, resultsDir, state: {} };
      for (const [title, fn] of steps) {
        const started = Date.now();
        if (failed) {
          results.tests.push({ title: `${file}: ${title}`, state: 'failed', durationMs: 0, error: 'not run: an earlier step failed' });
          continue;
        }
        try {
          await fn(ctx);
          results.tests.push({ title: `${file}: ${title}`, state: 'passed', durationMs: Date.now() - started });
        } catch (err) {
          failed = true;
          const shot = path.join(resultsDir, `e2e-failure-${file.replace(/\W+/g, '-')}.png`);
          await page.screenshot({ path: shot }).catch(() => undefined);
          results.tests.push({ title: `${file}: ${title}`, state: 'failed', durationMs: Date.now() - started, error: `${err?.stack ?? err}\nscreenshot: ${shot}` });
        }
      }
    } finally {
      await browser.close();
      await server.stop();
      keepOrRemove(run, failed || !steps.length);
    }
  }
  if (!results.tests.length) {
    console.log('no e2e steps found');
    console.log('0 passed, 1 failed');
    return 1;
  }
  return printSummary(results) > 0 ? 1 : 0;
}

/** Removes the run folder (unless --keep); a failed run's server log is kept in test-results/. */
function keepOrRemove(run, failed) {
  const log = path.join(run.dir, 'server.log');
  if (failed && existsSync(log)) {
    cpSync(log, path.join(resultsDir, `vscode-${mode}-server.log`));
    console.log(`server log: test-results/vscode-${mode}-server.log`);
  }
  if (process.argv.includes('--keep')) console.log(`run folder kept: ${run.dir}`);
  else rmSync(run.dir, { recursive: true, force: true });
}

async function main() {
  if (mode === 'build') {
    buildExtension();
    console.log(`suite built: ${path.relative(root, await buildSuite())}`);
    return 0;
  }
  if (mode !== 'suite' && mode !== 'e2e') {
    console.error('usage: node test/harness/run-vscode.mjs suite|e2e|build [--vsix file] [--keep] [--no-build]');
    return 2;
  }
  mkdirSync(resultsDir, { recursive: true });
  // Artefacts of an earlier failed run would read as this run's.
  for (const f of readdirSync(resultsDir)) if (f.startsWith('e2e-failure-') || f === `vscode-${mode}-server.log`) rmSync(path.join(resultsDir, f));
  const started = Date.now();
  const toolchain = ensureToolchain(root);
  const code = mode === 'suite' ? await runSuite(toolchain) : await runE2e(toolchain);
  console.log(`[${mode}] finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return code;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    // a missing system package is said in one line; anything else with its stack
    console.error(err?.name === 'MissingSystemPackages' ? `[${mode}] ${err.message}` : err);
    console.log('0 passed, 1 failed');
    process.exit(1);
  },
);
