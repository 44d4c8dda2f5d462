// `npm run test:python`: runs python/tests with pytest under a Python that imports torch. Tries
// /usr/bin/python3 first, then every python3 on PATH; when none has torch and we are root (or have
// passwordless sudo), installs Debian's packages; otherwise fails with one line saying what to install.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const PACKAGES = ['python3-torch', 'python3-pytest', 'python3-numpy', 'libopenblas0-pthread'];

function candidates() {
  const onPath = spawnSync('sh', ['-c', 'which -a python3'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  return [...new Set(['/usr/bin/python3', ...onPath])];
}

const usable = (python) => spawnSync(python, ['-c', 'import torch, pytest'], { stdio: 'ignore' }).status === 0;
const findPython = () => candidates().find(usable);

function install() {
  const root = process.getuid?.() === 0;
  const sudo = !root && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
  if (!root && !sudo) return false;
  const run = (args) => {
    const [cmd, ...rest] = root ? args : ['sudo', '-n', ...args];
    return spawnSync(cmd, rest, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status === 0;
  };
  console.log(`test:python: installing ${PACKAGES.join(' ')}`);
  return run(['apt-get', 'update', '-qq']) && run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...PACKAGES]);
}

let python = findPython();
if (!python && install()) python = findPython();
if (!python) {
  console.error(`test:python: no python3 here imports torch and pytest; install them: sudo apt-get install --no-install-recommends ${PACKAGES.join(' ')}`);
  process.exit(1);
}
// One BLAS thread: OpenBLAS's own threads fight torch's on a small machine.
const env = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' };
const result = spawnSync(python, ['-m', 'pytest', 'python/tests', '-q'], { cwd: repo, stdio: 'inherit', env });
process.exit(result.status ?? 1);
