import onnxProto from "onnx-proto";
import type { MlmodelLike } from "./types.ts";

// Small real ONNX models for tests and benchmarks, written with the ONNX protobuf schema: no model
// is ever downloaded. The MLmodel text is what MLflow writes for `mlflow.onnx.log_model`.

const { onnx } = onnxProto;

const FLOAT = 1;
const DOUBLE = 11;

export interface LinearOnnxOptions {
  features: number;
  /** One weight per feature; defaults to 0.1, 0.2, … */
  weights?: number[];
  bias?: number;
  /** Name of the graph's single input (default "x"); ignored with perColumnInputs. */
  inputName?: string;
  /** One [N, 1] graph input per column f0..f{n-1} (concatenated in the graph) instead of one [N, n] input. */
  perColumnInputs?: boolean;
  /** Element type of the graph (default float32, as skl2onnx exports). */
  dtype?: "float32" | "float64";
  /** Signature written into the MLmodel: column-based (default), tensor-based, or none. */
  signature?: "columns" | "tensors" | "none";
}

export interface TestOnnxModel {
  /** The .onnx file (store it as model.onnx next to the MLmodel). */
  bytes: Uint8Array;
  /** MLmodel YAML with onnx + python_function flavors and the chosen signature. */
  mlmodel: string;
  /** The parsed equivalent of `mlmodel` (what core's parseMlmodel returns for the fields serving reads). */
  view: MlmodelLike;
  /** input_example.json contents (MLflow's format: split-oriented frame, or `{"inputs": …}` for tensors). */
  inputExample: string;
  /** Feature names in signature order. */
  columns: string[];
  weights: number[];
  bias: number;
  /** The model's output for one row, computed in JS. */
  predict(row: number[]): number;
}

export function linearOnnxModel(options: LinearOnnxOptions): TestOnnxModel {
  const n = options.features;
  if (!Number.isInteger(n) || n < 1) throw new Error("features must be a positive integer");
  const weights = options.weights ?? Array.from({ length: n }, (_, i) => Math.round((i + 1) * 10) / 100);
  if (weights.length !== n) throw new Error(`weights must have ${n} entries`);
  const bias = options.bias ?? 0.25;
  const dtype = options.dtype ?? "float32";
  const elemType = dtype === "float32" ? FLOAT : DOUBLE;
  const columns = Array.from({ length: n }, (_, i) => `f${i}`);
  const inputName = options.inputName ?? "x";
  const signature = options.signature ?? "columns";

  const dataField = elemType === FLOAT ? { floatData: weights } : { doubleData: weights };
  const biasField = elemType === FLOAT ? { floatData: [bias] } : { doubleData: [bias] };
  const tensorType = (dims: ({ dimParam: string } | { dimValue: number })[]) => ({ tensorType: { elemType, shape: { dim: dims } } });

  const inputs = options.perColumnInputs
    ? columns.map((name) => ({ name, type: tensorType([{ dimParam: "N" }, { dimValue: 1 }]) }))
    : [{ name: inputName, type: tensorType([{ dimParam: "N" }, { dimValue: n }]) }];
  const nodes = [
    ...(options.perColumnInputs ? [{ opType: "Concat", input: columns, output: ["features"], attribute: [{ name: "axis", type: 2, i: 1 }] }] : []),
    { opType: "MatMul", input: [options.perColumnInputs ? "features" : inputName, "W"], output: ["xw"] },
    { opType: "Add", input: ["xw", "b"], output: ["y"] },
  ];
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: "modelgate-testing",
    opsetImport: [{ domain: "", version: 13 }],
    graph: {
      name: "linear",
      node: nodes,
      initializer: [
        { name: "W", dataType: elemType, dims: [n, 1], ...dataField },
        { name: "b", dataType: elemType, dims: [1], ...biasField },
      ],
      input: inputs,
      output: [{ name: "y", type: tensorType([{ dimParam: "N" }, { dimValue: 1 }]) }],
    },
  });
  const bytes = onnx.ModelProto.encode(model).finish();

  const round = dtype === "float32" ? Math.fround : (v: number) => v;
  const w = weights.map(round);
  const b = round(bias);
  const predict = (row: number[]) => round(row.reduce((sum, v, i) => sum + round(v) * w[i]!, 0) + b);

  const sig = signatureFor(signature, columns, dtype);
  const example = exampleRow(n);
  const inputExample =
    signature === "tensors" ? JSON.stringify({ inputs: [example] }) : JSON.stringify({ columns, data: [example] });
  return {
    bytes,
    mlmodel: mlmodelYaml(sig, signature === "tensors" ? "ndarray" : "dataframe"),
    view: {
      flavors: {
        onnx: { code: null, data: "model.onnx", onnx_version: "1.16.0", providers: ["CPUExecutionProvider"] },
        python_function: { data: "model.onnx", loader_module: "mlflow.onnx", python_version: "3.11.9", env: { conda: "conda.yaml", virtualenv: "python_env.yaml" } },
      },
      signature: sig.view,
    },
    inputExample,
    columns,
    weights,
    bias,
    predict,
  };
}

