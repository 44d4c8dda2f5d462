// Positioned issues: every message starts with its place (`layers[2] (hidden1).units: ...`) and carries the
// offset/length of the exact text range, so the extension can squiggle it and the CLI can print it.
import { findNodeAtLocation, type Node } from 'jsonc-parser';
import type { JsonPath } from '../types';
import type { SpecIssue } from './model-spec';

export type LayerRefLike = { index: number; name: string } | null;

/** `layers[2] (hidden1).units`, `optimizer.lr`, `(root)`. */
function formatPlace(path: JsonPath, layer: LayerRefLike): string {
  let out = '';
  path.forEach((seg, i) => {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += (i === 0 ? '' : '.') + (/^[A-Za-z_$][\w$-]*$/.test(seg) ? seg : JSON.stringify(seg));
    if (layer && i === 1 && path[0] === 'layers' && seg === layer.index) out += ` (${layer.name})`;
  });
  return out || '(root)';
}

/** Big containers are marked by their first character only, so a missing field does not paint the file. */
const WHOLE_NODE_LIMIT = 200;

/** The range of `path` in the tree; a missing path falls back to its nearest existing ancestor. */
export function rangeOf(root: Node | undefined, path: JsonPath, textLength: number): { offset: number; length: number } {
  if (!root) return { offset: 0, length: Math.min(1, textLength) };
  for (let n = path.length; n >= 0; n--) {
    const node = findNodeAtLocation(root, path.slice(0, n));
    if (!node) continue;
    if (n === path.length) return nodeRange(node);
    return node.length <= WHOLE_NODE_LIMIT ? { offset: node.offset, length: node.length } : { offset: node.offset, length: 1 };
  }
  return { offset: root.offset, length: 1 };
}

/** A property's value node is marked as a whole unless it is a big container. */
export function nodeRange(node: Node): { offset: number; length: number } {
  if ((node.type === 'object' || node.type === 'array') && node.length > WHOLE_NODE_LIMIT) return { offset: node.offset, length: 1 };
  return { offset: node.offset, length: node.length };
}

export function makeIssue(
  severity: SpecIssue['severity'],
  path: JsonPath,
  what: string,
  range: { offset: number; length: number },
  layer: LayerRefLike,
): SpecIssue {
  return { severity, message: `${formatPlace(path, layer)}: ${what}`, path, offset: range.offset, length: range.length, layer };
}

/** The closest candidate by edit distance, if close enough to be a plausible typo. */
function didYouMean(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestDist = Infinity;
  const w = word.toLowerCase();
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase());
    if (d < bestDist) {
      bestDist = d;
      best = c;
    }
  }
  return best !== null && bestDist <= Math.max(2, Math.floor(word.length / 3)) ? best : null;
}

export function suggestion(word: string, candidates: readonly string[]): string {
  const m = didYouMean(word, candidates);
  return m ? ` Did you mean "${m}"?` : '';
}

function editDistance(a: string, b: string): number {
  if (a.length > 64 || b.length > 64) return Math.abs(a.length - b.length) + 64; // not a typo; keep this O(1)
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

export function quote(s: string): string {
  return JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);
}
