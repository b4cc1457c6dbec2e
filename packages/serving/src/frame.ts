import { ScoringInputError } from "./types.ts";

// A column-oriented view of tabular input (dataframe_split, dataframe_records, CSV, a dict of
// columns). Values are read per column so that building a [rows, features] tensor touches only the
// columns the model needs, with no intermediate row objects.

export interface Frame {
  readonly nrows: number;
  /** Column names in input order. */
  names(): string[];
  has(name: string): boolean;
  /** One value per row; undefined where a record lacks the column. */
  column(name: string): ArrayLike<unknown>;
}

/** Row-major data with named columns (dataframe_split, CSV, positional lists). */
export function frameFromRows(columns: string[], rows: unknown[][]): Frame {
  const index = new Map<string, number>();
  columns.forEach((c, i) => {
    if (!index.has(c)) index.set(c, i);
  });
  return {
    nrows: rows.length,
    names: () => columns,
    has: (name) => index.has(name),
    column(name) {
      const i = index.get(name);
      if (i === undefined) return new Array<undefined>(rows.length);
      const out = new Array<unknown>(rows.length);
      for (let r = 0; r < rows.length; r++) out[r] = rows[r]![i];
      return out;
    },
  };
}

/** A list of records, one object per row (dataframe_records, batch scoring). */
export function frameFromRecords(records: Record<string, unknown>[]): Frame {
  let names: string[] | null = null;
  return {
    nrows: records.length,
    names() {
      if (names === null) {
        const seen = new Set<string>();
        for (const r of records) for (const k of Object.keys(r)) seen.add(k);
        names = [...seen];
      }
      return names;
    },
    has: (name) => records.some((r) => Object.hasOwn(r, name)),
    column(name) {
      const out = new Array<unknown>(records.length);
      for (let r = 0; r < records.length; r++) {
        const rec = records[r]!;
        out[r] = Object.hasOwn(rec, name) ? rec[name] : undefined;
      }
      return out;
    },
  };
}

/** A dictionary of columns (`{"inputs": {"a": [1, 2], "b": [3, 4]}}` for a column-based model). */
export function frameFromColumns(columns: Record<string, unknown>): Frame {
  const names = Object.keys(columns);
  const values = new Map<string, unknown[]>();
  let nrows: number | null = null;
  for (const name of names) {
    const v = columns[name];
    const list = Array.isArray(v) ? v : [v];
    if (nrows !== null && list.length !== nrows) {
      throw new ScoringInputError(`All input columns must have the same length: column ${name} has ${list.length} values, expected ${nrows}`);
    }
    nrows = list.length;
    values.set(name, list);
  }
  return {
    nrows: nrows ?? 0,
    names: () => names,
    has: (name) => values.has(name),
    column: (name) => values.get(name) ?? new Array<undefined>(nrows ?? 0),
  };
}
