// The vocabulary every field description is written in (fields.ts for the file, layer-kinds.ts for each
// layer kind): field types, their builders and the shared initialiser/name/epsilon fields.
export interface FieldBase {
  description: string;
}
export interface NumberField extends FieldBase {
  kind: 'number';
  integer?: boolean;
  min?: number;
  /** `min` is exclusive. */
  minExclusive?: boolean;
  max?: number;
  maxExclusive?: boolean;
  default?: number;
}
export interface StringField extends FieldBase {
  kind: 'string';
  enum?: readonly string[];
  enumDescriptions?: readonly string[];
  /** With `enum`: a value outside the enum is still valid when it matches this (e.g. a file path). */
  orPattern?: { regex: string; hint: string };
  default?: string;
}
export interface BooleanField extends FieldBase {
  kind: 'boolean';
  default?: boolean;
}
export interface ObjectField extends FieldBase {
  kind: 'object';
  properties: Record<string, Field>;
  required?: readonly string[];
  /** Exactly one of these keys must be present (e.g. clipping by `norm` or by `value`). */
  exactlyOne?: readonly string[];
}
export interface ArrayField extends FieldBase {
  kind: 'array';
  items: Field;
  minItems?: number;
  maxItems?: number;
}
/** An object whose `type` picks the variant; with `shorthand`, the bare variant name (a string) also works. */
export interface TaggedField extends FieldBase {
  kind: 'tagged';
  variants: Record<string, ObjectField>;
  shorthand?: boolean;
  default?: string;
}
/** One of several alternatives told apart by their JSON type (a kernel size as a number or as [kh, kw]). */
export interface ChoiceField extends FieldBase {
  kind: 'choice';
  options: readonly (NumberField | StringField | ArrayField)[];
  default?: number | string;
}
export type Field = NumberField | StringField | BooleanField | ObjectField | ArrayField | TaggedField | ChoiceField;

// ---- building blocks -------------------------------------------------------------------------------------

export const num = (description: string, extra: Omit<NumberField, 'kind' | 'description'> = {}): NumberField => ({ kind: 'number', description, ...extra });
export const int = (description: string, extra: Omit<NumberField, 'kind' | 'description' | 'integer'> = {}): NumberField => ({
  kind: 'number', integer: true, description, ...extra,
});
export const obj = (description: string, properties: Record<string, Field>, extra: Partial<ObjectField> = {}): ObjectField => ({
  kind: 'object', description, properties, ...extra,
});
export const positive = (description: string, def?: number): NumberField => num(description, { min: 0, minExclusive: true, default: def });
export const nonNegative = (description: string, def?: number): NumberField => num(description, { min: 0, default: def });
export const unitInterval = (description: string, def: number): NumberField => num(description, { min: 0, max: 1, maxExclusive: true, default: def });

export const ACTIVATION_KINDS = ['sigmoid', 'tanh', 'relu', 'leaky-relu', 'relu6', 'linear', 'softmax'] as const;
export const RELU_FAMILY: readonly string[] = ['relu', 'leaky-relu', 'relu6'];
export const SMALL_GAUSSIAN_STD_DEFAULT = 0.01;

// ---- initialisers ----------------------------------------------------------------------------------------

export const INIT_DOC: Record<string, string> = {
  zeros: 'zeros: every value 0 (keeps units symmetric; only sensible for biases).',
  constant: 'constant: every value equal to `value`.',
  'small-gaussian': 'small-gaussian: N(0, std²) with std 0.01 unless `std` is given.',
  xavier: 'xavier (Glorot normal): N(0, 2/(fanIn+fanOut)).',
  'xavier-uniform': 'xavier-uniform (Glorot uniform): U(±sqrt(6/(fanIn+fanOut))).',
  he: 'he (Kaiming normal): N(0, 2/fanIn), for the ReLU family.',
  'he-uniform': 'he-uniform (Kaiming uniform): U(±sqrt(6/fanIn)).',
  lecun: 'lecun: N(0, 1/fanIn).',
};

export function initField(description: string): TaggedField {
  const variants: Record<string, ObjectField> = {};
  for (const [name, doc] of Object.entries(INIT_DOC)) {
    const properties: Record<string, Field> = {};
    if (name === 'constant') properties.value = num('The constant every value starts at.');
    if (name === 'small-gaussian') properties.std = positive('Standard deviation of the Gaussian.', SMALL_GAUSSIAN_STD_DEFAULT);
    variants[name] = obj(doc, properties, { required: name === 'constant' ? ['value'] : [] });
  }
  return { kind: 'tagged', description, variants, shorthand: true };
}

// ---- layers ----------------------------------------------------------------------------------------------

export const layerName = (): StringField => ({
  kind: 'string',
  description: 'Optional unique layer name used in messages and fixes. Default: the kind and its 1-based count among layers of that kind, e.g. dense_2, relu_1.',
});
export const epsilon = (what: string): NumberField => positive(`Small constant added to the variance in ${what} for numerical stability.`, 1e-5);
export const regOverride = (which: string): NumberField =>
  nonNegative(`${which} penalty on this layer's weights, overriding the model's regularization.${which.toLowerCase()} (biases are never penalised).`);

export const ACTIVATION_DOC: Record<(typeof ACTIVATION_KINDS)[number], string> = {
  sigmoid: 'Logistic sigmoid 1/(1+e^-x).',
  tanh: 'Hyperbolic tangent.',
  relu: 'Rectified linear unit max(0, x).',
  'leaky-relu': 'Leaky ReLU: x for x > 0, alpha·x otherwise.',
  relu6: 'ReLU capped at 6: min(max(0, x), 6).',
  linear: 'Identity (no activation).',
  softmax: 'Softmax over the features of each sample (not needed before softmax-cross-entropy, which applies it itself).',
};


// ---- defaults --------------------------------------------------------------------------------------------

type Plain = Record<string, unknown>;

export function defaultOf(field: Field): unknown {
  return field.kind === 'number' || field.kind === 'string' || field.kind === 'boolean' || field.kind === 'tagged' || field.kind === 'choice' ? field.default : undefined;
}

/** `plain` with every missing property that has a default in `field` filled in. */
export function withDefaults(field: ObjectField, plain: Plain | undefined): Plain {
  const out: Plain = { ...(plain ?? {}) };
  for (const [key, sub] of Object.entries(field.properties)) {
    const def = defaultOf(sub);
    if (out[key] === undefined && def !== undefined) out[key] = def;
  }
  return out;
}

/** A tagged value (a bare variant name or an object with `type`) with its variant's defaults filled. */
export function tagged(field: { variants: Record<string, ObjectField> }, value: unknown): Plain {
  const plain = typeof value === 'string' ? { type: value } : (value as Plain);
  return { ...withDefaults(field.variants[plain.type as string], plain), type: plain.type };
}
