import type ort from "onnxruntime-node";
import { checkMissing, columnTensor, packColumns, type ColumnBinding } from "./columns.ts";
import { frameFromColumns, frameFromRecords, frameFromRows, type Frame } from "./frame.ts";
import { ioInfo, type IoInfo, type Session } from "./onnx-session.ts";
import { toPredictions, toRowPredictions } from "./outputs.ts";
import { parseScoringRequest, pyList, type ParsedInput } from "./parse-request.ts";
import { buildTensor, pyTuple, type TensorTarget } from "./tensors.ts";
import { ModelLoadError, ScoringInputError, type LoadedModel, type ModelRef, type ScoringRequest, type SchemaLike } from "./types.ts";

// One loaded version: how its signature maps onto the ONNX graph's inputs is decided once at load,
// so a request only checks its values and fills typed arrays.

export interface ServedModel extends LoadedModel {
  /** Frees the session once in-flight runs finish; later calls fail. */
  close(): Promise<void>;
}

type Feeds = Record<string, ort.Tensor>;

type Plan =
  /** Column signature, one graph input: a [rows, columns] tensor in signature order. */
  | { kind: "packed"; io: IoInfo; columns: ColumnBinding[] }
  /** Column signature, one graph input per column name. */
  | { kind: "per-column"; pairs: { io: IoInfo; column: ColumnBinding }[]; columns: ColumnBinding[] }
  /** Tensor signature: one spec per graph input. */
  | { kind: "tensors"; targets: TensorTarget[] }
  /** No signature: inputs are matched to the graph by name and type. */
  | { kind: "free" };

export function createLoadedModel(ref: ModelRef, session: Session): ServedModel {
  const inputs = ioInfo(session.inputMetadata);
  const outputs = ioInfo(session.outputMetadata).filter((o) => o.type !== null);
  if (outputs.length === 0) throw new ModelLoadError("The ONNX model has no tensor outputs to return as predictions");
  const unsupported = inputs.find((i) => i.type === null);
  if (unsupported) throw new ModelLoadError(`The ONNX model's input '${unsupported.name}' is not a tensor; only tensor inputs are supported`);
  const plan = planInputs(ref.mlmodel.signature?.inputs ?? null, inputs);
  const fetches = outputs.map((o) => o.name);

  let inflight = 0;
  let closed = false;
  let drained: (() => void) | null = null;

  const run = async (feeds: Feeds, rows: number): Promise<[string, ort.Tensor][]> => {
    if (closed) throw new Error(`Model ${ref.key} has been released`);
    if (rows === 0) return outputs.map((o) => [o.name, emptyTensor(o)]);
    inflight++;
    try {
      const result = await session.run(feeds, fetches);
      return fetches.map((name) => [name, result[name]!]);
    } catch (e) {
      throw runError(e);
    } finally {
      inflight--;
      if (inflight === 0 && drained) drained();
    }
  };

  return {
    key: ref.key,
    async score(req: ScoringRequest) {
      const { input } = parseScoringRequest(req);
      const { feeds, rows } = buildFeeds(plan, inputs, input);
      return { predictions: toPredictions(await run(feeds, rows)) };
    },
    async predictRecords(records: Record<string, unknown>[]) {
      const frame = frameFromRecords(records);
      const { feeds, rows } = buildFeeds(plan, inputs, { kind: "frame", frame });
      return toRowPredictions(await run(feeds, rows), rows);
    },
    async close() {
      if (closed) return;
      closed = true;
      if (inflight > 0) await new Promise<void>((resolve) => (drained = resolve));
      await session.release();
    },
  };
}

