// The contract between the serving runtime (this package) and its callers (the data plane's
// scoring routes, the batch-scoring worker, the benchmark). The runtime knows nothing of the
// database or HTTP: it loads ONNX models from bytes it is given and scores parsed requests.

/** The parts of a parsed MLmodel the runtime needs (core's MlmodelView is structurally compatible). */
export interface MlmodelLike {
  flavors: Record<string, Record<string, unknown>>;
  signature: SignatureLike | null;
}

export interface SignatureLike {
  inputs: SchemaLike | null;
  outputs: SchemaLike | null;
  params: { name: string; type: string; default: unknown; shape: number[] | null }[] | null;
}

export interface SchemaLike {
  kind: "columns" | "tensors";
  specs: ({ kind: "column"; name: string | null; type: string; required: boolean } | { kind: "tensor"; name: string | null; dtype: string; shape: number[] })[];
}

/** One version to load: the cache key is one session per (model, version). */
export interface ModelRef {
  key: string;
  /** Store path of the version's directory (its MLmodel is there; flavors.onnx.data names the .onnx file). */
  storePath: string;
  mlmodel: MlmodelLike;
}

/** Reads a whole file of the artifact store (model files are loaded into memory once per version). */
export type ReadFile = (storePath: string) => Promise<Buffer>;

export interface ScoringRequest {
  body: Buffer;
  /** The request's Content-Type (application/json or text/csv, with parameters). */
  contentType: string | undefined;
}

export interface ScoringResult {
  /** MLflow's response body: `{"predictions": ...}`. */
  predictions: unknown;
}

/**
 * Bad input from the caller: the route answers 400 with this message (413 for an oversized payload,
 * 415 for a content type other than JSON or CSV, as MLflow's scoring server does).
 */
export class ScoringInputError extends Error {
  override readonly name = "ScoringInputError";
  constructor(
    message: string,
    readonly status: 400 | 413 | 415 = 400,
    /** For tabular input, the index of a row that broke the signature (the first bad row of the first bad column). */
    readonly row: number | null = null,
  ) {
    super(message);
  }
}

/** The model could not be loaded (missing file, invalid ONNX, no onnx flavor): the endpoint is unhealthy. */
export class ModelLoadError extends Error {
  override readonly name = "ModelLoadError";
}

export interface LoadedModel {
  key: string;
  /** Parses an MLflow scoring request, enforces the signature, runs the model. */
  score(req: ScoringRequest): Promise<ScoringResult>;
  /** Scores rows already parsed into records (batch scoring); the signature is enforced per row. */
  predictRecords(rows: Record<string, unknown>[]): Promise<unknown[]>;
}

export interface ModelRuntime {
  /** Loads the version (once; concurrent callers share the load) and counts a user of it. */
  acquire(ref: ModelRef): Promise<LoadedModel>;
  /** Drops a user; the session is released when none is left. */
  release(key: string): void;
  /** Keys of the sessions currently loaded. */
  loaded(): string[];
}
