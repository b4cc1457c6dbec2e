import ort from "onnxruntime-node";
import { allocate, dtypeKind, intInRange } from "./dtypes.ts";
import { type IoInfo } from "./onnx-session.ts";
import { ScoringInputError } from "./types.ts";

// Tensor-based signature enforcement: a (nested) JSON list becomes one tensor after its dtype and
// shape are checked against the tensor spec (-1 = any size), then against the ONNX input.

export interface TensorTarget {
  io: IoInfo;
  /** The signature's tensor spec, or null when the model has no signature. */
  spec: { dtype: string; shape: number[] } | null;
}

export function buildTensor(value: unknown, target: TensorTarget, label = ""): ort.Tensor {
  const shape = inferShape(value);
  const leaves: unknown[] = [];
  flatten(value, shape, 0, leaves, label);
  const received = receivedDtype(leaves);

  const expectedDtype = target.spec?.dtype ?? target.io.type!;
  const kind = dtypeKind(expectedDtype);
  if (!compatible(kind, expectedDtype, received, leaves)) {
    throw new ScoringInputError(`dtype of input ${received} does not match expected dtype ${expectedDtype}${label}`);
  }
  if (target.spec) checkShape(shape, target.spec.shape, label);
  if (target.io.shape.length > 0) checkShape(shape, target.io.shape, label);

  const type = target.io.type!;
  const { data, set } = allocate(type, leaves.length);
  const targetKind = dtypeKind(type);
  for (let i = 0; i < leaves.length; i++) {
    const v = leaves[i];
    if (v === null) set(i, NaN);
    else if (targetKind === "int" && typeof v === "number" && !Number.isInteger(v)) set(i, Math.trunc(v));
    else set(i, v as number | boolean | string);
  }
  return new ort.Tensor(type as "float32", data as Float32Array, shape);
}

export function checkShape(actual: number[], expected: number[], label = ""): void {
  const ok = actual.length === expected.length && expected.every((d, i) => d === -1 || d === actual[i]);
  if (!ok) throw new ScoringInputError(`Shape of input ${pyTuple(actual)} does not match expected shape ${pyTuple(expected)}${label}`);
}

/** Python's tuple repr: (2, 5), (3,), (). */
export function pyTuple(dims: number[]): string {
  return dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(", ")})`;
}

function inferShape(value: unknown): number[] {
  const shape: number[] = [];
  let cur = value;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0];
  }
  return shape;
}

function flatten(value: unknown, shape: number[], depth: number, out: unknown[], label: string): void {
  if (depth === shape.length) {
    if (Array.isArray(value) || (typeof value === "object" && value !== null)) {
      throw new ScoringInputError(`Input tensor${label} is not a rectangular list of scalars: found ${Array.isArray(value) ? "a list" : "a dictionary"} at depth ${depth}`);
    }
    out.push(value);
    return;
  }
  if (!Array.isArray(value) || value.length !== shape[depth]) {
    const got = Array.isArray(value) ? `a list of ${value.length}` : "a scalar";
    throw new ScoringInputError(`Input tensor${label} is ragged: expected a list of ${shape[depth]} at depth ${depth}, found ${got}`);
  }
  for (const item of value) flatten(item, shape, depth + 1, out, label);
}

/** numpy's dtype for the list: bool, int64, float64, str, or object when mixed. */
function receivedDtype(leaves: unknown[]): string {
  let ints = 0;
  let floats = 0;
  let bools = 0;
  let strs = 0;
  let nulls = 0;
  for (const v of leaves) {
    if (typeof v === "number") {
      if (Number.isInteger(v)) ints++;
      else floats++;
    } else if (typeof v === "boolean") bools++;
    else if (typeof v === "string") strs++;
    else if (v === null) nulls++;
  }
  const n = leaves.length;
  if (n === 0 || ints === n) return "int64";
  if (ints + floats === n) return "float64";
  if (ints + floats + nulls === n) return "float64 with missing values";
  if (bools === n) return "bool";
  if (strs === n) return "str";
  return "object";
}

function compatible(kind: string | null, dtype: string, received: string, leaves: unknown[]): boolean {
  switch (kind) {
    case "float":
      return received === "int64" || received === "float64" || received === "float64 with missing values";
    case "int":
      return received === "int64" && leaves.every((v) => intInRange(dtype, v as number));
    case "bool":
      return received === "bool" || leaves.length === 0;
    case "string":
      return received === "str" || leaves.length === 0;
    default:
      return false;
  }
}