function planInputs(schema: SchemaLike | null, inputs: IoInfo[]): Plan {
  if (!schema || schema.specs.length === 0) return { kind: "free" };
  if (schema.kind === "tensors") return planTensors(schema, inputs);

  const columns: ColumnBinding[] = schema.specs.map((s, i) => ({
    name: s.name ?? String(i),
    type: s.kind === "column" ? s.type : s.dtype,
    required: s.kind === "column" ? s.required : true,
  }));
  const byName = new Map(columns.map((c) => [c.name, c]));
  if (inputs.length > 1 || (inputs.length === 1 && columns.length === 1 && byName.has(inputs[0]!.name))) {
    const pairs = inputs.map((io) => ({ io, column: byName.get(io.name) }));
    const unmatched = pairs.filter((p) => !p.column).map((p) => p.io.name);
    if (unmatched.length > 0) {
      throw new ModelLoadError(
        `The signature's columns ${pyList(columns.map((c) => c.name))} do not match the ONNX model's inputs ${pyList(inputs.map((i) => i.name))}: no column for ${pyList(unmatched)}`,
      );
    }
    return { kind: "per-column", pairs: pairs as { io: IoInfo; column: ColumnBinding }[], columns };
  }
  const io = inputs[0];
  if (!io) throw new ModelLoadError("The ONNX model has no inputs");
  const width = io.shape.length === 2 ? io.shape[1]! : -1;
  if (io.shape.length > 0 && (io.shape.length !== 2 || (width !== -1 && width !== columns.length))) {
    throw new ModelLoadError(
      `The signature has ${columns.length} input columns, but the ONNX model's input '${io.name}' has shape ${pyTuple(io.shape)}`,
    );
  }
  return { kind: "packed", io, columns };
}

function planTensors(schema: SchemaLike, inputs: IoInfo[]): Plan {
  const specs = schema.specs.map((s) => (s.kind === "tensor" ? s : { kind: "tensor" as const, name: s.name, dtype: s.type, shape: [-1] }));
  if (specs.length === 1 && inputs.length === 1) return { kind: "tensors", targets: [{ io: inputs[0]!, spec: specs[0]! }] };
  const byName = new Map(inputs.map((io) => [io.name, io]));
  const named = specs.every((s) => s.name !== null && byName.has(s.name));
  if (!named && specs.length !== inputs.length) {
    throw new ModelLoadError(
      `The signature's ${specs.length} input tensors do not match the ONNX model's inputs ${pyList(inputs.map((i) => i.name))}`,
    );
  }
  const targets = specs.map((spec, i) => ({ io: named ? byName.get(spec.name!)! : inputs[i]!, spec }));
  return { kind: "tensors", targets };
}

function buildFeeds(plan: Plan, inputs: IoInfo[], input: ParsedInput): { feeds: Feeds; rows: number } {
  switch (plan.kind) {
    case "packed":
    case "per-column": {
      const frame = asFrame(input, plan.columns);
      checkMissing(frame, plan.columns);
      if (plan.kind === "packed") return { feeds: { [plan.io.name]: packColumns(frame, plan.columns, plan.io) }, rows: frame.nrows };
      const feeds: Feeds = {};
      for (const { io, column } of plan.pairs) feeds[io.name] = columnTensor(frame, column, io);
      return { feeds, rows: frame.nrows };
    }
    case "tensors":
      return tensorFeeds(plan.targets, input);
    case "free":
      return freeFeeds(inputs, input);
  }
}

/** Tensor-format input for a column-based model: a dict of columns, rows of values, or records. */
function asFrame(input: ParsedInput, columns: ColumnBinding[]): Frame {
  if (input.kind === "frame") return input.frame;
  if (input.kind === "tensors") return frameFromColumns(input.values);
  const value = input.value;
  if (Array.isArray(value) && value.length > 0 && value.every((r) => typeof r === "object" && r !== null && !Array.isArray(r))) {
    return frameFromRecords(value as Record<string, unknown>[]);
  }
  if (Array.isArray(value) && value.every(Array.isArray)) {
    const rows = value as unknown[][];
    const width = rows[0]?.length ?? columns.length;
    if (rows.some((r) => r.length !== width) || width !== columns.length) {
      throw new ScoringInputError(`Shape of input ${pyTuple([rows.length, width])} does not match expected shape ${pyTuple([-1, columns.length])}`);
    }
    return frameFromRows(columns.map((c) => c.name), rows);
  }
  throw new ScoringInputError(
    `The model expects columns ${pyList(columns.map((c) => c.name))}: send a dataframe, a dictionary of columns, or a list of rows`,
  );
}