/** The tensor-signature variant: input `[-1, features]` of the graph dtype, output `[-1, 1]`. */
export function linearOnnxTensorModel(options: Omit<LinearOnnxOptions, "signature" | "perColumnInputs">): TestOnnxModel {
  return linearOnnxModel({ ...options, signature: "tensors" });
}

/** Bytes that are not a valid ONNX model (for load-error tests). */
export const invalidOnnxBytes = new TextEncoder().encode("this is not an onnx model");

function exampleRow(n: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.round((i + 1) * 0.5 * 100) / 100);
}

interface SignatureText {
  inputs: string | null;
  outputs: string | null;
  view: MlmodelLike["signature"];
}

function signatureFor(kind: "columns" | "tensors" | "none", columns: string[], dtype: string): SignatureText {
  if (kind === "none") return { inputs: null, outputs: null, view: null };
  if (kind === "tensors") {
    const input = { type: "tensor", "tensor-spec": { dtype, shape: [-1, columns.length] } };
    const output = { type: "tensor", "tensor-spec": { dtype, shape: [-1, 1] } };
    return {
      inputs: JSON.stringify([input]),
      outputs: JSON.stringify([output]),
      view: {
        inputs: { kind: "tensors", specs: [{ kind: "tensor", name: null, dtype, shape: [-1, columns.length] }] },
        outputs: { kind: "tensors", specs: [{ kind: "tensor", name: null, dtype, shape: [-1, 1] }] },
        params: null,
      },
    };
  }
  return {
    inputs: JSON.stringify(columns.map((name) => ({ type: "double", name, required: true }))),
    outputs: JSON.stringify([{ type: "double", required: true }]),
    view: {
      inputs: { kind: "columns", specs: columns.map((name) => ({ kind: "column", name, type: "double", required: true })) },
      outputs: { kind: "columns", specs: [{ kind: "column", name: null, type: "double", required: true }] },
      params: null,
    },
  };
}

function mlmodelYaml(sig: SignatureText, exampleType: "dataframe" | "ndarray"): string {
  const example =
    exampleType === "dataframe"
      ? ["saved_input_example_info:", "  artifact_path: input_example.json", "  pandas_orient: split", "  serving_input_path: serving_input_example.json", "  type: dataframe"]
      : ["saved_input_example_info:", "  artifact_path: input_example.json", "  format: tf-serving", "  serving_input_path: serving_input_example.json", "  type: ndarray"];
  const signature =
    sig.inputs === null
      ? []
      : ["signature:", `  inputs: '${sig.inputs}'`, `  outputs: '${sig.outputs}'`, "  params: null"];
  return [
    "artifact_path: model",
    "flavors:",
    "  onnx:",
    "    code: null",
    "    data: model.onnx",
    "    onnx_version: 1.16.0",
    "    providers:",
    "    - CPUExecutionProvider",
    "  python_function:",
    "    data: model.onnx",
    "    env:",
    "      conda: conda.yaml",
    "      virtualenv: python_env.yaml",
    "    loader_module: mlflow.onnx",
    "    python_version: 3.11.9",
    "mlflow_version: 2.16.2",
    "model_size_bytes: 512",
    "model_uuid: 5f0c6a7f0b0e4c1e9d8a2b3c4d5e6f70",
    ...example,
    ...signature,
    "utc_time_created: '2024-09-01 12:00:00.000000'",
    "",
  ].join("\n");
}
