import ort from "onnxruntime-node";
import { ModelLoadError, type MlmodelLike, type ModelRef, type ReadFile } from "./types.ts";

// Loading one version's ONNX file into an onnxruntime session. Options are tuned for many small
// concurrent requests on a small CPU box: one intra-op thread per run (parallelism comes from
// concurrent requests, not from splitting a 1-row MatMul) and full graph optimization.

export type Session = ort.InferenceSession;

export interface IoInfo {
  name: string;
  /** onnxruntime tensor type (float32, float64, int64, bool, string, …), or null for non-tensor values. */
  type: string | null;
  /** Dimensions; -1 where symbolic or unknown. Empty when the model does not declare a shape. */
  shape: number[];
}

const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  executionProviders: ["cpu"],
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: "sequential",
  graphOptimizationLevel: "all",
  enableCpuMemArena: true,
  enableMemPattern: true,
  logSeverityLevel: 3,
};

export function onnxFilePath(ref: ModelRef): string {
  const flavor = ref.mlmodel.flavors.onnx;
  if (!flavor) throw new ModelLoadError(noOnnxFlavorMessage(ref.mlmodel));
  const data = flavor.data ?? "model.onnx";
  if (typeof data !== "string" || !isSafeRelative(data)) {
    throw new ModelLoadError(`The onnx flavor's 'data' must be a relative path inside the model directory, not ${JSON.stringify(data)}`);
  }
  return `${ref.storePath.replace(/\/+$/, "")}/${data}`;
}

function noOnnxFlavorMessage(mlmodel: MlmodelLike): string {
  const found = Object.keys(mlmodel.flavors);
  return (
    `The model has no 'onnx' flavor (flavors found: ${found.length ? found.join(", ") : "none"}). ` +
    "Modelgate serves ONNX models: export the model to ONNX (for example with skl2onnx, torch.onnx.export or tf2onnx) " +
    "and log it with mlflow.onnx.log_model."
  );
}

export async function loadSession(ref: ModelRef, readFile: ReadFile): Promise<Session> {
  const file = onnxFilePath(ref);
  const relative = file.slice(ref.storePath.replace(/\/+$/, "").length + 1);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new ModelLoadError(`Could not read the ONNX model file '${relative}': ${reason(e)}`);
  }
  if (bytes.byteLength === 0) throw new ModelLoadError(`The ONNX model file '${relative}' is empty`);
  try {
    return await ort.InferenceSession.create(bytes, SESSION_OPTIONS);
  } catch (e) {
    throw new ModelLoadError(`The ONNX model file '${relative}' is not a valid ONNX model: ${reason(e)}`);
  }
}

export function ioInfo(meta: readonly ort.InferenceSession.ValueMetadata[]): IoInfo[] {
  return meta.map((m) =>
    m.isTensor
      ? { name: m.name, type: m.type, shape: m.shape.map((d) => (typeof d === "number" && d >= 0 ? d : -1)) }
      : { name: m.name, type: null, shape: [] },
  );
}

function isSafeRelative(p: string): boolean {
  if (p === "" || p.startsWith("/") || p.includes("\\") || p.includes("\0") || /^[A-Za-z]:/.test(p)) return false;
  return !p.split("/").includes("..");
}

function reason(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  // onnxruntime prefixes a long internal path; keep the first line, which carries the reason.
  return text.split("\n")[0]!.slice(0, 500);
}
