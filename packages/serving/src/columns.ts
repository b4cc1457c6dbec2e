import ort from "onnxruntime-node";
import { allocate, dtypeKind, type DtypeKind } from "./dtypes.ts";
import { type Frame } from "./frame.ts";
import { type IoInfo } from "./onnx-session.ts";
import { pyTuple } from "./tensors.ts";
import { ScoringInputError } from "./types.ts";

// Column-based signature enforcement: each cell is checked against its column's MLflow type
// (with MLflow's safe widening: integers into long/float/double, never booleans into numbers),
// then written straight into the model's input tensor.

export interface ColumnBinding {
  name: string;
  /** MLflow column type, or null when the model has no signature (only the ONNX type applies). */
  type: string | null;
  required: boolean;
}

type Cell = number | boolean | string | null;

export function checkMissing(frame: Frame, columns: ColumnBinding[]): void {
  if (frame.nrows === 0 && frame.names().length === 0) return; // no records at all: nothing to check
  const missing = columns.filter((c) => c.required && !frame.has(c.name));
  if (missing.length === 0) return;
  const expected = missing.map((c) => `${c.name} (${c.type ?? "any"})`).join(", ");
  throw new ScoringInputError(`Model is missing inputs ${pyListOf(missing.map((c) => c.name))}. Expected ${expected}.`);
}

/** Several numeric columns → one [rows, columns] tensor, columns in signature order. */
export function packColumns(frame: Frame, columns: ColumnBinding[], io: IoInfo): ort.Tensor {
  const rows = frame.nrows;
  const width = columns.length;
  const declared = io.shape;
  if (declared.length > 0 && (declared.length !== 2 || (declared[1] !== -1 && declared[1] !== width))) {
    throw new ScoringInputError(`Shape of input ${pyTuple([rows, width])} does not match expected shape ${pyTuple(declared)}`);
  }
  const type = io.type!;
  const target = dtypeKind(type);
  if (target === "float" && type !== "float16") {
    const out = type === "float64" ? new Float64Array(rows * width) : new Float32Array(rows * width);
    for (let j = 0; j < width; j++) {
      const col = columns[j]!;
      const values = frame.column(col.name);
      const fast = fastNumberCheck(col.type);
      for (let i = 0, k = j; i < rows; i++, k += width) {
        const v = values[i];
        out[k] = typeof v === "number" && fast(v) ? v : (toTarget(cell(v, col, i), col, i, "float", type) as number);
      }
    }
    return new ort.Tensor(type as "float32", out, [rows, width]);
  }
  const { data, set } = allocate(type, rows * width);
  for (let j = 0; j < width; j++) {
    const col = columns[j]!;
    const values = frame.column(col.name);
    for (let i = 0; i < rows; i++) set(i * width + j, toTarget(cell(values[i], col, i), col, i, target, type));
  }
  return new ort.Tensor(type as "float32", data as Float32Array, [rows, width]);
}

/** One column → the model input of the same name ([rows, 1] or [rows]). */
export function columnTensor(frame: Frame, col: ColumnBinding, io: IoInfo): ort.Tensor {
  const rows = frame.nrows;
  const type = io.type!;
  const target = dtypeKind(type);
  const values = frame.column(col.name);
  const { data, set } = allocate(type, rows);
  for (let i = 0; i < rows; i++) set(i, toTarget(cell(values[i], col, i), col, i, target, type));
  const dims = io.shape.length === 1 ? [rows] : [rows, 1];
  return new ort.Tensor(type as "float32", data as Float32Array, dims);
}

function fastNumberCheck(type: string | null): (v: number) => boolean {
  switch (type) {
    case null:
    case "double":
    case "float":
      return (v) => v === v; // NaN takes the slow path (required check)
    case "long":
      return Number.isInteger;
    case "integer":
      return (v) => Number.isInteger(v) && v >= -2147483648 && v <= 2147483647;
    default:
      return () => false;
  }
}

/** Checks one cell against the column's MLflow type; null for a missing value of an optional column. */
function cell(v: unknown, col: ColumnBinding, row: number): Cell {
  if (v === null || v === undefined || (typeof v === "number" && Number.isNaN(v))) {
    if (col.required) {
      const got = v === undefined ? "no value" : String(v);
      throw new ScoringInputError(`Column ${col.name} (${col.type ?? "any"}) is required, but received ${got} at row ${row}.`, 400, row);
    }
    return null;
  }
  if (col.type !== null && !accepts(col.type, v)) throw typeError(col.name, col.type, v, row);
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "string") return v;
  if (col.type === null) throw typeError(col.name, "a scalar", v, row);
  return JSON.stringify(v);
}

function accepts(type: string, v: unknown): boolean {
  switch (type) {
    case "double":
    case "float":
      return typeof v === "number";
    case "long":
      return typeof v === "number" && Number.isInteger(v);
    case "integer":
      return typeof v === "number" && Number.isInteger(v) && v >= -2147483648 && v <= 2147483647;
    case "boolean":
      return typeof v === "boolean";
    case "string":
    case "binary":
    case "datetime":
      return typeof v === "string";
    default:
      return true;
  }
}

/** Writes a checked cell into the model's element type; a missing optional value is NaN (floats only). */
function toTarget(v: Cell, col: ColumnBinding, row: number, target: DtypeKind | null, type: string): number | boolean | string {
  if (v === null) {
    if (target === "float") return NaN;
    throw new ScoringInputError(`Column ${col.name} has a missing value at row ${row}, but the model's input type ${type} cannot represent missing values.`, 400, row);
  }
  switch (target) {
    case "float":
      if (typeof v === "number" || typeof v === "boolean") return v;
      break;
    case "int":
      if ((typeof v === "number" && Number.isInteger(v)) || typeof v === "boolean") return v;
      break;
    case "bool":
      if (typeof v === "boolean") return v;
      if (typeof v === "number") return v !== 0;
      break;
    case "string":
      return String(v);
  }
  if (col.type === null) throw typeError(col.name, type, v, row);
  // The value fits the signature, but the graph's input cannot take that type: signature and graph disagree.
  throw new ScoringInputError(`Column ${col.name} (${col.type}) cannot be fed to the model's ${type} input: received ${preview(v)} at row ${row}.`, 400, row);
}

function typeError(name: string, expected: string, v: unknown, row: number): ScoringInputError {
  return new ScoringInputError(
    `Incompatible input types for column ${name}. Can not safely convert ${describe(v)} to ${expected}: received ${preview(v)} at row ${row}.`,
    400,
    row,
  );
}

/** MLflow's name for the type of a JSON value. */
export function describe(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "boolean") return "boolean";
  if (typeof v === "number") return Number.isInteger(v) ? "long" : "double";
  if (typeof v === "string") return "string";
  if (Array.isArray(v)) return "array";
  return "object";
}

function preview(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

function pyListOf(items: string[]): string {
  return `[${items.map((s) => `'${s}'`).join(", ")}]`;
}
