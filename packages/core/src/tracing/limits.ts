import { invalid } from "../errors.ts";

// Sizes MLflow's stores hold for a trace's tags and metadata (sqlalchemy models: key 250, value 8000).

export const MAX_TAG_KEY = 250;
export const MAX_TAG_VALUE = 8000;

/** PostgreSQL text cannot hold NUL; MLflow's tracking fields refuse it the same way. */
export function noNul(what: string, value: string | undefined | null) {
  if (value && value.includes("\u0000")) throw invalid(`${what} must not contain NUL characters`);
}

/** Every string inside a JSON value (an assessment's value, metadata) free of NUL. */
export function noNulInJson(what: string, value: unknown) {
  if (value === undefined || value === null) return;
  if (JSON.stringify(value).includes("\\u0000")) throw invalid(`${what} must not contain NUL characters`);
}

export function checkKey(what: string, key: string) {
  if (!key) throw invalid(`A trace ${what} key must be a non-empty string`);
  noNul(`Trace ${what} key`, key);
  if (key.length > MAX_TAG_KEY) throw invalid(`Trace ${what} key '${key.slice(0, 40)}…' has length ${key.length}, which exceeds the limit of ${MAX_TAG_KEY}`);
}

export function checkValue(what: string, key: string, value: string) {
  noNul(`Trace ${what} '${key.replaceAll("\u0000", "")}'`, value);
  if (value.length > MAX_TAG_VALUE) throw invalid(`Trace ${what} '${key}' has a value of length ${value.length}, which exceeds the limit of ${MAX_TAG_VALUE}`);
}

/** A map of tags or metadata, each entry checked; a copy the caller may extend. */
export function checkEntries(what: string, entries: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(entries)) {
    checkKey(what, k);
    if (typeof v !== "string") throw invalid(`Trace ${what} '${k}' must have a string value`);
    checkValue(what, k, v);
    out[k] = v;
  }
  return out;
}
