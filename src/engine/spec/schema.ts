// The JSON Schema (draft-07) of `.nn.json`, generated from fields.ts so it documents exactly what the
// validator accepts. scripts/gen-schema.ts writes it to schemas/nn.schema.json; a test keeps them equal.
import { MODEL_FIELD, type Field, type ObjectField } from './fields';

type Schema = Record<string, unknown>;

function objectSchema(f: ObjectField, tag: { name: string; description: string } | null): Schema {
  const properties: Schema = {};
  const required = [...(f.required ?? [])];
  if (tag) {
    properties.type = { const: tag.name, description: tag.description };
    required.unshift('type');
  }
  for (const [key, sub] of Object.entries(f.properties)) properties[key] = fieldSchema(sub);
  const s: Schema = { type: 'object', description: tag ? tag.description : f.description, properties, additionalProperties: false };
  if (required.length > 0) s.required = required;
  if (f.exactlyOne) s.oneOf = f.exactlyOne.map((k) => ({ required: [k] }));
  return s;
}

function fieldSchema(f: Field): Schema {
  switch (f.kind) {
    case 'number': {
      const s: Schema = { type: f.integer ? 'integer' : 'number', description: f.description };
      if (f.min !== undefined) s[f.minExclusive ? 'exclusiveMinimum' : 'minimum'] = f.min;
      if (f.max !== undefined) s[f.maxExclusive ? 'exclusiveMaximum' : 'maximum'] = f.max;
      if (f.default !== undefined) s.default = f.default;
      return s;
    }
    case 'string': {
      const s: Schema = { type: 'string', description: f.description };
      if (f.default !== undefined) s.default = f.default;
      if (!f.enum) return s;
      const choices: Schema = { enum: f.enum };
      if (f.enumDescriptions) choices.enumDescriptions = f.enumDescriptions;
      if (!f.orPattern) return { ...s, ...choices };
      return { ...s, anyOf: [choices, { pattern: f.orPattern.regex, description: f.orPattern.hint }] };
    }
    case 'boolean':
      return f.default === undefined ? { type: 'boolean', description: f.description } : { type: 'boolean', description: f.description, default: f.default };
    case 'object':
      return objectSchema(f, null);
    case 'array': {
      const s: Schema = { type: 'array', description: f.description, items: fieldSchema(f.items) };
      if (f.minItems !== undefined) s.minItems = f.minItems;
      if (f.maxItems !== undefined) s.maxItems = f.maxItems;
      return s;
    }
    case 'tagged': {
      const names = Object.keys(f.variants);
      const variants: Schema[] = names.map((name) => objectSchema(f.variants[name], { name, description: f.variants[name].description }));
      if (f.shorthand) {
        variants.unshift({ type: 'string', enum: names, enumDescriptions: names.map((n) => f.variants[n].description), description: f.description });
      }
      const s: Schema = { description: f.description, oneOf: variants };
      if (f.default !== undefined) s.default = f.default;
      return s;
    }
    case 'choice': {
      const s: Schema = { description: f.description, anyOf: f.options.map(fieldSchema) };
      if (f.default !== undefined) s.default = f.default;
      return s;
    }
  }
}

function buildSchema(): Schema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://nn-debugger.invalid/schemas/nn.schema.json',
    title: 'NN Debugger model (.nn.json)',
    ...fieldSchema(MODEL_FIELD),
  };
}

/** The exact text of schemas/nn.schema.json. */
export function renderSchema(): string {
  return `${JSON.stringify(buildSchema(), null, 2)}\n`;
}
