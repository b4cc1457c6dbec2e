import type { FastifyInstance, FastifyRequest } from "fastify";
import {
  createServingEndpoint,
  deleteServingEndpoint,
  getServingEndpoint,
  listServingEndpoints,
  unavailable,
  updateServingEndpoint,
  type Ctx,
} from "@modelgate/core";
import type { Db } from "@modelgate/db";
import { parseServedEntity, toDatabricksEndpoint } from "../serving/databricks.ts";
import type { ServingService } from "../serving/service.ts";
import { bodyInput, ctxOf, type HttpMethod } from "./mlflow-route.ts";
import { optBool, reqBool, reqString } from "./wire.ts";

// Serving on the data plane: MLflow's scoring protocol under /serving-endpoints/<name>/… and the
// Databricks-shaped management API under /api/2.0/serving-endpoints. Both authenticate like the
// rest of the data plane; core checks READ (invoke), EDIT (create, change) and MANAGE (delete).
//
// A disabled endpoint answers 503 TEMPORARILY_UNAVAILABLE (like one whose model failed to load),
// not 404: the caller may read it, it exists, it just does not score now. An endpoint the caller
// may not read answers 404, as every other resource does.

const DEFAULT_SERVING_BODY_LIMIT = 16 * 1024 * 1024;

export interface ServingRoutesOptions {
  db: Db;
  serving: ServingService;
  /** Largest scoring request body in bytes (413 beyond). */
  bodyLimit?: number | undefined;
}

type Named = FastifyRequest<{ Params: { name: string } }>;

export async function registerServingRoutes(app: FastifyInstance, opts: ServingRoutesOptions) {
  const { db, serving } = opts;
  const bodyLimit = opts.bodyLimit ?? DEFAULT_SERVING_BODY_LIMIT;

  // ── scoring: the body reaches the runtime as bytes (JSON or CSV; it parses and checks them) ──
  // "scoring" routes accept endpoint-scoped tokens and briefly cached credentials (data-plane.ts)
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", { parseAs: "buffer", bodyLimit }, (_req, body, done) => done(null, body));
    const config = { auth: "scoring" } as const;

    scope.post("/serving-endpoints/:name/invocations", { bodyLimit, config: { ...config, httpMetrics: false } }, async (req: Named, reply) => {
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const out = await serving.invoke(ctxOf(req, db).actor, req.params.name, { body, contentType: req.headers["content-type"] });
      reply.header("x-modelgate-served-version", String(out.version));
      return reply.type("application/json").send(JSON.stringify({ predictions: out.predictions }));
    });

    const health = async (req: Named) => {
      await serving.authorize(ctxOf(req, db).actor, req.params.name);
      return serving.status(req.params.name);
    };
    scope.get("/serving-endpoints/:name/ping", { config }, async (req: Named, reply) => {
      const st = await health(req);
      if (!st.ready) throw unavailable(st.message);
      return reply.type("text/plain").send("\n");
    });
    scope.get("/serving-endpoints/:name/health", { config }, async (req: Named, reply) => {
      const st = await health(req);
      if (!st.ready) throw unavailable(st.message);
      return reply.type("application/json").send({ status: "READY", version: st.served_version });
    });
    scope.get("/serving-endpoints/:name/version", { config }, async (req: Named, reply) => {
      const st = await health(req);
      if (st.served_version === null) throw unavailable(st.message);
      return reply.type("application/json").send({ name: req.params.name, model_name: st.model_name, version: String(st.served_version), target: st.target });
    });
  });

  // ── management, shaped like Databricks' /api/2.0/serving-endpoints ──
  const route = (method: HttpMethod, url: string, handler: (ctx: Ctx, req: FastifyRequest) => Promise<unknown>) =>
    app.route({
      method,
      url: `/api/2.0/serving-endpoints${url}`,
      handler: async (req, reply) => reply.type("application/json").send(JSON.stringify((await handler(ctxOf(req, db), req)) ?? {})),
    });
  const body = (req: FastifyRequest) => bodyInput(req.body);
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
    const view = await updateServingEndpoint(ctx, { name: nameOf(req), ...parseServedEntity(body(req)) });
    return toDatabricksEndpoint(view, await serving.refresh(view.name));
  });
  // Modelgate extension: PATCH {"enabled": false} turns an endpoint off without deleting it.
  route("PATCH", "/:name", async (ctx, req) => {
    const view = await updateServingEndpoint(ctx, { name: nameOf(req), enabled: reqBool(body(req), "enabled") });
    return toDatabricksEndpoint(view, await serving.refresh(view.name));
  });
  route("DELETE", "/:name", async (ctx, req) => {
    await deleteServingEndpoint(ctx, { name: nameOf(req) });
    await serving.refresh(nameOf(req));
    return {};
  });
}
