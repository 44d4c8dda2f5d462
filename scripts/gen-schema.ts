// Writes schemas/nn.schema.json from the field table (src/engine/spec/fields.ts), and the schema of the
// nnDebugger.thresholds setting in package.json from the rule table (src/engine/diagnosis).
// Run: node --import tsx scripts/gen-schema.ts
import * as fs from 'fs';
import * as path from 'path';
import { renderSchema } from '../src/engine/spec/schema';
import { thresholdsSettingSchema } from '../src/engine/diagnosis';

const out = path.join(__dirname, '..', 'schemas', 'nn.schema.json');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, renderSchema());
console.log(`wrote ${path.relative(process.cwd(), out)}`);

const pkgFile = path.join(__dirname, '..', 'package.json');
const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
pkg.contributes.configuration.properties['nnDebugger.thresholds'] = thresholdsSettingSchema();
fs.writeFileSync(pkgFile, `${JSON.stringify(pkg, null, 2)}\n`);
console.log(`wrote the nnDebugger.thresholds setting in ${path.relative(process.cwd(), pkgFile)}`);
