// Minimal, layout-keeping edits of JSON-with-comments text. jsonc-parser's own `modify` re-formats whole
// lines around an insertion (turning a one-line `{ "type": "sgd", "lr": 5 }` into five lines), so these
// helpers place new values in the style of their neighbours and leave every other byte alone.
import { findNodeAtLocation, parseTree, type Node } from 'jsonc-parser';
import { FixError } from './model-text';

type Path = (string | number)[];

function tree(text: string): Node {
  const root = parseTree(text, [], { allowTrailingComma: true });
  if (!root) throw new FixError('the model is not valid JSON');
  return root;
}

/** A value written on one line, JSON with a space after colons and commas: `{ "type": "relu" }`. */
export function inline(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(inline).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    return entries.length ? `{ ${entries.map(([k, v]) => `${JSON.stringify(k)}: ${inline(v)}`).join(', ')} }` : '{}';
  }
  return JSON.stringify(value);
}

function splice(text: string, offset: number, length: number, content: string): string {
  return text.slice(0, offset) + content + text.slice(offset + length);
}

const lineStart = (t: string, o: number) => t.lastIndexOf('\n', o - 1) + 1;
function lineEnd(t: string, o: number): number {
  const n = t.indexOf('\n', o);
  const end = n < 0 ? t.length : n;
  return end > 0 && t[end - 1] === '\r' ? end - 1 : end;
}
const eolOf = (t: string) => (t.includes('\r\n') ? '\r\n' : '\n');
const indentAt = (t: string, o: number) => /^[ \t]*/.exec(t.slice(lineStart(t, o)))![0];
const sameLine = (t: string, a: number, b: number) => !t.slice(Math.min(a, b), Math.max(a, b)).includes('\n');

/** The full extent of a container child (a property node spans key and value). */
function childOf(node: Node): Node {
  return node.parent?.type === 'property' ? node.parent : node;
}

/** Inserts `content` as a new child of `container` right after `after` (or first when null). */
function insertChild(text: string, container: Node, after: Node | null, content: string): string {
  const kids = container.children ?? [];
  const close = container.offset + container.length - 1;
  if (kids.length === 0) {
    if (!sameLine(text, container.offset, close)) {
      const inner = indentAt(text, container.offset) + indentUnit(text);
      return splice(text, container.offset + 1, close - container.offset - 1, eolOf(text) + inner + content + eolOf(text) + indentAt(text, container.offset));
    }
    const pad = container.type === 'object' ? ' ' : '';
    return splice(text, container.offset + 1, close - container.offset - 1, pad + content + pad);
  }
  const prev = after ?? null;
  const anchor = prev ?? kids[0];
  const multiline = !sameLine(text, container.offset, anchor.offset);
  if (!multiline) {
    if (!prev) return splice(text, kids[0].offset, 0, content + ', ');
    return splice(text, prev.offset + prev.length, 0, ', ' + content);
  }
  const indent = indentAt(text, anchor.offset);
  const eol = eolOf(text);
  if (!prev) return splice(text, lineStart(text, kids[0].offset), 0, indent + content + ',' + eol);
  const next = kids[kids.indexOf(prev) + 1];
  const end = prev.offset + prev.length;
  // the new line goes after anything trailing the previous child (its comma, its comment)
  const at = lineEnd(text, end);
  if (next) {
    if (sameLine(text, end, next.offset)) return splice(text, end, 0, ', ' + content);
    return splice(text, at, 0, eol + indent + content + ',');
  }
  // a last child that shares its line with the closing brace: the new one follows on that line
  if (sameLine(text, end, close)) return splice(text, end, 0, ', ' + content);
  const withLine = splice(text, at, 0, eol + indent + content);
  return splice(withLine, end, 0, ',');
}

function indentUnit(text: string): string {
  return /\n([ \t]+)\S/.exec(text)?.[1] ?? '  ';
}

function removeChild(text: string, child: Node): string {
  const container = child.parent!;
  const kids = container.children!;
  const i = kids.indexOf(child);
  const prev = kids[i - 1];
  const next = kids[i + 1];
  const start = child.offset;
  const end = child.offset + child.length;
  const ownLine = text.slice(lineStart(text, start), start).trim() === '' && (!next || !sameLine(text, end, next.offset));
  if (ownLine && !sameLine(text, container.offset, start)) {
    // drop whole lines (and the comment that sat on them); fix the comma of the previous child if this was last
    let lineAfter = text.indexOf('\n', end);
    lineAfter = lineAfter < 0 ? text.length : lineAfter + 1;
    let out = splice(text, lineStart(text, start), lineAfter - lineStart(text, start), '');
    if (!next && prev) {
      const prevEnd = prev.offset + prev.length;
      const comma = /^\s*,/.exec(out.slice(prevEnd));
      if (comma) out = splice(out, prevEnd + comma[0].length - 1, 1, '');
    }
    return out;
  }
  if (prev) return splice(text, prev.offset + prev.length, end - (prev.offset + prev.length), '');
  if (next) return splice(text, start, next.offset - start, '');
  return splice(text, container.offset + 1, container.length - 2, '');
}

/** Sets (or with `undefined` removes) the value at `path`, creating missing objects on the way. */
export function setValue(text: string, path: Path, value: unknown): string {
  const root = tree(text);
  const node = findNodeAtLocation(root, path);
  if (node) return value === undefined ? removeChild(text, childOf(node)) : splice(text, node.offset, node.length, inline(value));
  if (value === undefined) return text;
  const key = path[path.length - 1];
  const parentPath = path.slice(0, -1);
  const parent = parentPath.length ? findNodeAtLocation(root, parentPath) : root;
  if (!parent) return setValue(text, parentPath, typeof key === 'number' ? [value] : { [key]: value });
  if (parent.type !== 'object' || typeof key !== 'string') throw new FixError(`cannot set ${path.join('.')}: "${parentPath.join('.')}" is not an object`);
  const kids = parent.children ?? [];
  return insertChild(text, parent, kids[kids.length - 1] ?? null, `${JSON.stringify(key)}: ${inline(value)}`);
}

/** Inserts `value` into the array at `arrayPath` so that it ends up at `index`. */
export function insertElement(text: string, arrayPath: Path, index: number, value: unknown): string {
  const arr = findNodeAtLocation(tree(text), arrayPath);
  if (!arr || arr.type !== 'array') throw new FixError(`"${arrayPath.join('.')}" is not an array`);
  const kids = arr.children ?? [];
  return insertChild(text, arr, index > 0 ? kids[Math.min(index, kids.length) - 1] : null, inline(value));
}
