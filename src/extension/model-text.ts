// Reading a `.nn.json` text with jsonc-parser for what the host needs before the engine runs: where a
// layer or field sits (for diagnostics), which data file it reads, how many epochs it asks for.
import { findNodeAtLocation, parseTree, type Node } from 'jsonc-parser';

export interface TextRange {
  offset: number;
  length: number;
}

const tree = (text: string): Node | undefined => parseTree(text, [], { allowTrailingComma: true, disallowComments: false });

/** Range of `layers[index]` (the whole layer object). */
export function layerRange(text: string, index: number): TextRange | null {
  const root = tree(text);
  const node = root && findNodeAtLocation(root, ['layers', index]);
  return node ? { offset: node.offset, length: node.length } : null;
}

/** Range of a top-level field's key (short and visible); when the field is absent, the root's first key. */
export function fieldRange(text: string, field: string | null): TextRange | null {
  const root = tree(text);
  if (!root || root.type !== 'object' || !root.children?.length) return null;
  const prop = (field && root.children.find((p) => p.children?.[0]?.value === field)) || root.children[0]!;
  const key = prop.children?.[0] ?? prop;
  return { offset: key.offset, length: key.length };
}

export function rangeOfPath(text: string, path: (string | number)[]): TextRange | null {
  const root = tree(text);
  if (!root) return null;
  for (let n = path.length; n >= 0; n--) {
    const node = findNodeAtLocation(root, path.slice(0, n));
    if (node) return { offset: node.offset, length: node.length };
  }
  return null;
}

/** The data file a model reads (a workspace-relative .csv/.json path), or null for built-in sources. */
export function dataFileOf(text: string): string | null {
  const root = tree(text);
  const node = root && findNodeAtLocation(root, ['data', 'source']);
  const source = node?.value;
  return typeof source === 'string' && /\.(csv|json)$/i.test(source) ? source : null;
}

export function numberAt(text: string, path: (string | number)[]): number | null {
  const root = tree(text);
  const v = root && findNodeAtLocation(root, path)?.value;
  return typeof v === 'number' ? v : null;
}

export function stringAt(text: string, path: (string | number)[]): string | null {
  const root = tree(text);
  const v = root && findNodeAtLocation(root, path)?.value;
  return typeof v === 'string' ? v : null;
}
