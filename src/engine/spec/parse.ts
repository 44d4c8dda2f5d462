// parseModel: `.nn.json` text -> validated ModelSpec or positioned issues. Never throws: syntax errors, wrong
// types, unknown names, impossible shapes and absurd sizes all come back as SpecIssues with exact ranges.
import { getLocation, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import { BUILTIN_SOURCES, isFileSource } from '../data/sources';
import type { JsonPath } from '../types';
import { buildSpec, layerNames } from './build';
import { checkField, error, warning, type CheckContext, type Plain } from './check';
import { MODEL_FIELD } from './fields';
import { makeIssue, quote, rangeOf } from './issues';
import type { ModelSpec, ParseResult, SpecIssue } from './model-spec';
import { checkShapes, type DataDims } from './shapes';

export function parseModel(text: string, file: string): ParseResult {
  const syntax: ParseError[] = [];
  // a byte-order mark becomes a space: same length, so every offset still points into the original text
  const source = text.charCodeAt(0) === 0xfeff ? ` ${text.slice(1)}` : text;
  const root = parseTree(source, syntax, { allowTrailingComma: true, disallowComments: false });
  if (syntax.length > 0 || !root) {
    const issues = syntax.map((e) => {
      // the path of the value being written where the error is, so the message says where it happened
      const path = getLocation(source, e.offset).path.filter((seg) => seg !== '');
      // jsonc-parser may report a range past the end (an unterminated comment): clamp it to the text
      const offset = Math.min(e.offset, text.length);
      const length = Math.max(0, Math.min(e.length, text.length - offset));
      return makeIssue('error', path, `JSON syntax error: ${describeSyntax(e)}`, { offset, length }, null);
    });
    if (issues.length === 0) issues.push(makeIssue('error', [], 'the file is empty; expected a JSON object', { offset: 0, length: 0 }, null));
    return { ok: false, issues };
  }
  const ctx: CheckContext = { root, textLength: text.length, issues: [], layer: null, layerRefs: [] };
  if (root.type !== 'object') {
    error(ctx, [], `the model must be a JSON object, not ${root.type}`, root);
    return { ok: false, issues: ctx.issues };
  }
  const layerNodes = findProperty(root, 'layers');
  const refs = layerRefs(layerNodes);
  ctx.layerRefs = refs.map((r) => ({ index: r.index, name: r.name }));
  const plain = checkField(MODEL_FIELD, root, [], ctx) as Plain | undefined;
  checkDuplicateNames(refs, ctx);
  if (!plain || hasErrors(ctx.issues)) return { ok: false, issues: ctx.issues };

  const spec = buildSpec(plain, refs.map((r) => r.name), file);
  checkData(spec, plain.data as Plain, ctx);
  if (!hasErrors(ctx.issues)) {
    for (const p of checkShapes(spec, staticDims(spec))) ctx.issues.push(makeIssue('error', p.path, p.what, rangeOf(root, p.path, text.length), p.layer));
  }
  return hasErrors(ctx.issues) ? { ok: false, issues: ctx.issues } : { ok: true, spec, issues: ctx.issues };
}

/** What is known about the data before loading: everything for built-ins; for files, one regression target. */
function staticDims(spec: ModelSpec): DataDims {
  const { data } = spec;
  const outputsIfRegression = data.task === 'regression' ? 1 : null;
  const shape = data.inputShape ? { inputShape: data.inputShape } : {};
  if (data.isFile) return { inputs: null, outputs: outputsIfRegression, samples: data.samples, ...shape };
  const b = BUILTIN_SOURCES[data.source];
  return { inputs: b.inputs, outputs: outputsIfRegression ?? data.classes, samples: data.samples, ...shape };
}

function hasErrors(issues: SpecIssue[]): boolean {
  return issues.some((i) => i.severity === 'error');
}

function describeSyntax(e: ParseError): string {
  const code = printParseErrorCode(e.error);
  return code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

function findProperty(obj: Node, key: string): Node | undefined {
  return obj.children?.find((p) => p.children?.[0]?.value === key)?.children?.[1];
}

interface LayerRefNode {
  index: number;
  name: string;
  /** The `name` value node when the user gave one. */
  nameNode: Node | undefined;
}

/** Names of every layer (given or default), computed before validation so every message can carry them. */
function layerRefs(layers: Node | undefined): LayerRefNode[] {
  if (layers?.type !== 'array') return [];
  const entries = (layers.children ?? []).map((n) => {
    const typeNode = n.type === 'object' ? findProperty(n, 'type') : undefined;
    const nameNode = n.type === 'object' ? findProperty(n, 'name') : undefined;
    return {
      type: typeNode?.type === 'string' ? (typeNode.value as string) : null,
      name: nameNode?.type === 'string' ? (nameNode.value as string) : null,
      nameNode: nameNode?.type === 'string' ? nameNode : undefined,
    };
  });
  const names = layerNames(entries);
  return entries.map((e, index) => ({ index, name: names[index], nameNode: e.nameNode }));
}

function checkDuplicateNames(refs: LayerRefNode[], ctx: CheckContext): void {
  const first = new Map<string, number>();
  for (const r of refs) {
    const prev = first.get(r.name);
    if (prev === undefined) {
      first.set(r.name, r.index);
      continue;
    }
    ctx.layer = { index: r.index, name: r.name };
    const path: JsonPath = r.nameNode ? ['layers', r.index, 'name'] : ['layers', r.index];
    error(ctx, path, `duplicate layer name ${quote(r.name)}, already used by layers[${prev}]`);
    ctx.layer = null;
  }
}

/** Data rules that depend on the source: fields that do not apply, fixed class counts, loss against task. */
function checkData(spec: ModelSpec, given: Plain, ctx: CheckContext): void {
  const { data } = spec;
  const source = quote(data.source);
  if (isFileSource(data.source)) {
    if (given.classes !== undefined) warning(ctx, ['data', 'classes'], 'ignored for a file source: the classes are the distinct values of the target column');
    if (given.noise !== undefined) warning(ctx, ['data', 'noise'], 'ignored for a file source');
  } else {
    const b = BUILTIN_SOURCES[data.source];
    if (given.target !== undefined) warning(ctx, ['data', 'target'], `ignored: ${source} is built in`);
    if (given.task !== undefined && given.task !== b.task) error(ctx, ['data', 'task'], `${source} is a ${b.task} dataset`);
    if (given.noise !== undefined && !b.usesNoise) warning(ctx, ['data', 'noise'], `ignored: ${source} is real data`);
    if (given.inputShape !== undefined) warning(ctx, ['data', 'inputShape'], `ignored: ${source} is built in${b.shape ? ` with images of shape [${b.shape.join(', ')}]` : ''}`);
    if (given.classes !== undefined && b.maxClasses !== null && (given.classes as number) > b.maxClasses) {
      error(ctx, ['data', 'classes'], `${source} has at most ${b.maxClasses} classes`);
    }
    if (given.classes !== undefined) {
      if (b.task === 'regression') warning(ctx, ['data', 'classes'], `ignored: ${source} is a regression dataset`);
      else if (b.fixedClasses !== null && given.classes !== b.fixedClasses) error(ctx, ['data', 'classes'], `${source} always has ${b.fixedClasses} classes`);
    }
  }
  if (data.task === 'classification' && data.targetScaling !== 'none') {
    error(ctx, ['data', 'targetScaling'], `targetScaling applies to regression targets only, but ${source} is a classification task; remove it`);
  }
  if (data.task === 'regression' && spec.loss !== 'mse') {
    error(ctx, ['loss'], `${spec.loss} needs a classification task, but ${source} is a regression target; use mse`);
  }
}
