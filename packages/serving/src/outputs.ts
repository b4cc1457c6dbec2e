import type ort from "onnxruntime-node";

// Model outputs → MLflow's `predictions`: one output of shape [N] or [N, 1] is a flat list, [N, k]
// a list of lists, several outputs a dictionary of name → list. float32 values are written as the
// shortest decimal that reads back to the same float32 (0.1, not 0.10000000149011612).

export function toPredictions(outputs: [string, ort.Tensor][]): unknown {
  if (outputs.length === 1) return shaped(outputs[0]![1]);
  const out: Record<string, unknown> = {};
  for (const [name, tensor] of outputs) out[name] = shaped(tensor);
  return out;
}

/** One prediction per input row (batch scoring): a value, a list, or a dictionary per row. */
export function toRowPredictions(outputs: [string, ort.Tensor][], rows: number): unknown[] {
  const perOutput = outputs.map(([name, tensor]) => [name, shaped(tensor)] as const);
  if (perOutput.length === 1) return perOutput[0]![1];
  const out: unknown[] = new Array(rows);
  for (let i = 0; i < rows; i++) {
    const row: Record<string, unknown> = {};
    for (const [name, values] of perOutput) row[name] = values[i];
    out[i] = row;
  }
  return out;
}

function shaped(tensor: ort.Tensor): unknown[] {
  const flat = values(tensor);
  const dims = tensor.dims;
  if (dims.length <= 1 || (dims.length === 2 && dims[1] === 1)) return flat;
  return nest(flat, dims.slice(1), 0, dims[0]!);
}

function nest(flat: unknown[], inner: readonly number[], offset: number, count: number): unknown[] {
  const size = inner.reduce((a, b) => a * b, 1);
  const out: unknown[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const start = offset + i * size;
    out[i] = inner.length === 1 ? flat.slice(start, start + inner[0]!) : nest(flat, inner.slice(1), start, inner[0]!);
  }
  return out;
}

function values(tensor: ort.Tensor): unknown[] {
  const data = tensor.data;
  const n = data.length;
  const out: unknown[] = new Array(n);
  if (tensor.type === "float32") {
    const f = data as Float32Array;
    for (let i = 0; i < n; i++) out[i] = shortestFloat32(f[i]!);
  } else if (tensor.type === "bool") {
    const b = data as Uint8Array;
    for (let i = 0; i < n; i++) out[i] = b[i] !== 0;
  } else if (tensor.type === "int64" || tensor.type === "uint64") {
    const b = data as BigInt64Array;
    for (let i = 0; i < n; i++) out[i] = Number(b[i]!);
  } else {
    const d = data as ArrayLike<unknown>;
    for (let i = 0; i < n; i++) out[i] = d[i];
  }
  return out;
}

export function shortestFloat32(x: number): number {
  if (Number.isInteger(x) || !Number.isFinite(x)) return x;
  for (let p = 6; p < 9; p++) {
    const y = Number(x.toPrecision(p));
    if (Math.fround(y) === x) return y;
  }
  return Number(x.toPrecision(9));
}
