// The `nn-debugger` contract, exercised as a child process (src through tsx; the bundled dist/cli.js in the
// last test): the --json shape, exit codes 0/1/2, positioned errors on stderr, fix --out, plain progress.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');
const MAIN = path.join(ROOT, 'src', 'cli', 'main.ts');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nnd-cli-'));

function cli(args: string[], cwd = ROOT) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function write(name: string, text: string): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, text);
  return file;
}

const SMALL = `{
  // a tiny healthy model
  "name": "tiny",
  "seed": 3,
  "data": { "source": "blobs", "samples": 120, "classes": 3, "noise": 0.4, "validationSplit": 0.25, "preprocess": "standardize" },
  "layers": [
    { "type": "dense", "units": 8, "activation": "relu" },
    { "type": "dense", "units": 3 }
  ],
  "loss": "softmax-cross-entropy",
  "optimizer": { "type": "adam", "lr": 0.02 },
  "epochs": 8,
  "batchSize": 16
}
`;

test('train --json prints exactly one JSON object of the documented shape and exits 0 on a healthy model', () => {
  const r = cli(['train', write('tiny.nn.json', SMALL), '--json', '--epochs', '6', '--seed', '4']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1, 'one line on stdout');
  const out = JSON.parse(lines[0]);
  assert.deepEqual(Object.keys(out), ['model', 'epochs', 'steps', 'durationMs', 'samplesPerSecond', 'final', 'findings', 'layers']);
  assert.deepEqual(Object.keys(out.layers[0]), ['name', 'kind', 'predictedActivationStd', 'observedActivationStd']);
  for (const l of out.layers) assert.ok(l.predictedActivationStd > 0 && l.observedActivationStd > 0, `${l.name}: both scales reported`);
  assert.deepEqual(Object.keys(out.final), ['loss', 'accuracy', 'valLoss', 'valAccuracy']);
  assert.equal(out.epochs, 6);
  assert.equal(out.steps, 6 * Math.ceil(90 / 16));
  assert.ok(out.final.valAccuracy > 0.8);
  assert.deepEqual(out.findings, []);
});

test('train --threads N caps the threads, names them on stderr and gives the same result as one thread', () => {
  const file = write('tiny-threads.nn.json', SMALL);
  const one = cli(['train', file, '--json', '--epochs', '3', '--threads', '1']);
  const two = cli(['train', file, '--json', '--epochs', '3', '--threads=2']);
  assert.equal(one.code, 0, one.stderr);
  assert.equal(two.code, 0, two.stderr);
  assert.match(one.stderr, /, wasm-(relaxed-)?simd kernels,/);
  assert.match(two.stderr, new RegExp(os.availableParallelism() >= 2 ? ', wasm-(relaxed-)?simd-x2 kernels,' : ', wasm-(relaxed-)?simd kernels,'));
  assert.deepEqual(JSON.parse(two.stdout).final, JSON.parse(one.stdout).final);
  const bad = cli(['train', file, '--threads', '0']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--threads expects an integer >= 1, got "0"/);
});

test('train on a model that blows up exits 1 with an error finding in the JSON', () => {
  const r = cli(['train', path.join(ROOT, 'examples', 'broken', 'non-finite-lr-5.nn.json'), '--json']);
  assert.equal(r.code, 1, r.stderr);
  const out = JSON.parse(r.stdout);
  const f = out.findings.find((x: { code: string }) => x.code === 'non-finite');
  assert.deepEqual(Object.keys(f), ['code', 'severity', 'layer', 'layers', 'field', 'message', 'concept', 'explainedBy', 'evidence', 'fixes']);
  assert.deepEqual(Object.keys(f.concept), ['title', 'text', 'url']);
  assert.equal(f.severity, 'error');
  assert.deepEqual(f.layer, { index: 2, name: 'dense_3' });
  assert.deepEqual(Object.keys(f.fixes[0]), ['id', 'title', 'preferred']);
  assert.equal(f.fixes.filter((x: { preferred: boolean }) => x.preferred).length, 1);
  assert.equal(out.final.valLoss, null, 'non-finite metrics become null');
});

