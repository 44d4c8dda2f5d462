// What the browser-driven tests need from the system: a Chromium-family browser (the panel tests and the
// real-VS-Code tests) and the headers code-server's native modules build against. On a fresh machine
// `npm test` installs Debian's packages itself where it can (root, or sudo without a password) and otherwise
// stops with one line that says what to install.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const BROWSER_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];
/** Debian's packages for code-server's native modules (kerberos, native-keymap, @vscode/spdlog...). */
export const CODE_SERVER_BUILD_PACKAGES = ['libkrb5-dev', 'libx11-dev', 'libxkbfile-dev', 'libsecret-1-dev', 'pkg-config'];
const BROWSER_PACKAGES = ['chromium', 'fonts-dejavu-core'];

class MissingSystemPackages extends Error {
  name = 'MissingSystemPackages';
}

function installed(pkg) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

/** `sudo` when not root and sudo works without a password; '' for root; null when neither. */
function privilege() {
  if (process.getuid?.() === 0) return '';
  return spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0 ? 'sudo' : null;
}

/** Installs the Debian packages of `pkgs` that are missing; throws with one clear line when it cannot. */
export function ensureDebianPackages(pkgs, why) {
  const missing = pkgs.filter((p) => !installed(p));
  if (missing.length === 0) return;
  const sudo = privilege();
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
  const command = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (sudo === null || !hasApt) throw new MissingSystemPackages(`${why} needs Debian's ${missing.join(', ')}: run \`sudo ${command}\` (or set CHROMIUM_PATH to a Chromium or Chrome binary)`);
  console.log(`[system] installing ${missing.join(' ')} for ${why} ...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', '--no-install-recommends', ...missing]]) {
    const r = spawnSync(sudo || 'apt-get', sudo ? ['apt-get', ...args] : args, { stdio: 'inherit', env });
    if (r.status !== 0) throw new MissingSystemPackages(`${why}: \`${command}\` failed (exit ${r.status})`);
  }
}

/** A Chromium-family browser already on the machine: $CHROMIUM_PATH, Debian's or Google's, or Playwright's. */
async function findBrowser() {
  if (process.env.CHROMIUM_PATH) return existsSync(process.env.CHROMIUM_PATH) ? process.env.CHROMIUM_PATH : null;
  const system = BROWSER_CANDIDATES.find((p) => existsSync(p));
  if (system) return system;
  const { chromium } = await import('playwright-core');
  const bundled = chromium.executablePath();
  return bundled && existsSync(bundled) ? bundled : null;
}

/** The browser's path, installing Debian's chromium first when there is none. */
export async function ensureBrowser() {
  const found = await findBrowser();
  if (found) return found;
  if (process.env.CHROMIUM_PATH) throw new MissingSystemPackages(`CHROMIUM_PATH=${process.env.CHROMIUM_PATH} does not exist`);
  ensureDebianPackages(BROWSER_PACKAGES, 'the panel and VS Code tests (a headless browser)');
  const after = await findBrowser();
  if (!after) throw new MissingSystemPackages('chromium was installed but no browser binary was found; set CHROMIUM_PATH');
  return after;
}

export const BROWSER_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** Launches the headless browser the tests drive (playwright-core, pinned in package.json). */
export async function launchBrowser() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: await ensureBrowser(), headless: true, args: BROWSER_ARGS });
}
