import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { toWireJson, WireJson, type Ctx } from "@modelgate/core";
import { invalid, unauthenticated } from "@modelgate/core";
import type { Db } from "@modelgate/db";

export type HttpMethod = "GET" | "POST" | "PATCH" | "DELETE" | "PUT";

/** MLflow serves every RPC under both prefixes; the UI uses /ajax-api. */
export const MLFLOW_PREFIXES = ["/api/2.0/mlflow", "/ajax-api/2.0/mlflow"] as const;
/** MLflow 3's tracing RPCs live under the 3.0 prefixes. */
export const MLFLOW_V3_PREFIXES = ["/api/3.0/mlflow", "/ajax-api/3.0/mlflow"] as const;

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
  prefixes: readonly string[] = MLFLOW_PREFIXES,
) {
  for (const prefix of prefixes) wireRoute(app, db, methods, `${prefix}${path}`, handler);
}

/** One route read and answered as mlflowRoute does, at any URL (the batch-jobs API uses it too). */
export function wireRoute(app: FastifyInstance, db: Db, methods: HttpMethod | HttpMethod[], url: string, handler: (args: MlflowHandlerArgs) => Promise<unknown> | unknown) {
  app.route({
    method: methods,
    url,
    handler: async (req, reply) => {
      const ctx = ctxOf(req, db);
      const input = req.method === "GET" ? queryInput(req.query) : bodyInput(req.body);
      const out = await handler({ ctx, input, req, reply });
      if (reply.sent) return reply;
      return reply.type("application/json").send(out instanceof WireJson ? out.bytes : toWireJson(out ?? {}));
    },
  });
}

/** A path parameter of the route (`/logged-models/:model_id`), decoded once by the router. */
export function pathParam(req: FastifyRequest, name: string): string {
  const v = (req.params as Record<string, string | undefined>)[name];
  if (!v) throw invalid(`Missing value for required parameter '${name}'. See the API docs for more information about request parameters.`);
  return v;
}

/** A JSON body as a request's input: an object, or nothing. */
export function bodyInput(body: unknown): WireInput {
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

