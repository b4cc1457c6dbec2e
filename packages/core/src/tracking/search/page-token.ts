import { invalid } from "../../errors.ts";

// MLflow's page tokens: base64 of the JSON `{"offset": N}` as Python's json.dumps writes it. Clients
// treat them as opaque, but they are shared with MLflow-built tooling, so the format is kept.

export const MAX_RESULTS_THRESHOLD = 50_000;

export function encodePageToken(offset: number): string {
  return Buffer.from(`{"offset": ${offset}}`, "utf8").toString("base64");
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The text inside a base64 page token (ours are all base64 JSON); not base64 is a 400. */
export function decodeTokenText(token: string): string {
  const compact = token.replace(/\s+/g, "");
  if (!BASE64.test(compact)) throw invalid("Invalid page token, could not base64-decode");
  return Buffer.from(compact, "base64").toString("utf8");
}

/** The offset a token points at; no token means 0. Anything malformed is a 400. */
export function decodePageToken(token: string | undefined | null): number {
  if (!token) return 0;
  const decoded = decodeTokenText(token);
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoded);
  } catch {
    throw invalid(`Invalid page token, decoded value=${decoded}`);
  }
  const offset = typeof parsed === "object" && parsed !== null ? (parsed as { offset?: unknown }).offset : undefined;
  if (!offset) throw invalid(`Invalid page token, parsed value=${decoded}`);
  const n = typeof offset === "number" ? offset : typeof offset === "string" && /^\s*\d+\s*$/.test(offset) ? Number(offset) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) throw invalid(`Invalid page token, not stringable ${String(offset)}`);
  return n;
}
