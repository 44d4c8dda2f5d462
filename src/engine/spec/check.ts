// Structural validation of a jsonc-parser tree against the field descriptions in fields.ts. Returns plain
// values holding only what is valid (invalid or unknown entries are left out) and records positioned issues.
import type { Node } from 'jsonc-parser';
import type { JsonPath } from '../types';
import type { SpecIssue } from './model-spec';
import type { ChoiceField, Field, NumberField, ObjectField, StringField, TaggedField } from './fields';
import { makeIssue, nodeRange, quote, rangeOf, suggestion, type LayerRefLike } from './issues';

export interface CheckContext {
  root: Node;
  textLength: number;
  issues: SpecIssue[];
  /** The layer being checked, for "layers[2] (hidden1)" in messages. */
  layer: LayerRefLike;
  /** Index and name of every entry of the top-level `layers` array. */
  layerRefs: LayerRefLike[];
}

export type Plain = Record<string, unknown>;

export function error(ctx: CheckContext, path: JsonPath, what: string, node?: Node): void {
  ctx.issues.push(makeIssue('error', path, what, node ? nodeRange(node) : rangeOf(ctx.root, path, ctx.textLength), ctx.layer));
}

export function warning(ctx: CheckContext, path: JsonPath, what: string, node?: Node): void {
  ctx.issues.push(makeIssue('warning', path, what, node ? nodeRange(node) : rangeOf(ctx.root, path, ctx.textLength), ctx.layer));
}

const TYPE_NAMES: Record<Node['type'], string> = {
  object: 'an object', array: 'an array', string: 'a string', number: 'a number', boolean: 'a boolean', null: 'null', property: 'a property',
};

/** Checks `node` against `field`; undefined when invalid (an issue has been recorded). */
export function checkField(field: Field, node: Node, path: JsonPath, ctx: CheckContext): unknown {
  switch (field.kind) {
    case 'number':
      return checkNumber(field, node, path, ctx);
    case 'string':
      return checkString(field, node, path, ctx);
    case 'boolean':
      if (node.type === 'boolean') return node.value as boolean;
      error(ctx, path, `must be true or false, not ${TYPE_NAMES[node.type]}`, node);
      return undefined;
    case 'object':
      return checkObject(field, node, path, ctx, null);
    case 'array':
      if (node.type !== 'array') {
        error(ctx, path, `must be an array, not ${TYPE_NAMES[node.type]}`, node);
        return undefined;
      }
      if (field.minItems && (node.children?.length ?? 0) < field.minItems) {
        error(ctx, path, `must have at least ${field.minItems} item${field.minItems > 1 ? 's' : ''}`, node);
        return undefined;
      }
      if (field.maxItems !== undefined && (node.children?.length ?? 0) > field.maxItems) {
        error(ctx, path, `must have at most ${field.maxItems} item${field.maxItems > 1 ? 's' : ''}`, node);
        return undefined;
      }
      return (node.children ?? []).map((child, i) => {
        const isLayer = path.length === 1 && path[0] === 'layers';
        if (isLayer) ctx.layer = ctx.layerRefs[i] ?? null;
        const v = checkField(field.items, child, [...path, i], ctx);
        if (isLayer) ctx.layer = null;
        return v;
      });
    case 'tagged':
      return checkTagged(field, node, path, ctx);
    case 'choice':
      return checkChoice(field, node, path, ctx);
  }
}

const JSON_TYPE_OF_KIND = { number: 'number', string: 'string', array: 'array' } as const;

/** The option whose JSON type is the node's decides; a node of no option's type is an error naming them all. */
function checkChoice(f: ChoiceField, node: Node, path: JsonPath, ctx: CheckContext): unknown {
  const option = f.options.find((o) => JSON_TYPE_OF_KIND[o.kind] === node.type);
  if (option) return checkField(option, node, path, ctx);
  const wanted = f.options.map((o) => (o.kind === 'string' && o.enum ? o.enum.map((e) => quote(e)).join(' or ') : TYPE_NAMES[JSON_TYPE_OF_KIND[o.kind]]));
  error(ctx, path, `must be ${wanted.join(' or ')}, not ${TYPE_NAMES[node.type]}`, node);
  return undefined;
}

function describeNumber(f: NumberField): string {
  const what = f.integer ? 'an integer' : 'a number';
  if (f.min !== undefined && f.max !== undefined) {
    return `${what} in ${f.minExclusive ? '(' : '['}${f.min}, ${f.max}${f.maxExclusive ? ')' : ']'}`;
  }
  if (f.min !== undefined) return `${what} ${f.minExclusive ? '>' : '>='} ${f.min}`;
  if (f.max !== undefined) return `${what} ${f.maxExclusive ? '<' : '<='} ${f.max}`;
  return what;
}

