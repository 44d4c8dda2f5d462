// The last few finished runs of each model, newest first, that the panel's "Compare runs" picks two of.
// Bounded per model and in the number of models; no VS Code API, so it is unit tested in Node.

/** Finished runs kept per model. */
export const RUNS_PER_MODEL = 5;
/** Models remembered at most (the least recently finished one is forgotten first). */
export const MAX_MODELS = 20;

export class FinishedRuns<T> {
  private readonly byModel = new Map<string, T[]>();

  constructor(private readonly idOf: (run: T) => string) {}

  /** Records a finished run of `model` (a run already listed is replaced, not repeated). */
  add(model: string, run: T): void {
    const runs = [run, ...(this.byModel.get(model) ?? []).filter((r) => this.idOf(r) !== this.idOf(run))].slice(0, RUNS_PER_MODEL);
    this.byModel.delete(model); // re-insert: Map order is the order models last finished a run
    this.byModel.set(model, runs);
    if (this.byModel.size > MAX_MODELS) this.byModel.delete(this.byModel.keys().next().value!);
  }

  /** The model's finished runs, newest first. */
  of(model: string): readonly T[] {
    return this.byModel.get(model) ?? [];
  }
}
