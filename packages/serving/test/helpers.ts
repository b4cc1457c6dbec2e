import onnxProto from "onnx-proto";
import { createModelRuntime } from "../src/index.ts";
import type { LoadedModel, MlmodelLike, ModelRuntime, SignatureLike } from "../src/types.ts";

const { onnx } = onnxProto;

const ELEM: Record<string, number> = { float32: 1, int32: 6, int64: 7, string: 8, bool: 9, float64: 11 };

export interface GraphIo {
  name: string;
  dtype: keyof typeof ELEM;
  shape: (number | string)[];
}

/** A tiny ONNX graph built from nodes (for output-shape, dtype and multi-input tests). */
export function graphBytes(opts: {
  inputs: GraphIo[];
  outputs: GraphIo[];
  nodes: { opType: string; input: string[]; output: string[]; attribute?: object[] }[];
}): Uint8Array {
  const valueInfo = (io: GraphIo) => ({
    name: io.name,
    type: { tensorType: { elemType: ELEM[io.dtype], shape: { dim: io.shape.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) } } },
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 13 }],
    graph: { name: "g", node: opts.nodes, input: opts.inputs.map(valueInfo), output: opts.outputs.map(valueInfo) },
  });
  return onnx.ModelProto.encode(model).finish();
}

export function onnxMlmodel(signature: SignatureLike | null = null): MlmodelLike {
  return { flavors: { onnx: { data: "model.onnx" }, python_function: { loader_module: "mlflow.onnx" } }, signature };
}

export function columnsSignature(cols: [string, string, boolean?][]): SignatureLike {
  return {
    inputs: { kind: "columns", specs: cols.map(([name, type, required]) => ({ kind: "column", name, type, required: required ?? true })) },
    outputs: null,
    params: null,
  };
}

export function tensorSignature(specs: { name?: string; dtype: string; shape: number[] }[]): SignatureLike {
  return {
    inputs: { kind: "tensors", specs: specs.map((s) => ({ kind: "tensor", name: s.name ?? null, dtype: s.dtype, shape: s.shape })) },
    outputs: null,
    params: null,
  };
}

/** A runtime over an in-memory store; `reads` counts file reads per path. */
export function memoryRuntime(files: Record<string, Uint8Array> = {}) {
  const store = new Map(Object.entries(files).map(([k, v]) => [k, Buffer.from(v)]));
  const reads = new Map<string, number>();
  const runtime: ModelRuntime = createModelRuntime({
    readFile: async (path) => {
      reads.set(path, (reads.get(path) ?? 0) + 1);
      await new Promise((r) => setTimeout(r, 5));
      const file = store.get(path);
      if (!file) throw new Error(`ENOENT: no such file, open '${path}'`);
      return file;
    },
  });
  return { runtime, store, reads };
}

/** Loads one model from bytes and returns it (key = storePath = name). */
export async function load(bytes: Uint8Array, mlmodel: MlmodelLike, name = "m"): Promise<LoadedModel> {
  const { runtime } = memoryRuntime({ [`${name}/model.onnx`]: bytes });
  return runtime.acquire({ key: name, storePath: name, mlmodel });
}

export function json(body: unknown) {
  return { body: Buffer.from(typeof body === "string" ? body : JSON.stringify(body)), contentType: "application/json" };
}

export function csv(text: string) {
  return { body: Buffer.from(text), contentType: "text/csv; charset=utf-8" };
}