function checkNumber(f: NumberField, node: Node, path: JsonPath, ctx: CheckContext): number | undefined {
  const v = node.value;
  const ok =
    node.type === 'number' &&
    typeof v === 'number' &&
    Number.isFinite(v) &&
    (!f.integer || Number.isInteger(v)) &&
    (f.min === undefined || (f.minExclusive ? v > f.min : v >= f.min)) &&
    (f.max === undefined || (f.maxExclusive ? v < f.max : v <= f.max));
  if (ok) return v as number;
  const got = node.type === 'number' ? `got ${String(v)}` : `not ${TYPE_NAMES[node.type]}`;
  error(ctx, path, `must be ${describeNumber(f)}, ${got}`, node);
  return undefined;
}

function checkString(f: StringField, node: Node, path: JsonPath, ctx: CheckContext): string | undefined {
  if (node.type !== 'string') {
    error(ctx, path, `must be a string${f.enum ? ` (${f.enum.join(' | ')})` : ''}, not ${TYPE_NAMES[node.type]}`, node);
    return undefined;
  }
  const v = node.value as string;
  if (!f.enum || f.enum.includes(v)) return v;
  if (f.orPattern && new RegExp(f.orPattern.regex).test(v)) return v;
  const alt = f.orPattern ? ` or ${f.orPattern.hint}` : '';
  error(ctx, path, `unknown value ${quote(v)}; expected one of ${f.enum.join(', ')}${alt}.${suggestion(v, f.enum)}`, node);
  return undefined;
}

/** Checks an object's properties; `skip` names a property handled by the caller (a tagged object's `type`). */
function checkObject(f: ObjectField, node: Node, path: JsonPath, ctx: CheckContext, skip: string | null, kindLabel = ''): Plain | undefined {
  if (node.type !== 'object') {
    error(ctx, path, `must be an object, not ${TYPE_NAMES[node.type]}`, node);
    return undefined;
  }
  const out: Plain = {};
  const seen = new Set<string>();
  let valid = true;
  for (const prop of node.children ?? []) {
    const [keyNode, valueNode] = prop.children ?? [];
    if (!keyNode || !valueNode) continue; // incomplete property: already a syntax error
    const key = keyNode.value as string;
    const keyPath = [...path, key];
    if (seen.has(key)) {
      error(ctx, keyPath, `duplicate field ${quote(key)}`, keyNode);
      valid = false;
      continue;
    }
    seen.add(key);
    if (key === skip) continue;
    const sub = Object.hasOwn(f.properties, key) ? f.properties[key] : undefined; // never Object.prototype's
    if (!sub) {
      const known = Object.keys(f.properties);
      warning(ctx, keyPath, `unknown field ${quote(key)}${kindLabel} (ignored).${suggestion(key, known)}`, keyNode);
      continue;
    }
    const v = checkField(sub, valueNode, keyPath, ctx);
    if (v === undefined) valid = false;
    else out[key] = v;
  }
  for (const key of f.required ?? []) {
    if (!seen.has(key)) {
      error(ctx, [...path, key], `missing required field ${quote(key)}`);
      valid = false;
    }
  }
  if (f.exactlyOne) {
    const present = f.exactlyOne.filter((k) => seen.has(k));
    if (present.length !== 1) {
      const what = present.length === 0 ? 'needs' : 'takes only';
      error(ctx, present.length > 1 ? [...path, present[1]] : path, `${what} one of ${f.exactlyOne.map((k) => quote(k)).join(' or ')}`);
      valid = false;
    }
  }
  return valid ? out : undefined;
}

function checkTagged(f: TaggedField, node: Node, path: JsonPath, ctx: CheckContext): Plain | undefined {
  const names = Object.keys(f.variants);
  if (node.type === 'string' && f.shorthand) {
    const v = node.value as string;
    if (Object.hasOwn(f.variants, v)) {
      const missing = f.variants[v].required ?? [];
      if (missing.length === 0) return { type: v };
      error(ctx, path, `${quote(v)} needs ${missing.map((k) => quote(k)).join(', ')}: write { "type": ${quote(v)}, ${missing.map((k) => `"${k}": ...`).join(', ')} }`, node);
      return undefined;
    }
    error(ctx, path, `unknown type ${quote(v)}; expected one of ${names.join(', ')}.${suggestion(v, names)}`, node);
    return undefined;
  }
  if (node.type !== 'object') {
    error(ctx, path, `must be ${f.shorthand ? 'a name or ' : ''}an object with a "type", not ${TYPE_NAMES[node.type]}`, node);
    return undefined;
  }
  const typeProp = (node.children ?? []).find((p) => p.children?.[0]?.value === 'type');
  const typeNode = typeProp?.children?.[1];
  if (!typeNode) {
    error(ctx, [...path, 'type'], `missing "type" (one of ${names.join(', ')})`);
    return undefined;
  }
  const type = typeNode.type === 'string' ? (typeNode.value as string) : null;
  if (type === null || !Object.hasOwn(f.variants, type)) {
    const shown = type === null ? `must be a string naming one of` : `unknown type ${quote(type)}; expected one of`;
    error(ctx, [...path, 'type'], `${shown} ${names.join(', ')}.${type === null ? '' : suggestion(type, names)}`, typeNode);
    return undefined;
  }
  const body = checkObject(f.variants[type], node, path, ctx, 'type', ` for type ${quote(type)}`);
  return body && { type, ...body };
}
