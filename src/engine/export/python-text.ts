// Python source literals and identifiers for the exporters.

/** A float literal that reads back as exactly `n` (JavaScript's shortest round-trip form). */
export function pyFloat(n: number): string {
  if (Number.isNaN(n)) return 'float("nan")';
  if (!Number.isFinite(n)) return n > 0 ? 'float("inf")' : '-float("inf")';
  const s = String(n);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

export function pyString(s: string): string {
  return JSON.stringify(s);
}

const KEYWORDS = new Set(
  ('False None True and as assert async await break class continue def del elif else except finally for from global if import in is ' +
    'lambda nonlocal not or pass raise return try while with yield').split(' '),
);
/** nn.Module members a submodule attribute must not shadow. */
const MODULE_MEMBERS = new Set(['training', 'forward', 'parameters', 'modules', 'children', 'state_dict', 'train', 'eval', 'to', 'type', 'float', 'double', 'cuda', 'cpu', 'apply', 'reset_parameters', 'zero_grad']);

/**
 * Python attribute names for the engine's layer names ("hidden1", "dense_1/relu" -> "dense_1_relu"),
 * distinct from each other and from Python keywords and nn.Module members.
 */
export function attributeNames(names: readonly string[]): string[] {
  const used = new Set<string>();
  return names.map((name) => {
    let base = name.replace(/[^A-Za-z0-9_]/g, '_');
    if (!/^[A-Za-z_]/.test(base)) base = `layer_${base}`;
    if (KEYWORDS.has(base) || MODULE_MEMBERS.has(base)) base = `${base}_`;
    let attr = base;
    for (let k = 2; used.has(attr); k++) attr = `${base}_${k}`;
    used.add(attr);
    return attr;
  });
}
