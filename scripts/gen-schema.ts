// Writes schemas/nn.schema.json from the field table (src/engine/spec/fields.ts).
// Run: node --import tsx scripts/gen-schema.ts
import * as fs from 'fs';
import * as path from 'path';
import { renderSchema } from '../src/engine/spec/schema';

const out = path.join(__dirname, '..', 'schemas', 'nn.schema.json');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, renderSchema());
console.log(`wrote ${path.relative(process.cwd(), out)}`);
