import { parseCsv } from "./csv.ts";
import { frameFromRecords, frameFromRows, type Frame } from "./frame.ts";
import { ScoringInputError, type ScoringRequest } from "./types.ts";

// MLflow's scoring protocol (mlflow/pyfunc/scoring_server): a JSON object with exactly one of
// dataframe_split, dataframe_records, instances or inputs (plus optional params), or CSV with a
// header row. Error texts follow MLflow's so clients written against it read the same messages.

export type ParsedInput =
  | { kind: "frame"; frame: Frame }
  /** A list / nested list (one unnamed tensor), or a scalar. */
  | { kind: "tensor"; value: unknown }
  /** A dictionary of named tensors. */
  | { kind: "tensors"; values: Record<string, unknown> };

export interface ParsedRequest {
  input: ParsedInput;
  params: Record<string, unknown> | null;
}

const FORMATS = ["dataframe_split", "dataframe_records", "instances", "inputs"] as const;

export const REQUIRED_INPUT_FORMAT =
  "The input must be a JSON dictionary with exactly one of the input fields {'dataframe_split', 'dataframe_records', 'instances', 'inputs'}";
const PROTOCOL_CHANGE_INFO =
  "IMPORTANT: The MLflow Model scoring protocol has changed in MLflow version 2.0. If you are seeing this error, " +
  "you are likely using an outdated scoring request format.";

export function parseScoringRequest(req: ScoringRequest): ParsedRequest {
  const type = (req.contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "text/csv") {
    const { columns, rows } = parseCsv(req.body.toString("utf8"));
    return { input: { kind: "frame", frame: frameFromRows(columns, rows) }, params: null };
  }
  if (type !== "" && type !== "application/json") {
    throw new ScoringInputError(
      `This predictor only supports the following content types: Types: ['text/csv', 'application/json']. Got '${type}'.`,
      415,
    );
  }
  return parseJsonInput(parseJson(req.body.toString("utf8")));
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new ScoringInputError(`Failed to parse input from JSON. Ensure that input is a valid JSON formatted string. Error: '${why}'`);
  }
}

export function parseJsonInput(decoded: unknown): ParsedRequest {
  if (Array.isArray(decoded)) throw new ScoringInputError(`${REQUIRED_INPUT_FORMAT}. Received a list. ${PROTOCOL_CHANGE_INFO}`);
  if (!isObject(decoded)) {
    throw new ScoringInputError(`${REQUIRED_INPUT_FORMAT}. Received unexpected input type '${jsonType(decoded)}'. ${PROTOCOL_CHANGE_INFO}`);
  }
  const keys = Object.keys(decoded);
  const present = FORMATS.filter((f) => Object.hasOwn(decoded, f));
  if (present.length !== 1) {
    throw new ScoringInputError(`${REQUIRED_INPUT_FORMAT}. Received dictionary with input fields: ${pyList(keys)}. ${PROTOCOL_CHANGE_INFO}`);
  }
  const params = decoded.params;
  if (params !== undefined && params !== null && !isObject(params)) {
    throw new ScoringInputError(`Failed to parse params: 'params' must be a JSON dictionary, not ${jsonType(params)}`);
  }
  const format = present[0]!;
  const value = decoded[format];
  return { input: parseFormat(format, value), params: (params as Record<string, unknown> | undefined) ?? null };
}

function parseFormat(format: (typeof FORMATS)[number], value: unknown): ParsedInput {
  switch (format) {
    case "dataframe_split":
      return { kind: "frame", frame: splitFrame(value) };
    case "dataframe_records":
      if (!Array.isArray(value) || !value.every(isObject)) {
        throw new ScoringInputError("Failed to parse 'dataframe_records': expected a list of records (JSON dictionaries), one per row");
      }
      return { kind: "frame", frame: frameFromRecords(value) };
    case "instances":
      // A list of dictionaries is a list of named-tensor rows (TF serving's row format).
      if (Array.isArray(value) && value.length > 0 && value.every(isObject)) return { kind: "tensors", values: stackInstances(value) };
      return isObject(value) ? { kind: "tensors", values: value } : { kind: "tensor", value };
    case "inputs":
      return isObject(value) ? { kind: "tensors", values: value } : { kind: "tensor", value };
  }
}

function splitFrame(value: unknown): Frame {
  if (!isObject(value)) throw new ScoringInputError("Failed to parse 'dataframe_split': expected a JSON dictionary with 'columns' and 'data'");
  const data = value.data;
  if (!Array.isArray(data)) throw new ScoringInputError("Failed to parse 'dataframe_split': 'data' must be a list of rows");
  const rows = data.map((row) => (Array.isArray(row) ? row : [row]));
  const width = rows[0]?.length ?? 0;
  let columns: string[];
  if (value.columns === undefined || value.columns === null) {
    columns = Array.from({ length: width }, (_, i) => String(i));
  } else if (Array.isArray(value.columns) && value.columns.every((c) => typeof c === "string" || typeof c === "number")) {
    columns = value.columns.map(String);
  } else {
    throw new ScoringInputError("Failed to parse 'dataframe_split': 'columns' must be a list of column names");
  }
  rows.forEach((row, i) => {
    if (row.length !== columns.length) {
      throw new ScoringInputError(`Failed to parse 'dataframe_split': ${columns.length} columns passed, but row ${i} of 'data' has ${row.length} values`);
    }
  });
  return frameFromRows(columns, rows);
}

function stackInstances(rows: Record<string, unknown>[]): Record<string, unknown> {
  const names = Object.keys(rows[0]!);
  const out: Record<string, unknown[]> = {};
  for (const name of names) {
    out[name] = rows.map((r, i) => {
      if (!Object.hasOwn(r, name)) throw new ScoringInputError(`Failed to parse 'instances': instance ${i} has no value for '${name}'`);
      return r[name];
    });
  }
  return out;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function jsonType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "list";
  if (typeof v === "number") return Number.isInteger(v) ? "int" : "float";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "string") return "str";
  return "dict";
}

/** Python's repr of a list of strings: ['a', 'b']. */
export function pyList(items: string[]): string {
  return `[${items.map((s) => `'${s}'`).join(", ")}]`;
}
