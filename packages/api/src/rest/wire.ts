import { invalid } from "@modelgate/core";
import type { WireInput } from "./mlflow-route.ts";

// Reading MLflow request fields with MLflow's messages: a missing or empty required field is
// "Missing value for required parameter 'x'"; a value of the wrong JSON type is "Invalid value 123
// for parameter 'name' supplied. Hint: Value was of type 'int'". GET query values arrive as strings,
// so numeric and boolean readers accept their string forms.

function pyType(v: unknown): string {
  if (v === null) return "NoneType";
  if (Array.isArray(v)) return "list";
  if (typeof v === "number") return Number.isInteger(v) ? "int" : "float";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "object") return "dict";
  return "str";
}

export function wrongType(name: string, v: unknown): never {
  throw invalid(`Invalid value ${JSON.stringify(v)} for parameter '${name}' supplied. Hint: Value was of type '${pyType(v)}'. See the API docs for more information about request parameters.`);
}

export function missing(name: string): never {
  throw invalid(`Missing value for required parameter '${name}'. See the API docs for more information about request parameters.`);
}

/** Repeated query keys become arrays; a scalar field takes the first. */
function scalar(v: unknown): unknown {
  return Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "string") ? v[0] : v;
}

export function optString(input: WireInput, name: string): string | undefined {
  const v = scalar(input[name]);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") wrongType(name, v);
  return v;
}

export function reqString(input: WireInput, name: string): string {
  const v = optString(input, name);
  if (v === undefined || v === "") missing(name);
  return v;
}

export function optInt(input: WireInput, name: string): number | undefined {
  const v = scalar(input[name]);
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v === "number" && Number.isInteger(v)) return v;
  if (typeof v === "string" && /^-?\d+$/.test(v.trim())) return Number(v.trim());
  return wrongType(name, v);
}

export function reqInt(input: WireInput, name: string): number {
  const v = optInt(input, name);
  if (v === undefined) missing(name);
  return v;
}

/** A double: a JSON number, or the strings MLflow writes for non-finite values (and numeric strings). */
export function toDouble(name: string, v: unknown): number {
  if (typeof v === "number") return v;
  if (typeof v === "string") {
    const s = v.trim();
    if (s === "NaN") return NaN;
    if (s === "Infinity" || s === "inf") return Infinity;
    if (s === "-Infinity" || s === "-inf") return -Infinity;
    if (s !== "" && Number.isFinite(Number(s))) return Number(s);
  }
  return wrongType(name, v);
}

export function optBool(input: WireInput, name: string): boolean | undefined {
  const v = scalar(input[name]);
  if (v === undefined || v === null) return undefined;
  if (typeof v === "boolean") return v;
  if (v === "true" || v === "True") return true;
  if (v === "false" || v === "False") return false;
  return wrongType(name, v);
}

export function reqBool(input: WireInput, name: string): boolean {
  const v = optBool(input, name);
  if (v === undefined) missing(name);
  return v;
}

/** The body's fields with the query's as defaults: some DELETEs take query parameters (Databricks' SDK sends them so). */
export const withQuery = (input: WireInput, query: unknown): WireInput => ({ ...((query ?? {}) as WireInput), ...input });

/** A repeated field: a JSON array, or repeated query keys; a single query value becomes a list. */
export function optList(input: WireInput, name: string): unknown[] | undefined {
  const v = input[name];
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) return v;
  if (typeof v === "string") return [v];
  return wrongType(name, v);
}

export function stringList(input: WireInput, name: string): string[] | undefined {
  const list = optList(input, name);
  if (!list) return undefined;
  for (const x of list) if (typeof x !== "string") wrongType(name, list);
  return list as string[];
}

/** A model version: a string in the protos, though some clients send a JSON number. */
export function reqVersion(input: WireInput, name = "version"): string {
  const v = scalar(input[name]);
  if (typeof v === "number" && Number.isInteger(v)) return String(v);
  if (v === undefined || v === null || v === "") missing(name);
  if (typeof v !== "string") wrongType(name, v);
  return v;
}
