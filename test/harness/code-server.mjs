// Starts code-server for one test run in a throwaway folder (workspace, user data, extensions, TMPDIR,
// XDG dirs), on a free 127.0.0.1 port, and stops its whole process group afterwards.
import { spawn } from 'node:child_process';
import { cpSync, createWriteStream, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const QUIET_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'chat.disableAIFeatures': true,
  'git.enabled': false,
  'workbench.enableExperiments': false,
  'files.autoSave': 'off',
};

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** A fresh run folder with a copy of `workspaceSource` as the workspace. */
export function prepareRun(workspaceSource, extraSettings = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nn-vscode-'));
  for (const d of ['tmp', 'xdg/data', 'xdg/config', 'xdg/cache', 'data/User', 'extensions']) mkdirSync(path.join(dir, d), { recursive: true });
  writeFileSync(path.join(dir, 'empty-config.yaml'), '');
  writeFileSync(path.join(dir, 'data', 'User', 'settings.json'), JSON.stringify({ ...QUIET_SETTINGS, ...extraSettings }, null, 2));
  const workspace = path.join(dir, 'workspace');
  cpSync(workspaceSource, workspace, { recursive: true });
  // The examples name their schema "../schemas/nn.schema.json", as laid out in the repository.
  cpSync(path.join(workspaceSource, '..', 'schemas'), path.join(dir, 'schemas'), { recursive: true });
  return { dir, workspace, extensions: path.join(dir, 'extensions'), userData: path.join(dir, 'data') };
}

function serverEnv(run, toolchain, extraEnv) {
  return {
    ...process.env,
    PATH: `${toolchain.node24Bin}:${process.env.PATH}`,
    TMPDIR: path.join(run.dir, 'tmp'),
    XDG_DATA_HOME: path.join(run.dir, 'xdg', 'data'),
    XDG_CONFIG_HOME: path.join(run.dir, 'xdg', 'config'),
    XDG_CACHE_HOME: path.join(run.dir, 'xdg', 'cache'),
    EXTENSIONS_GALLERY: '{}',
    ...extraEnv,
  };
}

/** Installs a .vsix into the run's extensions folder with code-server's own CLI. */
export function installVsix(run, toolchain, vsix) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      toolchain.codeServerBin,
      ['--config', path.join(run.dir, 'empty-config.yaml'), '--user-data-dir', run.userData, '--extensions-dir', run.extensions, '--install-extension', vsix],
      { env: serverEnv(run, toolchain, {}), stdio: ['ignore', 'inherit', 'inherit'] },
    );
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`installing ${vsix} failed (exit ${code})`))));
  });
}

/**
 * Starts the server; resolves once it listens. `stop()` kills the whole process group. `workspaceTrust`
 * keeps VS Code's trust checks on (the run's settings must enable them too), for Restricted Mode tests.
 */
export async function startCodeServer(run, toolchain, { smokeTestDriver = false, env = {}, workspaceTrust = false } = {}) {
  const port = await freePort();
  const args = [
    '--config', path.join(run.dir, 'empty-config.yaml'),
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry', '--disable-update-check', ...(workspaceTrust ? [] : ['--disable-workspace-trust']),
    '--disable-getting-started-override', '--ignore-last-opened',
    '--user-data-dir', run.userData,
    '--extensions-dir', run.extensions,
    ...(smokeTestDriver ? ['--vscode-option', 'enable-smoke-test-driver'] : []),
    run.workspace,
  ];
  const logFile = path.join(run.dir, 'server.log');
  const log = createWriteStream(logFile);
  const child = spawn(toolchain.codeServerBin, args, { env: serverEnv(run, toolchain, env), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  // Keep draining both streams: code-server dies on EPIPE if nobody reads.
  child.stderr.on('data', (d) => log.write(d));
  const listening = new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`code-server did not start within 60 s (log: ${logFile})`)), 60_000);
    child.stdout.on('data', (d) => {
      log.write(d);
      if (seen !== null) {
        seen += d.toString();
        if (seen.includes(`HTTP server listening on http://127.0.0.1:${port}/`)) {
          seen = null;
          clearTimeout(timer);
          resolve();
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`code-server exited early with ${code} (log: ${logFile})`));
    });
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 3000);
    await exited;
    clearTimeout(timer);
    log.end();
  };
  try {
    await listening;
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `http://127.0.0.1:${port}`, logFile, stop };
}
