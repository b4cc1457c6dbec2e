import { invalid } from "../errors.ts";

// MLflow's input rules (mlflow/utils/validation.py) with its messages, so clients and scripts that
// match on them keep working.

export const MAX_ENTITY_KEY_LENGTH = 250;
/** MLflow caps params at 6000 and tags at 8000 characters; we store longer values whole up to this. */
export const MAX_VALUE_LENGTH = 64 * 1024;
export const MAX_EXPERIMENT_NAME_LENGTH = 500;
export const MAX_METRICS_PER_BATCH = 1000;
export const MAX_PARAMS_TAGS_PER_BATCH = 100;
export const MAX_ENTITIES_PER_BATCH = 1000;

const RUN_ID = /^[a-zA-Z0-9][\w-]{0,255}$/;
const EXPERIMENT_ID = /^[a-zA-Z0-9][\w-]{0,63}$/;
// Python's \w is Unicode-aware: letters, digits and underscore in any script.
const KEY_CHARS = /^[/\p{L}\p{N}_.\- ]*$/u;

const BAD_CHARACTERS = "Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), and slashes (/).";

/** Python's repr() of a string, as MLflow's messages print names. */
export function pyRepr(s: string): string {
  if (s.includes("'") && !s.includes('"')) return `"${s}"`;
  return `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** posixpath.normpath. */
export function normpath(p: string): string {
  if (p === "") return ".";
  const initial = p.startsWith("/") ? (p.startsWith("//") && !p.startsWith("///") ? 2 : 1) : 0;
  const out: string[] = [];
  for (const c of p.split("/")) {
    if (c === "" || c === ".") continue;
    if (c !== ".." || (!initial && out.length === 0) || out[out.length - 1] === "..") out.push(c);
    else if (out.length) out.pop();
  }
  const s = "/".repeat(initial) + out.join("/");
  return s || ".";
}

function pathNotUnique(name: string): boolean {
  const norm = normpath(name);
  return norm !== name || norm === "." || norm.startsWith("..") || norm.startsWith("/");
}

export type KeyKind = "metric" | "parameter" | "tag";
const keyLabel: Record<KeyKind, string> = { metric: "Metric name", parameter: "Param key", tag: "Tag key" };

export function validateKey(kind: KeyKind, key: string) {
  if (!KEY_CHARS.test(key)) throw invalid(`Invalid ${kind} name: ${pyRepr(key)}. ${BAD_CHARACTERS}`);
  if (pathNotUnique(key)) {
    throw invalid(
      `Invalid ${kind} name: ${pyRepr(key)}. Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to ${pyRepr(normpath(key))}`,
    );
  }
  validateLength(keyLabel[kind], key, MAX_ENTITY_KEY_LENGTH);
}

export function validateLength(label: string, value: string, limit: number) {
  if (value.length > limit) {
    throw invalid(`${label} '${value.slice(0, 250)}' had length ${value.length}, which exceeded length limit of ${limit}`);
  }
}

export function validateValue(label: string, value: string) {
  validateLength(label, value, MAX_VALUE_LENGTH);
  // Postgres text cannot hold NUL: refuse it as bad input rather than fail in the database
  if (value.includes("\u0000")) throw invalid(`${label} must not contain NUL characters`);
}

export function validateRunId(runId: string) {
  if (!RUN_ID.test(runId)) throw invalid(`Invalid run ID: '${runId}'`);
}

export function validateExperimentIdPattern(experimentId: string) {
  if (!EXPERIMENT_ID.test(experimentId)) throw invalid(`Invalid experiment ID: '${experimentId}'`);
}

/** Our experiment ids are int4: anything else that passes MLflow's pattern simply does not exist. */
export function experimentPk(experimentId: string): number | null {
  if (!/^\d{1,10}$/.test(experimentId)) return null;
  const n = Number(experimentId);
  return n <= 2147483647 ? n : null;
}

export function validateTimestamp(what: string, t: number) {
  if (!Number.isSafeInteger(t) || t < 0) throw invalid(`Invalid value ${t} for ${what}: it must be a non-negative integer (epoch milliseconds)`);
}

/** Code point order of keys (the order MLflow's messages and our stored lists use). */
export const byKey = <T extends { key: string }>(a: T, b: T) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** Last write wins for a key repeated in one request, as when tags are set one by one (MLflow). */
export function dedupeTags<T extends { key: string }>(tags: readonly T[]): T[] {
  return [...new Map(tags.map((t) => [t.key, t])).values()];
}

export function validateTag(t: { key: string; value: string }) {
  validateKey("tag", t.key);
  validateValue("Tag value", t.value);
}
