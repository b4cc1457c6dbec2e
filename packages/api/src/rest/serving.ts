import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import {
  createServingEndpoint,
  deleteServingEndpoint,
  getServingEndpoint,
  invalid,
  listServingEndpoints,
  unauthenticated,
  updateServingEndpoint,
  type Ctx,
} from "@modelgate/core";
import type { Db } from "@modelgate/db";
import { parseServedEntity, toDatabricksEndpoint } from "../serving/databricks.ts";
import { EndpointUnavailableError, type ServingService } from "../serving/service.ts";
import type { HttpMethod } from "./mlflow-route.ts";
import { optBool, reqString } from "./wire.ts";

// Serving on the data plane: MLflow's scoring protocol under /serving-endpoints/<name>/… and the
// Databricks-shaped management API under /api/2.0/serving-endpoints. Both authenticate like the
// rest of the data plane; core checks READ (invoke), EDIT (create, change) and MANAGE (delete).
//
// A disabled endpoint answers 503 TEMPORARILY_UNAVAILABLE (like one whose model failed to load),
// not 404: the caller may read it, it exists, it just does not score now. An endpoint the caller
// may not read answers 404, as every other resource does.

export const DEFAULT_SERVING_BODY_LIMIT = 16 * 1024 * 1024;

export interface ServingRoutesOptions {
  db: Db;
  serving: ServingService;
  /** Largest scoring request body in bytes (413 beyond). */
  bodyLimit?: number | undefined;
}

type Named = FastifyRequest<{ Params: { name: string } }>;

function unavailable(reply: FastifyReply, message: string) {
  return reply.code(503).type("application/json").send({ error_code: "TEMPORARILY_UNAVAILABLE", message });
}

/** The runtime's errors in MLflow's shape; anything else goes to the data plane's error handler. */
function sendScoringError(reply: FastifyReply, e: unknown) {
  const err = e as Error & { status?: number };
  if (err?.name === "ScoringInputError") return reply.code(err.status === 413 || err.status === 415 ? err.status : 400).type("application/json").send({ error_code: "BAD_REQUEST", message: err.message });
  if (e instanceof EndpointUnavailableError || err?.name === "ModelLoadError") return unavailable(reply, err.message);
  throw e;
}

function ctxOf(db: Db, req: FastifyRequest): Ctx {
  if (!req.actor) throw unauthenticated();
  return { db, actor: req.actor, requestId: req.id, ip: req.ip };
}

export async function registerServingRoutes(app: FastifyInstance, opts: ServingRoutesOptions) {
  const { db, serving } = opts;
  const bodyLimit = opts.bodyLimit ?? DEFAULT_SERVING_BODY_LIMIT;

  // ── scoring: the body reaches the runtime as bytes (JSON or CSV; it parses and checks them) ──
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", { parseAs: "buffer", bodyLimit }, (_req, body, done) => done(null, body));

    scope.post("/serving-endpoints/:name/invocations", { bodyLimit }, async (req: Named, reply) => {
      const { name } = req.params;
      await serving.authorize(ctxOf(db, req).actor, name);
      // only endpoints the caller may use get a series: unknown names would grow the label set
      const t0 = performance.now();
      try {
        const out = await serving.score(name, { body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), contentType: req.headers["content-type"] });
        reply.header("x-modelgate-served-version", String(out.version));
        return await reply.type("application/json").send(JSON.stringify({ predictions: out.predictions }));
      } catch (e) {
        return sendScoringError(reply, e);
      } finally {
        serving.metrics.observe(name, reply.statusCode, (performance.now() - t0) / 1000);
      }
    });

    const health = async (req: Named) => {
      await serving.authorize(ctxOf(db, req).actor, req.params.name);
      return serving.status(req.params.name);
    };
    scope.get("/serving-endpoints/:name/ping", async (req: Named, reply) => {
      const st = await health(req);
      return st.ready ? reply.type("text/plain").send("\n") : unavailable(reply, st.message);
    });
    scope.get("/serving-endpoints/:name/health", async (req: Named, reply) => {
      const st = await health(req);
      if (!st.ready) return unavailable(reply, st.message);
      return reply.type("application/json").send({ status: "READY", version: st.served_version });
    });
    scope.get("/serving-endpoints/:name/version", async (req: Named, reply) => {
      const st = await health(req);
      if (st.served_version === null) return unavailable(reply, st.message);
      return reply.type("application/json").send({ name: req.params.name, model_name: st.model_name, version: String(st.served_version), target: st.target });
    });
  });

  // ── management, shaped like Databricks' /api/2.0/serving-endpoints ──
  const route = (method: HttpMethod, url: string, handler: (ctx: Ctx, req: FastifyRequest) => Promise<unknown>) =>
    app.route({
      method,
      url: `/api/2.0/serving-endpoints${url}`,
      handler: async (req, reply) => reply.type("application/json").send(JSON.stringify((await handler(ctxOf(db, req), req)) ?? {})),
    });
  const body = (req: FastifyRequest) => {
    const b = req.body ?? {};
    if (typeof b !== "object" || Array.isArray(b)) throw invalid("The request body must be a JSON object");
    return b as Record<string, unknown>;
  };
  const nameOf = (req: FastifyRequest) => (req.params as { name: string }).name;

  route("POST", "", async (ctx, req) => {
    const input = body(req);
    const name = reqString(input, "name");
    const view = await createServingEndpoint(ctx, { name, ...parseServedEntity(input.config), enabled: optBool(input, "enabled") });
    return toDatabricksEndpoint(view, await serving.refresh(name));
  });
  route("GET", "", async (ctx) => ({ endpoints: (await listServingEndpoints(ctx)).map((v) => toDatabricksEndpoint(v, serving.peekStatus(v.name))) }));
  route("GET", "/:name", async (ctx, req) => {
    const view = await getServingEndpoint(ctx, nameOf(req));
    return toDatabricksEndpoint(view, await serving.status(view.name));
  });
  route("PUT", "/:name/config", async (ctx, req) => {
    const { model_name, ...target } = parseServedEntity(body(req));
    const current = await getServingEndpoint(ctx, nameOf(req));
    if (model_name !== current.model_name) throw invalid(`Endpoint '${current.name}' serves '${current.model_name}': create another endpoint to serve '${model_name}'`);
    const view = await updateServingEndpoint(ctx, { name: current.name, ...target });
    return toDatabricksEndpoint(view, await serving.refresh(view.name));
  });
  // Modelgate extension: PATCH {"enabled": false} turns an endpoint off without deleting it.
  route("PATCH", "/:name", async (ctx, req) => {
    const enabled = optBool(body(req), "enabled");
    if (enabled === undefined) throw invalid("Missing value for required parameter 'enabled'");
    const view = await updateServingEndpoint(ctx, { name: nameOf(req), enabled });
    return toDatabricksEndpoint(view, await serving.refresh(view.name));
  });
  route("DELETE", "/:name", async (ctx, req) => {
    await deleteServingEndpoint(ctx, { name: nameOf(req) });
    await serving.refresh(nameOf(req));
    return {};
  });
}
