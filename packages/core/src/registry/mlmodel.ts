import { parseDocument } from "yaml";

// Reads MLflow's `MLmodel` file (YAML written by PyYAML's safe_dump) into a JSON-safe view that the
// registry stores in a Json column and the portal shows. Bad input is a result, never a throw: a
// broken MLmodel must not stop a version from registering.

export type ColumnSpec = { kind: "column"; name: string | null; type: string; required: boolean; detail?: unknown };
export type TensorSpec = { kind: "tensor"; name: string | null; dtype: string; shape: number[] };
export type ParamSpec = { name: string; type: string; default: unknown; shape: number[] | null };
export interface SchemaView {
  kind: "columns" | "tensors";
  specs: (ColumnSpec | TensorSpec)[];
}
export interface SignatureView {
  inputs: SchemaView | null;
  outputs: SchemaView | null;
  params: ParamSpec[] | null;
}
export interface MlmodelView {
  artifact_path: string | null;
  flavors: Record<string, Record<string, unknown>>;
  flavor_names: string[];
  signature: SignatureView | null;
  saved_input_example_info: Record<string, unknown> | null;
  model_uuid: string | null;
  run_id: string | null;
  mlflow_version: string | null;
  utc_time_created: string | null;
  model_size_bytes: number | null;
  metadata: Record<string, unknown> | null;
}
export type MlmodelParse = { ok: true; mlmodel: MlmodelView } | { ok: false; message: string };
export interface SignatureDiffRow {
  section: "inputs" | "outputs" | "params";
  name: string;
  left: string | null;
  right: string | null;
  changed: boolean;
}

export const MAX_MLMODEL_BYTES = 1024 * 1024;
export const MAX_INPUT_EXAMPLE_BYTES = 64 * 1024;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** Carries a user-facing reason out of nested validation; never escapes this module. */
class MlmodelError extends Error {}
function fail(message: string): never {
  throw new MlmodelError(message);
}

function utf8Length(text: string): number {
  return new TextEncoder().encode(text).byteLength;
}

/** Size check that avoids encoding strings that are obviously too large (bytes >= UTF-16 units). */
function exceeds(text: string, limit: number): number | null {
  if (text.length > limit) return text.length;
  const bytes = utf8Length(text);
  return bytes > limit ? bytes : null;
}

export function parseMlmodel(text: string): MlmodelParse {
  try {
    return { ok: true, mlmodel: readMlmodel(text) };
  } catch (e) {
    if (e instanceof MlmodelError) return { ok: false, message: e.message };
    return { ok: false, message: `MLmodel could not be read: ${e instanceof Error ? e.message : String(e)}` };
  }
}

function readMlmodel(text: string): MlmodelView {
  if (typeof text !== "string") fail("MLmodel is not text");
  const size = exceeds(text, MAX_MLMODEL_BYTES);
  if (size !== null) fail(`MLmodel is too large (over ${MAX_MLMODEL_BYTES} bytes)`);

  const top = sanitize(loadYaml(text), "MLmodel");
  if (top === null) fail("MLmodel is empty");
  if (!isObject(top)) fail(`MLmodel top level must be a mapping, not ${describe(top)}`);
  const doc = top as JsonObject;

  const flavors = readFlavors(doc.flavors);
  return {
    artifact_path: asText(doc.artifact_path),
    flavors,
    flavor_names: Object.keys(flavors),
    signature: readSignature(doc.signature),
    saved_input_example_info: isObject(doc.saved_input_example_info) ? doc.saved_input_example_info : null,
    model_uuid: asText(doc.model_uuid),
    run_id: asText(doc.run_id),
    mlflow_version: asText(doc.mlflow_version),
    utc_time_created: asText(doc.utc_time_created),
    model_size_bytes: asSize(doc.model_size_bytes),
    metadata: isObject(doc.metadata) ? doc.metadata : null,
  };
}

