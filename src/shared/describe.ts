// One description per message, from which both its TypeScript type (`Infer`) and its runtime check are
// derived, so the two cannot drift (as engine/spec/fields.ts derives the model schema from its field table).
// A check returns null when the value fits, else what is wrong and where ("progress message: batch.steps
// must be an array"); whoever receives a message from another process or a webview checks it first.

export interface Shape<T> {
  /** Null when `v` fits; otherwise the first problem, naming `at` (the path to `v`). */
  check(v: unknown, at: string): string | null;
  /** The described type; never set, it only carries `T`. */
  readonly type?: T;
}

export type Infer<S> = S extends Shape<infer T> ? T : never;

const shape = <T>(check: (v: unknown, at: string) => string | null): Shape<T> => ({ check });
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v);

export const str = shape<string>((v, at) => (typeof v === 'string' ? null : `${at} must be a string, not ${typeOf(v)}`));
/** Any number, NaN and ±Infinity included (they are what the user debugs). */
export const num = shape<number>((v, at) => (typeof v === 'number' ? null : `${at} must be a number, not ${typeOf(v)}`));
export const bool = shape<boolean>((v, at) => (typeof v === 'boolean' ? null : `${at} must be true or false, not ${typeOf(v)}`));

export function oneOf<const L extends readonly string[]>(...values: L): Shape<L[number]> {
  return shape((v, at) => (typeof v === 'string' && values.includes(v) ? null : `${at} must be one of ${values.join(', ')}`));
}

export function nullable<T>(s: Shape<T>): Shape<T | null> {
  return shape((v, at) => (v === null ? null : s.check(v, at)));
}

/** A field that may be absent. */
export function optional<T>(s: Shape<T>): Shape<T | undefined> {
  return shape((v, at) => (v === undefined ? null : s.check(v, at)));
}

export function either<A, B>(a: Shape<A>, b: Shape<B>): Shape<A | B> {
  return shape((v, at) => {
    const first = a.check(v, at);
    return first === null || b.check(v, at) === null ? null : first;
  });
}

export function arrayOf<T>(item: Shape<T>): Shape<T[]> {
  return shape((v, at) => {
    if (!Array.isArray(v)) return `${at} must be an array, not ${typeOf(v)}`;
    for (let i = 0; i < v.length; i++) {
      const e = item.check(v[i], `${at}[${i}]`);
      if (e !== null) return e;
    }
    return null;
  });
}

export function recordOf<T>(value: Shape<T>): Shape<Record<string, T>> {
  return shape((v, at) => {
    if (!isObject(v)) return `${at} must be an object, not ${typeOf(v)}`;
    for (const [k, x] of Object.entries(v)) {
      const e = value.check(x, `${at}.${k}`);
      if (e !== null) return e;
    }
    return null;
  });
}

type Fields = Record<string, Shape<unknown>>;
type Flat<T> = { [K in keyof T]: T[K] } & {};
type Optionals<F extends Fields> = { [K in keyof F]: undefined extends Infer<F[K]> ? K : never }[keyof F];
type ObjectOf<F extends Fields> = Flat<{ [K in Exclude<keyof F, Optionals<F>>]: Infer<F[K]> } & { [K in Optionals<F>]?: Infer<F[K]> }>;

function checkFields(fields: Fields, v: Record<string, unknown>, at: string): string | null {
  for (const [k, s] of Object.entries(fields)) {
    const e = s.check(v[k], at ? `${at}.${k}` : k);
    if (e !== null) return e;
  }
  return null;
}

/** An object with these fields (others are allowed and kept). */
export function obj<F extends Fields>(fields: F): Shape<ObjectOf<F>> {
  return shape((v, at) => (isObject(v) ? checkFields(fields, v, at) : `${at || 'the value'} must be an object, not ${typeOf(v)}`));
}

/**
 * A value of a type declared elsewhere (the engine's data), checked by the fields its receivers rely on:
 * the shape is the contract, `T` the documentation of the rest.
 */
export function partly<T>(s: Shape<unknown>): Shape<T> {
  return shape((v, at) => s.check(v, at));
}

/** One description per message type: its fields besides `type`. */
type MessageFields = Record<string, Fields>;
export type MessageOf<M extends MessageFields> = { [K in keyof M & string]: Flat<{ type: K } & ObjectOf<M[K]>> }[keyof M & string];

/** Null when `v` is one of the described messages; otherwise why not, naming the message type. */
export function checkMessage(messages: MessageFields, v: unknown): string | null {
  if (!isObject(v)) return `a message must be an object, not ${typeOf(v)}`;
  if (typeof v.type !== 'string') return 'a message needs a string "type"';
  if (!Object.hasOwn(messages, v.type)) return `unknown message type "${v.type}"`;
  const e = checkFields(messages[v.type]!, v, '');
  return e === null ? null : `"${v.type}" message: ${e}`;
}
