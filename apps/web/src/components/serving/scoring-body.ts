import type { ColumnSpec, SchemaView } from "@modelgate/core";
import { splitFrame } from "@/components/registry/format";

// Building the "try it" request from the served version's signature and input example.

export interface FormColumn {
  name: string;
  type: string;
  required: boolean;
}

const NUMERIC = new Set(["double", "float", "long", "integer"]);
export const isNumeric = (type: string) => NUMERIC.has(type);

/** The named columns of a column signature (a form needs names; tensors get the JSON editor). */
export function formColumns(inputs: SchemaView | null | undefined): FormColumn[] | null {
  if (!inputs || inputs.kind !== "columns" || inputs.specs.length === 0) return null;
  const specs = inputs.specs as ColumnSpec[];
  if (specs.some((s) => !s.name)) return null;
  return specs.map((s) => ({ name: s.name!, type: s.type, required: s.required }));
}

/** The first row of the input example, column by column, as the form's text values. */
export function exampleRow(example: unknown, columns: FormColumn[]): Record<string, string> {
  const out: Record<string, string> = {};
  const row = firstRow(example);
  for (const c of columns) {
    const v = row?.[c.name];
    out[c.name] = v === undefined || v === null ? "" : typeof v === "string" ? v : JSON.stringify(v);
  }
  return out;
}

function firstRow(example: unknown): Record<string, unknown> | null {
  const frame = splitFrame(example);
  if (frame && frame.data[0]) return Object.fromEntries(frame.columns.map((c, i) => [c, frame.data[0]![i]]));
  const records = Array.isArray(example) ? example : (example as { dataframe_records?: unknown } | null)?.dataframe_records;
  if (Array.isArray(records) && records[0] && typeof records[0] === "object") return records[0] as Record<string, unknown>;
  if (example && typeof example === "object" && !Array.isArray(example)) {
    // a dict of columns: {"a": [1, 2], "b": [3, 4]} or {"a": 1, "b": 3}
    return Object.fromEntries(Object.entries(example).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]));
  }
  return null;
}

/**
 * One typed value: numbers for numeric columns, booleans, JSON for arrays and objects. What does
 * not parse is sent as typed, so the server's 400 names the column and the expected type.
 */
function cell(type: string, text: string): unknown {
  const t = text.trim();
  if (isNumeric(type)) {
    const n = Number(t);
    return t !== "" && Number.isFinite(n) ? n : /^nan$/i.test(t) ? "NaN" : t;
  }
  if (type === "boolean") return t === "true" ? true : t === "false" ? false : t;
  if (type === "array" || type === "object" || type === "map") {
    try {
      return JSON.parse(t) as unknown;
    } catch {
      return t;
    }
  }
  return text;
}

/** A one-row `dataframe_split` request; blank cells are left out (optional columns stay absent). */
export function formBody(columns: FormColumn[], values: Record<string, string>): { dataframe_split: { columns: string[]; data: unknown[][] } } {
  const given = columns.filter((c) => (values[c.name] ?? "").trim() !== "");
  return { dataframe_split: { columns: given.map((c) => c.name), data: [given.map((c) => cell(c.type, values[c.name] ?? ""))] } };
}

/** The JSON editor's first text: the input example as a request, or an empty `inputs` request. */
export function exampleBody(example: unknown): unknown {
  if (example === null || example === undefined) return { inputs: [] };
  const frame = splitFrame(example);
  if (frame) return { dataframe_split: { columns: frame.columns, data: frame.data.slice(0, 5) } };
  if (Array.isArray(example)) return { dataframe_records: example.slice(0, 5) };
  if (typeof example === "object" && ("inputs" in example || "instances" in example || "dataframe_records" in example)) return example;
  return { inputs: example };
}