function loadYaml(text: string): unknown {
  // Core schema without the YAML 1.1 extras (!!binary, !!timestamp, !!set …): explicit tags stay
  // plain strings/collections. mapAsMap lets us stringify odd keys ourselves instead of yaml warning.
  const doc = parseDocument(text, { schema: "core", resolveKnownTags: false, uniqueKeys: true });
  const err = doc.errors[0];
  if (err) {
    const reason = err.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
    const line = err.linePos?.[0]?.line;
    fail(`MLmodel is not valid YAML: ${reason}${line ? ` (line ${line})` : ""}`);
  }
  try {
    return doc.toJS({ mapAsMap: true, maxAliasCount: 100 });
  } catch (e) {
    return fail(`MLmodel is not valid YAML: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Converts YAML output into plain JSON: Dates → ISO strings, non-finite numbers → null, Maps → objects. */
function sanitize(value: unknown, what: string, seen: Set<object> = new Set()): Json {
  if (value === null || value === undefined) return null;
  if (typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value === "bigint") return Number(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (typeof value !== "object") return String(value);
  if (seen.has(value)) fail(`${what} contains a circular alias`);
  seen.add(value);
  let out: Json;
  if (Array.isArray(value)) {
    out = value.map((v) => sanitize(v, what, seen));
  } else if (value instanceof Map) {
    const obj: JsonObject = {};
    for (const [k, v] of value) setOwn(obj, keyText(k, what, seen), sanitize(v, what, seen));
    out = obj;
  } else {
    const obj: JsonObject = {};
    for (const [k, v] of Object.entries(value)) setOwn(obj, k, sanitize(v, what, seen));
    out = obj;
  }
  seen.delete(value);
  return out;
}

function keyText(key: unknown, what: string, seen: Set<object>): string {
  if (typeof key === "string") return key;
  if (key === null || key === undefined) return "";
  if (typeof key === "object") return JSON.stringify(sanitize(key, what, seen));
  return String(key);
}

// Plain assignment of "__proto__" would change the prototype instead of storing the key.
function setOwn(obj: JsonObject, key: string, value: Json) {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function describe(v: Json): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  return `a ${typeof v}`;
}

function asText(v: Json | undefined): string | null {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return null;
}

function asSize(v: Json | undefined): number | null {
  const n = typeof v === "string" && /^\d+$/.test(v.trim()) ? Number(v) : v;
  return typeof n === "number" && Number.isSafeInteger(n) && n >= 0 ? n : null;
}

function readFlavors(raw: Json | undefined): Record<string, Record<string, unknown>> {
  if (raw === undefined || raw === null) fail("MLmodel has no 'flavors' mapping");
  if (!isObject(raw)) fail(`MLmodel 'flavors' must be a mapping of flavor name to config, not ${describe(raw)}`);
  const entries = Object.entries(raw);
  if (entries.length === 0) fail("MLmodel 'flavors' mapping is empty; a model needs at least one flavor");
  const flavors: Record<string, Record<string, unknown>> = {};
  for (const [name, config] of entries) {
    if (config === null) setOwn(flavors as JsonObject, name, {});
    else if (isObject(config)) setOwn(flavors as JsonObject, name, config);
    else fail(`MLmodel flavor '${name}' config must be a mapping, not ${describe(config)}`);
  }
  return flavors;
}

function readSignature(raw: Json | undefined): SignatureView | null {
  if (raw === undefined || raw === null) return null;
  if (!isObject(raw)) fail(`MLmodel 'signature' must be a mapping, not ${describe(raw)}`);
  const sig = raw as JsonObject;
  return {
    inputs: readSchema("inputs", sig.inputs),
    outputs: readSchema("outputs", sig.outputs),
    params: readParams(sig.params),
  };
}

/** Signature fields are JSON text embedded in the YAML (MLflow's Schema.to_json()). */
function signatureJson(field: string, raw: Json | undefined): Json[] | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== "string") fail(`MLmodel signature '${field}' must be a JSON string, not ${describe(raw)}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw as string);
  } catch (e) {
    fail(`MLmodel signature '${field}' is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (parsed === null) return null;
  const what = field === "params" ? "param specs" : "column or tensor specs";
  if (!Array.isArray(parsed)) fail(`MLmodel signature '${field}' must be a list of ${what}`);
  return parsed as Json[];
}

function readSchema(field: "inputs" | "outputs", raw: Json | undefined): SchemaView | null {
  const list = signatureJson(field, raw);
  if (list === null) return null;
  const specs = list.map((item, i) => readSpec(field, i, item));
  const tensors = specs.filter((s) => s.kind === "tensor").length;
  if (tensors > 0 && tensors < specs.length) fail(`MLmodel signature '${field}' mixes column and tensor specs`);
  return { kind: tensors > 0 ? "tensors" : "columns", specs };
}

function readSpec(field: string, i: number, item: Json): ColumnSpec | TensorSpec {
  const where = `MLmodel signature '${field}' spec ${i + 1}`;
  if (!isObject(item)) return fail(`MLmodel signature '${field}' must be a list of column or tensor specs (spec ${i + 1} is ${describe(item)})`);
  const name = specName(where, item.name);
  if (item.type === "tensor") {
    const ts = item["tensor-spec"];
    if (!isObject(ts)) return fail(`${where} is a tensor without a 'tensor-spec'`);
    if (typeof ts.dtype !== "string" || ts.dtype === "") fail(`${where} tensor-spec has no 'dtype'`);
    const shape = readShape(ts.shape);
    if (shape === null) return fail(`${where} tensor-spec has no valid 'shape' (a list of integers)`);
    return { kind: "tensor", name, dtype: ts.dtype as string, shape };
  }
  if (typeof item.type !== "string" || item.type === "") return fail(`${where} has no 'type'`);
  const required = item.required ?? true;
  if (typeof required !== "boolean") fail(`${where} 'required' must be true or false`);
  const spec: ColumnSpec = { kind: "column", name, type: item.type, required: required as boolean };
  const detail = item.type === "array" ? item.items : item.type === "object" ? item.properties : item.type === "map" ? item.values : undefined;
  if (detail !== undefined) spec.detail = detail;
  return spec;
}

function specName(where: string, raw: Json | undefined): string | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw === "string") return raw;
  if (typeof raw === "number") return String(raw);
  return fail(`${where} 'name' must be a string`);
}

function readShape(raw: Json | undefined): number[] | null {
  if (!Array.isArray(raw) || !raw.every((d) => typeof d === "number" && Number.isSafeInteger(d))) return null;
  return raw as number[];
}

function readParams(raw: Json | undefined): ParamSpec[] | null {
  const list = signatureJson("params", raw);
  if (list === null) return null;
  return list.map((item, i) => {
    const where = `MLmodel signature 'params' spec ${i + 1}`;
    if (!isObject(item)) return fail(`MLmodel signature 'params' must be a list of param specs (spec ${i + 1} is ${describe(item)})`);
    if (typeof item.name !== "string" || item.name === "") fail(`${where} has no 'name'`);
    if (typeof item.type !== "string" || item.type === "") fail(`${where} has no 'type'`);
    let shape: number[] | null = null;
    if (item.shape !== undefined && item.shape !== null) {
      shape = readShape(item.shape);
      if (shape === null) fail(`${where} 'shape' must be null or a list of integers`);
    }
    return { name: item.name as string, type: item.type as string, default: item.default ?? null, shape };
  });
}

/**
 * Relative path of the input example file inside the model directory, or null. Refuses absolute
 * paths, drive letters, backslashes and `..` segments so a crafted MLmodel cannot point elsewhere.
 */
export function inputExamplePath(m: MlmodelView): string | null {
  const raw = m.saved_input_example_info?.artifact_path;
  if (typeof raw !== "string") return null;
  if (raw === "" || raw.startsWith("/") || raw.includes("\\") || raw.includes("\0") || /^[A-Za-z]:/.test(raw)) return null;
  const segments = raw.split("/").filter((s) => s !== "" && s !== ".");
  if (segments.length === 0 || segments.includes("..")) return null;
  return segments.join("/");
}

/** Parses the input example file (JSON). Large examples are not kept: they would bloat the Json column. */
export function parseInputExample(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  if (typeof text !== "string") return { ok: false, message: "Input example is not text" };
  const size = exceeds(text, MAX_INPUT_EXAMPLE_BYTES);
  if (size !== null) {
    return { ok: false, message: `Input example is too large to keep (over ${MAX_INPUT_EXAMPLE_BYTES} bytes)` };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    return { ok: false, message: `Input example is not valid JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/** Row per column/tensor/param, matched by name (unnamed specs by position), left order first. */
export function diffSignatures(a: SignatureView | null, b: SignatureView | null): SignatureDiffRow[] {
  return [
    ...diffSection("inputs", labelSchema(a?.inputs ?? null), labelSchema(b?.inputs ?? null)),
    ...diffSection("outputs", labelSchema(a?.outputs ?? null), labelSchema(b?.outputs ?? null)),
    ...diffSection("params", labelParams(a?.params ?? null), labelParams(b?.params ?? null)),
  ];
}

type Labels = Map<string, string>;

function diffSection(section: SignatureDiffRow["section"], left: Labels, right: Labels): SignatureDiffRow[] {
  const names = [...left.keys(), ...[...right.keys()].filter((k) => !left.has(k))];
  return names.map((name) => {
    const l = left.get(name) ?? null;
    const r = right.get(name) ?? null;
    return { section, name, left: l, right: r, changed: l !== r };
  });
}

function uniqueKey(labels: Labels, key: string): string {
  if (!labels.has(key)) return key;
  let n = 2;
  while (labels.has(`${key} (${n})`)) n++;
  return `${key} (${n})`;
}

function labelSchema(schema: SchemaView | null): Labels {
  const labels: Labels = new Map();
  schema?.specs.forEach((spec, i) => labels.set(uniqueKey(labels, spec.name ?? `[${i}]`), specLabel(spec)));
  return labels;
}

function labelParams(params: ParamSpec[] | null): Labels {
  const labels: Labels = new Map();
  for (const p of params ?? []) {
    const shape = p.shape ? ` [${p.shape.join(", ")}]` : "";
    labels.set(uniqueKey(labels, p.name), `${p.type}${shape} (default ${JSON.stringify(p.default) ?? "null"})`);
  }
  return labels;
}

/** e.g. "double", "long (optional)", "array<string>", "tensor float32 [-1, 4]". */
export function specLabel(spec: ColumnSpec | TensorSpec): string {
  if (spec.kind === "tensor") return `tensor ${spec.dtype} [${spec.shape.join(", ")}]`;
  const type = typeLabel({ type: spec.type, detail: spec.detail });
  return spec.required ? type : `${type} (optional)`;
}

function typeLabel(t: { type: unknown; detail?: unknown }, depth = 0): string {
  const base = typeof t.type === "string" ? t.type : "?";
  if (depth > 8 || t.detail === undefined) return base;
  const inner = (v: unknown) => (isObject(v as Json) ? typeLabel(nested(v as JsonObject), depth + 1) : "?");
  if (base === "array" || base === "map") return `${base}<${inner(t.detail)}>`;
  if (base === "object" && isObject(t.detail as Json)) {
    const props = Object.entries(t.detail as JsonObject).map(([k, v]) => {
      const optional = isObject(v) && v.required === false ? "?" : "";
      return `${k}${optional}: ${inner(v)}`;
    });
    return `object{${props.join(", ")}}`;
  }
  return base;
}

function nested(v: JsonObject): { type: unknown; detail?: unknown } {
  const detail = v.type === "array" ? v.items : v.type === "object" ? v.properties : v.type === "map" ? v.values : undefined;
  return { type: v.type, detail };
}
