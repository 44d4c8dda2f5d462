// Where a layer or a top-level field sits in a `.nn.json` text (jsonc-parser), for diagnostics and for
// revealing a layer from the panel.
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
