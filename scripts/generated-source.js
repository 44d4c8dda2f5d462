// The entry point both wasm generators share: write the generated TS module, or with --check say whether
// the committed one is up to date (exit code 1 when stale).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

/** Runs `build` (a promise of the module's text) and writes it to `out`, or compares it with `--check`. */
function writeOrCheck(out, build, generator) {
  build().then((src) => {
    const name = path.basename(out);
    if (process.argv.includes('--check')) {
      const same = fs.existsSync(out) && fs.readFileSync(out, 'utf8') === src;
      console.log(same ? `${name} is up to date` : `${name} is stale: run node ${generator}`);
      process.exitCode = same ? 0 : 1;
    } else {
      fs.writeFileSync(out, src);
      console.log(`wrote ${path.relative(process.cwd(), out)}`);
    }
  });
}

module.exports = { writeOrCheck };
