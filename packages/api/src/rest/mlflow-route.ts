import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { type Ctx } from "@modelgate/core";
import { invalid, unauthenticated } from "@modelgate/core";
import type { Db } from "@modelgate/db";

export type HttpMethod = "GET" | "POST" | "PATCH" | "DELETE" | "PUT";

/** MLflow serves every RPC under both prefixes; the UI uses /ajax-api. */
export const MLFLOW_PREFIXES = ["/api/2.0/mlflow", "/ajax-api/2.0/mlflow"] as const;

/** A request's input as one object: the JSON body for POST/PATCH/DELETE, the query for GET. */
export type WireInput = Record<string, unknown>;

export interface MlflowHandlerArgs {
  ctx: Ctx;
  input: WireInput;
  req: FastifyRequest;
  reply: FastifyReply;
}

/** The core context of an authenticated request (the data plane's hook set `req.actor`). */
export function ctxOf(req: FastifyRequest, db: Db): Ctx {
  if (!req.actor) throw unauthenticated();
  return { db, actor: req.actor, requestId: req.id, ip: req.ip };
}

/**
 * Registers an MLflow RPC at `<prefix><path>` for both prefixes. GET reads the query string
 * (repeated keys and `a[]=` become arrays); other methods read the JSON body (DELETE included).
 * The handler's return value is sent as JSON through `toWireJson` (NaN and ±Infinity as MLflow
 * writes them); returning undefined sends `{}`.
 */
export function mlflowRoute(
  app: FastifyInstance,
  db: Db,
  methods: HttpMethod | HttpMethod[],
  path: string,
  handler: (args: MlflowHandlerArgs) => Promise<unknown> | unknown,
) {
  for (const prefix of MLFLOW_PREFIXES) {
    app.route({
      method: methods,
      url: `${prefix}${path}`,
      handler: async (req, reply) => {
        const ctx = ctxOf(req, db);
        const input = req.method === "GET" ? queryInput(req.query) : bodyInput(req.body);
        const out = await handler({ ctx, input, req, reply });
        if (reply.sent) return reply;
        return reply.type("application/json").send(toWireJson(out ?? {}));
      },
    });
  }
}

function bodyInput(body: unknown): WireInput {
  if (body === undefined || body === null || body === "") return {};
  if (typeof body !== "object" || Array.isArray(body)) throw invalid("The request body must be a JSON object");
  return body as WireInput;
}

/** Fastify's querystring parser already turns repeated keys into arrays; fold `a[]` into `a`. */
function queryInput(query: unknown): WireInput {
  const out: WireInput = {};
  for (const [k, v] of Object.entries((query ?? {}) as Record<string, unknown>)) {
    const key = k.endsWith("[]") ? k.slice(0, -2) : k;
    const prev = out[key];
    if (prev === undefined) out[key] = k.endsWith("[]") && !Array.isArray(v) ? [v] : v;
    else out[key] = ([] as unknown[]).concat(prev, v);
  }
  return out;
}

/**
 * JSON as MLflow (proto3 JSON) writes it: NaN → "NaN", Infinity → "Infinity", -Infinity →
 * "-Infinity", bigint as a number; fields whose value is undefined and empty repeated fields
 * (empty arrays) are left out, so handlers can return core's results as they are.
 *
 * Fast path: plain JSON.stringify, which writes non-finite numbers as null and throws on bigint.
 * Our views never hold null, so output without "null" or "[]" (and no throw) needs no replacer;
 * anything else (including a user's string that merely contains them) takes the exact path.
 */
export function toWireJson(value: unknown): string {
  try {
    const plain = JSON.stringify(value);
    if (!plain.includes("null") && !plain.includes("[]")) return plain;
  } catch {
    // a bigint: take the replacer path
  }
  return JSON.stringify(value, function (this: unknown, _k, v: unknown) {
    if (typeof v === "number" && !Number.isFinite(v)) return Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
    if (typeof v === "bigint") return Number(v);
    if (Array.isArray(v) && v.length === 0 && !Array.isArray(this)) return undefined;
    return v;
  });
}
