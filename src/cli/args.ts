// Command-line parsing for `nn-debugger`: a command, one model path and a few flags. Usage mistakes become
// UsageError (exit code 2) with a message that says what was expected.

export class UsageError extends Error {}

export type Command =
  | { name: 'train'; model: string; epochs: number | null; seed: number | null; json: boolean; probes: boolean; threads: number | null }
  | { name: 'check'; model: string; json: boolean }
  | { name: 'fix'; model: string; apply: string; out: string | null }
  | { name: 'repair'; model: string; rounds: number | null; out: string | null; epochs: number | null; seed: number | null; threads: number | null; json: boolean }
  | { name: 'export'; model: string; to: 'pytorch'; out: string | null; sameInit: boolean; force: boolean }
  | { name: 'diagnose'; run: string; json: boolean }
  | { name: 'help' };

export const USAGE = `Usage:
  nn-debugger train <model.nn.json> [--epochs N] [--seed N] [--threads N] [--json] [--no-probes]
  nn-debugger check <model.nn.json> [--json]
  nn-debugger fix <model.nn.json> --apply <fix id> [--out <file>]
  nn-debugger repair <model.nn.json> [--rounds N] [--out <file>] [--seed N] [--epochs N] [--threads N] [--json]
  nn-debugger export <model.nn.json> --to pytorch [--out <model.py>] [--no-same-init] [--force]
  nn-debugger diagnose <run.nnd.jsonl> [--json]     (a PyTorch run recorded by python/nn_debugger)

Exit codes: 0 no error-level finding (for repair: in the final run), 1 error-level findings, 2 invalid model or usage.`;

const COMMAND_NAMES = ['train', 'check', 'fix', 'repair', 'export', 'diagnose'] as const;
type CommandName = (typeof COMMAND_NAMES)[number];

const FLAGS: Record<string, { value: boolean; commands: string[] }> = {
  '--epochs': { value: true, commands: ['train', 'repair'] },
  '--seed': { value: true, commands: ['train', 'repair'] },
  '--threads': { value: true, commands: ['train', 'repair'] },
  '--json': { value: false, commands: ['train', 'check', 'repair', 'diagnose'] },
  '--no-probes': { value: false, commands: ['train'] },
  '--apply': { value: true, commands: ['fix'] },
  '--out': { value: true, commands: ['fix', 'repair', 'export'] },
  '--rounds': { value: true, commands: ['repair'] },
  '--to': { value: true, commands: ['export'] },
  '--no-same-init': { value: false, commands: ['export'] },
  '--force': { value: false, commands: ['export'] },
};

const isCommandName = (name: string): name is CommandName => (COMMAND_NAMES as readonly string[]).includes(name);

function integer(flag: string, raw: string, min: number): number {
  const n = Number(raw);
  if (!/^-?\d+$/.test(raw) || n < min) throw new UsageError(`${flag} expects an integer >= ${min}, got "${raw}"`);
  return n;
}

export function parseArgs(argv: string[]): Command {
  const [name, ...rest] = argv;
  if (!name) throw new UsageError('missing the command');
  if (name === '--help' || name === '-h' || name === 'help') return { name: 'help' };
  if (!isCommandName(name)) throw new UsageError(`unknown command "${name}" (${COMMAND_NAMES.join(', ')})`);
  const values = new Map<string, string>();
  const bools = new Set<string>();
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const def = FLAGS[flag];
    if (!def || !def.commands.includes(name)) throw new UsageError(`unknown option ${flag} for "${name}"`);
    if (!def.value) {
      if (inline !== undefined) throw new UsageError(`${flag} takes no value`);
      bools.add(flag);
      continue;
    }
    const value = inline ?? rest[++i];
    if (value === undefined || (inline === undefined && value.startsWith('--'))) throw new UsageError(`${flag} needs a value`);
    values.set(flag, value);
  }
  if (name === 'diagnose') {
    if (positional.length !== 1) throw new UsageError(positional.length ? `expected one recorded run, got ${positional.length}` : 'missing the recorded run (.nnd.jsonl)');
    return { name, run: positional[0], json: bools.has('--json') };
  }
  if (positional.length !== 1) throw new UsageError(positional.length ? `expected one model file, got ${positional.length}` : 'missing the model file');
  const model = positional[0];
  const optional = (flag: string, min: number) => {
    const raw = values.get(flag);
    return raw === undefined ? null : integer(flag, raw, min);
  };
  if (name === 'train') {
    return { name, model, epochs: optional('--epochs', 1), seed: optional('--seed', 0), threads: optional('--threads', 1), json: bools.has('--json'), probes: !bools.has('--no-probes') };
  }
  if (name === 'repair') {
    return { name, model, rounds: optional('--rounds', 0), out: values.get('--out') ?? null, epochs: optional('--epochs', 1), seed: optional('--seed', 0), threads: optional('--threads', 1), json: bools.has('--json') };
  }
  if (name === 'check') return { name, model, json: bools.has('--json') };
  if (name === 'export') {
    const to = values.get('--to');
    if (to !== 'pytorch') throw new UsageError(to === undefined ? 'export needs --to pytorch' : `--to: unknown target "${to}" (pytorch)`);
    return { name, model, to, out: values.get('--out') ?? null, sameInit: !bools.has('--no-same-init'), force: bools.has('--force') };
  }
  const apply = values.get('--apply');
  if (!apply) throw new UsageError('fix needs --apply <fix id>');
  return { name, model, apply, out: values.get('--out') ?? null };
}