function tensorFeeds(targets: TensorTarget[], input: ParsedInput): { feeds: Feeds; rows: number } {
  const values = tensorValues(
    input,
    targets.map((t) => t.io.name),
  );
  const feeds: Feeds = {};
  let rows = -1;
  targets.forEach((target, i) => {
    const label = targets.length > 1 ? ` for input '${target.io.name}'` : "";
    const tensor = buildTensor(values[i], target, label);
    feeds[target.io.name] = tensor;
    if (rows === -1) rows = tensor.dims[0] ?? 1;
  });
  return { feeds, rows: Math.max(rows, 0) };
}

function freeFeeds(inputs: IoInfo[], input: ParsedInput): { feeds: Feeds; rows: number } {
  if (input.kind === "frame" && inputs.length === 1) {
    const frame = input.frame;
    const columns = frame.names().map((name) => ({ name, type: null, required: false }));
    return { feeds: { [inputs[0]!.name]: packColumns(frame, columns, inputs[0]!) }, rows: frame.nrows };
  }
  if (input.kind === "frame") {
    const frame = input.frame;
    const columns = inputs.map((io) => ({ name: io.name, type: null, required: true }));
    checkMissing(frame, columns);
    const feeds: Feeds = {};
    inputs.forEach((io, i) => (feeds[io.name] = columnTensor(frame, columns[i]!, io)));
    return { feeds, rows: frame.nrows };
  }
  return tensorFeeds(
    inputs.map((io) => ({ io, spec: null })),
    input,
  );
}

/** The value for each graph input, in order, from a tensor or dataframe request. */
function tensorValues(input: ParsedInput, names: string[]): unknown[] {
  if (input.kind === "tensor") {
    if (names.length === 1) return [input.value];
    throw new ScoringInputError(`The model has several inputs ${pyList(names)}: send them as a dictionary of named tensors`);
  }
  if (input.kind === "tensors") {
    const keys = Object.keys(input.values);
    if (names.length === 1 && keys.length === 1) return [input.values[keys[0]!]];
    const missing = names.filter((n) => !Object.hasOwn(input.values, n));
    if (missing.length > 0) throw new ScoringInputError(`Model is missing inputs ${pyList(missing)}. Received inputs ${pyList(keys)}.`);
    return names.map((n) => input.values[n]);
  }
  const frame = input.frame;
  if (names.length === 1) {
    const cols = frame.names().map((n) => frame.column(n));
    return [Array.from({ length: frame.nrows }, (_, i) => cols.map((c) => c[i]))];
  }
  const missing = names.filter((n) => !frame.has(n));
  if (missing.length > 0) throw new ScoringInputError(`Model is missing inputs ${pyList(missing)}.`);
  return names.map((n) => Array.from(frame.column(n)));
}

function emptyTensor(o: IoInfo): ort.Tensor {
  // Zero rows in, zero rows out, without asking onnxruntime to run on an empty batch.
  return { type: o.type, dims: [0, ...o.shape.slice(1).map((d) => Math.max(d, 1))], data: [] } as unknown as ort.Tensor;
}

function runError(e: unknown): Error {
  const message = e instanceof Error ? e.message : String(e);
  // Shape and type errors found by onnxruntime itself are the caller's input, not a server fault.
  if (/invalid dimensions|invalid rank|unexpected input data type|data type mismatch/i.test(message)) {
    return new ScoringInputError(`The model rejected the input: ${message.split("\n")[0]}`);
  }
  return e instanceof Error ? e : new Error(message);
}