test('train without --json and without a TTY prints plain epoch lines, the layer table and the findings', () => {
  const r = cli(['train', path.join(ROOT, 'examples', 'broken', 'dead-relu-negative-bias.nn.json')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^epoch 1\/15 {2}loss /m);
  assert.doesNotMatch(r.stdout, /\r/);
  assert.match(r.stdout, /layer +kind +act std pred +act std obs +grad norm +update ratio +dead +saturated +health/);
  assert.match(r.stdout, /dense_1\/relu +relu .* dead-relu/);
  // the dead units' cause is the bias initialiser: it is the warning, the dead layer points at it
  assert.match(r.stdout, /WARNING poor-initialization \[layers\[0\] dense_1\]/);
  assert.match(r.stdout, /INFO dead-relu \[layers\[0\] dense_1\/relu\].*It follows from poor-initialization on dense_1/);
  assert.match(r.stdout, /\* Start the biases of dense_1 at zero: nn-debugger fix .* --apply bias-init:dense_1/);
});

test('--no-probes trains without probes and reports only static findings', () => {
  const r = cli(['train', path.join(ROOT, 'examples', 'broken', 'missing-activation-circles.nn.json'), '--no-probes', '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).findings.map((f: { code: string }) => f.code), ['missing-activation']);
});

test('an invalid model exits 2 with file:line:column messages on stderr and nothing on stdout', () => {
  const file = write('bad.nn.json', '{\n  "data": { "source": "spiral" },\n  "layers": [\n    { "type": "dense", "units": 0 }\n  ]\n}\n');
  const r = cli(['train', file, '--json']);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:4:\\d+: error: .*units`, 'm'));
  const syntax = cli(['check', write('syntax.nn.json', '{\n  "layers": [\n}\n')]);
  assert.equal(syntax.code, 2);
  assert.match(syntax.stderr, /syntax\.nn\.json:3:1: error: .*JSON syntax error/);
});

test('usage mistakes exit 2 with a message and the usage text', () => {
  for (const args of [[], ['frobnicate', 'x'], ['train'], ['train', 'a', 'b'], ['train', 'm.nn.json', '--epochs', 'abc'], ['check', 'm.nn.json', '--apply', 'x'], ['fix', 'm.nn.json']]) {
    const r = cli(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, /nn-debugger: .+\n\nUsage:/, args.join(' '));
  }
  const missing = cli(['check', path.join(tmp, 'does-not-exist.nn.json')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read .*does-not-exist\.nn\.json: ENOENT/);
  assert.equal(cli(['--help']).code, 0);
});

test('check --json runs validation and static rules only', () => {
  const r = cli(['check', path.join(ROOT, 'examples', 'broken', 'unnormalized-input-loans.nn.json'), '--json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.valid, true);
  assert.deepEqual(out.findings.map((f: { code: string }) => f.code), ['unnormalized-input']);
  const data = cli(['check', write('nodata.nn.json', SMALL.replace('"source": "blobs"', '"source": "missing.csv", "target": "y"'))]);
  assert.equal(data.code, 2);
  assert.match(data.stderr, /missing\.csv/);
});

test('fix --apply --out writes the edited copy, keeps comments, prints what changed; bad ids change nothing', () => {
  const file = write('fixme.nn.json', SMALL);
  const out = path.join(tmp, 'fixed.nn.json');
  const r = cli(['fix', file, '--apply', 'lr:0.002', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(fs.readFileSync(file, 'utf8'), SMALL, 'the original is untouched with --out');
  const fixed = fs.readFileSync(out, 'utf8');
  assert.equal(fixed, SMALL.replace('"lr": 0.02', '"lr": 0.002'));
  assert.match(r.stdout, /^- {3}"optimizer": \{ "type": "adam", "lr": 0\.02 \},$/m);
  assert.match(r.stdout, /^\+ {3}"optimizer": \{ "type": "adam", "lr": 0\.002 \},$/m);
  const inPlace = cli(['fix', file, '--apply', 'insert-batchnorm:dense_1']);
  assert.equal(inPlace.code, 0, inPlace.stderr);
  assert.match(fs.readFileSync(file, 'utf8'), /\/\/ a tiny healthy model[\s\S]*\{ "type": "batchnorm" \}/);
  const before = fs.readFileSync(file, 'utf8');
  const bad = cli(['fix', file, '--apply', 'reinit:nope:he']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /no layer named "nope"/);
  assert.equal(fs.readFileSync(file, 'utf8'), before);
});

test('repair --out writes the kept edits to the copy, prints the path, and exits by the final run', () => {
  const source = fs.readFileSync(path.join(ROOT, 'examples', 'broken', 'missing-activation-circles.nn.json'), 'utf8');
  const file = write('repair-me.nn.json', source);
  const out = path.join(tmp, 'repaired.nn.json');
  const r = cli(['repair', file, '--out', out, '--rounds', '2']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(fs.readFileSync(file, 'utf8'), source, 'the original is untouched with --out');
  assert.match(r.stdout, /^round 1\/2: missing-activation on dense_1: .*\[insert-activation:dense_1:relu\]: validation accuracy [\d.]+% -> [\d.]+%, KEPT: /m);
  assert.match(r.stdout, /^validation accuracy: [\d.]+% -> [\d.]+%, \d of \d fix\(es\) kept$/m);
  const repaired = fs.readFileSync(out, 'utf8');
  assert.match(repaired, /^\/\/ BROKEN/, 'comments survive');
  assert.match(repaired, /"type": "relu"/);
});

test('repair --json reports every try; in place it rewrites the file only when an edit was kept', () => {
  const source = fs.readFileSync(path.join(ROOT, 'examples', 'broken', 'missing-activation-circles.nn.json'), 'utf8');
  const file = write('repair-in-place.nn.json', source);
  const none = cli(['repair', file, '--rounds', '0', '--json']);
  assert.equal(none.code, 0, none.stderr);
  const noneOut = JSON.parse(none.stdout);
  assert.equal(noneOut.out, null);
  assert.deepEqual(noneOut.attempts, []);
  assert.equal(fs.readFileSync(file, 'utf8'), source);
  const r = cli(['repair', file, '--rounds', '1', '--json', '--seed', '42']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1, 'one line on stdout; the path goes to stderr');
  const res = JSON.parse(lines[0]);
  assert.deepEqual(Object.keys(res), ['model', 'out', 'metric', 'initial', 'final', 'cancelled', 'attempts', 'report']);
  assert.equal(res.metric, 'accuracy');
  assert.deepEqual(Object.keys(res.attempts[0]), ['round', 'fixId', 'title', 'code', 'layer', 'before', 'after', 'kept', 'why']);
  assert.equal(res.attempts[0].kept, true);
  assert.equal(res.out, file);
  assert.ok(res.final > res.initial);
  assert.match(r.stderr, /round 1\/1: missing-activation/);
  assert.match(fs.readFileSync(file, 'utf8'), /"type": "relu"/);
  for (const args of [['repair', file, '--rounds', 'x'], ['repair', file, '--apply', 'lr:1'], ['repair', file, '--no-probes']]) {
    assert.equal(cli(args).code, 2, args.join(' '));
  }
});

test('the bundled dist/cli.js trains MNIST from outside the repository (packed data found next to the bundle)', () => {
  const build = spawnSync(process.execPath, ['esbuild.js'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(build.status, 0, build.stderr);
  const r = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), 'train', path.join(ROOT, 'examples', 'mnist.nn.json'), '--epochs', '1', '--json'], { cwd: os.tmpdir(), encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.ok(out.final.valAccuracy > 0.8, JSON.stringify(out.final));
});
