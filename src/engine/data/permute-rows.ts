// Moving the rows of a row-major array into a new order in place, so a large array is never held twice.

/** Puts row order[i] of `a` (rows of `width` values) at row i, in place: each cycle of the permutation is followed with one row set aside. */
export function permuteRows(a: Float64Array | Int32Array, width: number, order: Int32Array): void {
  const n = order.length;
  const placed = new Uint8Array(n);
  const held = a.slice(0, width);
  for (let start = 0; start < n; start++) {
    if (placed[start]) continue;
    for (let j = 0; j < width; j++) held[j] = a[start * width + j];
    for (let i = start; ; ) {
      placed[i] = 1;
      const from = order[i];
      if (from === start) {
        for (let j = 0; j < width; j++) a[i * width + j] = held[j];
        break;
      }
      // one native copy per row pays for its call from about 8 values a row
      if (width >= 8) a.copyWithin(i * width, from * width, (from + 1) * width);
      else for (let j = 0; j < width; j++) a[i * width + j] = a[from * width + j];
      i = from;
    }
  }
}
