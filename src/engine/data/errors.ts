// The one error loadDataset throws: what went wrong, where in the model (JSON path) and, for workspace
// files, where in the data file (1-based line and column).
import type { JsonPath } from '../types';

export interface FileLocation {
  file: string;
  line: number;
  column: number;
}

export class DataError extends Error {
  readonly file: string | null;
  readonly line: number | null;
  readonly column: number | null;

  constructor(
    readonly reason: string,
    /** The model field this is about, e.g. ["data", "target"] or ["layers", 4, "units"]. */
    readonly path: JsonPath,
    location: FileLocation | null = null,
  ) {
    super(location ? `${location.file}:${location.line}:${location.column}: ${reason}` : reason);
    this.name = 'DataError';
    this.file = location?.file ?? null;
    this.line = location?.line ?? null;
    this.column = location?.column ?? null;
  }
}
