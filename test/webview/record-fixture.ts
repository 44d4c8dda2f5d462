// Records fixtures/real-run.json from the real engine: trains a broken example with TrainingSession,
// applies the preferred fix of its most severe finding with the engine's own fix code, trains the fixed
// model with the same seed, and writes both runs as the ToWebview messages the extension sends the panel
// (record-run.ts), encoded with encodeNumbers as on the wire.
// Run: node --import tsx test/webview/record-fixture.ts [examples/broken/<model>.nn.json]
import { readFileSync, writeFileSync } from 'fs';
import { join, resolve } from 'path';
import { applyFix } from '../../src/engine/fixes';
import { encodeNumbers } from '../../src/shared/protocol';
import { bySeverity } from '../../src/shared/severity';
import { record } from './record-run';


async function main(): Promise<void> {
  const root = resolve(__dirname, '..', '..');
  const relPath = process.argv[2] ?? 'examples/broken/batchnorm-unstable-tiny-batch.nn.json';
  const text = readFileSync(join(root, relPath), 'utf8');
  const t0 = Date.now();
  const broken = await record('run-1', relPath, text);
  const worst = [...broken.findings].sort(bySeverity).find((f) => f.fixes.length > 0);
  if (!worst) throw new Error(`${relPath}: the broken run produced no finding with a fix`);
  const fix = worst.fixes.find((f) => f.preferred) ?? worst.fixes[0]!;
  const fixed = await record('run-2', relPath, applyFix(text, fix.id));
  const out = {
    source: `engine run of ${relPath}, then the same model after the fix "${fix.title}" (${fix.id}) for ${worst.code}`,
    runs: [broken.messages, fixed.messages].map((run) => run.map((m) => encodeNumbers(m))),
  };
  writeFileSync(join(__dirname, 'fixtures', 'real-run.json'), JSON.stringify(out));
  console.log(`${out.source}: ${broken.findings.length} findings before (${broken.findings.map((f) => f.code).join(', ')}), ${fixed.findings.length} after (${fixed.findings.map((f) => f.code).join(', ')}); ${Date.now() - t0} ms`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
