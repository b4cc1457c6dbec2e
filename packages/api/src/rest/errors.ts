import type { FastifyReply } from "fastify";
import { isDomainError, type ErrorCode } from "@modelgate/core";

/** HTTP status per MLflow error code, as a real MLflow server answers (mlflow-compat.md). */
const statusOf: Record<ErrorCode, number> = {
  INVALID_PARAMETER_VALUE: 400,
  BAD_REQUEST: 400,
  MALFORMED_REQUEST: 400,
  RESOURCE_ALREADY_EXISTS: 400,
  RESOURCE_DOES_NOT_EXIST: 404,
  ENDPOINT_NOT_FOUND: 404,
  PERMISSION_DENIED: 403,
  UNAUTHENTICATED: 401,
  INVALID_STATE: 400,
  RESOURCE_CONFLICT: 409,
  REQUEST_LIMIT_EXCEEDED: 429,
  RESOURCE_EXHAUSTED: 429,
  NOT_IMPLEMENTED: 501,
  INTERNAL_ERROR: 500,
  TEMPORARILY_UNAVAILABLE: 503,
  UNSUPPORTED_MEDIA_TYPE: 415,
  PAYLOAD_TOO_LARGE: 413,
};

/** The HTTP status the data plane answers for `err` (serving metrics label requests by it too). */
export const httpStatusOf = (err: unknown): number => toMlflowError(err).status;

export function sendMlflowError(reply: FastifyReply, code: ErrorCode, message: string, status = statusOf[code]) {
  return reply.code(status).type("application/json").send({ error_code: code, message });
}

/** Fastify's own errors (body parsing, limits) in MLflow's shape; never a 5xx for a caller's mistake. */
const fastifyErrors: Record<string, { code: ErrorCode; status: number; message?: string }> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: "INVALID_PARAMETER_VALUE", status: 400, message: "Content-Type must be one of ['application/json']" },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: "BAD_REQUEST", status: 400 },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: "MALFORMED_REQUEST", status: 400, message: "Request body is empty; expected a JSON object" },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: "MALFORMED_REQUEST", status: 400, message: "Malformed JSON in request body" },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: "BAD_REQUEST", status: 413 },
  FST_ERR_CTP_INVALID_TYPE: { code: "INVALID_PARAMETER_VALUE", status: 400, message: "Content-Type must be one of ['application/json']" },
};

export function toMlflowError(err: unknown): { code: ErrorCode; status: number; message: string } {
  if (isDomainError(err)) return { code: err.code, status: statusOf[err.code], message: err.message };
  const e = err as { code?: string; statusCode?: number; message?: string };
  const known = e.code ? fastifyErrors[e.code] : undefined;
  if (known) return { code: known.code, status: known.status, message: known.message ?? e.message ?? known.code };
  if (err instanceof SyntaxError) return { code: "MALFORMED_REQUEST", status: 400, message: "Malformed request" };
  // the database pool or a transaction ran out of time under load, or PostgreSQL broke a deadlock
  // (P2034): a retry can succeed (the mlflow client retries 503), and nothing was written
  if (e.code === "P2024" || e.code === "P2028" || e.code === "P2034") return { code: "TEMPORARILY_UNAVAILABLE", status: 503, message: "The server is busy; retry the request" };
  // text PostgreSQL cannot store (NUL): core refuses it field by field; this catches any field
  // that slips through, so it is the caller's 400 and the statement (or transaction) wrote nothing
  if (isUnstorableText(err)) return { code: "INVALID_PARAMETER_VALUE", status: 400, message: "Text values must not contain NUL characters" };
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
    return { code: "BAD_REQUEST", status: e.statusCode, message: e.message ?? "Bad request" };
  }
  return { code: "INTERNAL_ERROR", status: 500, message: "Internal error" };
}

const UNSTORABLE = new Set(["22021", "22P05"]);
function isUnstorableText(err: unknown): boolean {
  const e = err as { code?: unknown; meta?: { code?: unknown }; cause?: { code?: unknown }; message?: unknown };
  if (UNSTORABLE.has(String(e.code)) || UNSTORABLE.has(String(e.meta?.code)) || UNSTORABLE.has(String(e.cause?.code))) return true;
  return typeof e.message === "string" && e.message.includes('invalid byte sequence for encoding "UTF8": 0x00');
}
