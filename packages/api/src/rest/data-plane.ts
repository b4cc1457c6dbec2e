import crypto from "node:crypto";
import type { FastifyInstance } from "fastify";
import type { ArtifactStore } from "@modelgate/artifacts";
import { isScoped, watchCredentials, type Actor } from "@modelgate/core";
import type { Db } from "@modelgate/db";
import { authenticateRequest } from "./authenticate.ts";
import { databaseCheck, type Readiness } from "./readiness.ts";
import type { WorkloadVerifier } from "./workload.ts";
import { sendMlflowError, toMlflowError } from "./errors.ts";
import { createMetrics } from "./metrics.ts";
import { registerApprovalRoutes } from "./approvals.ts";
import { registerArtifactRoutes } from "./artifacts.ts";
import { registerAuthAppRoutes } from "./auth-app.ts";
import { registerBatchRoutes } from "./batch.ts";
import { registerRegistryRoutes } from "./registry.ts";
import { registerSearchRoutes } from "./search.ts";
import { registerServingRoutes } from "./serving.ts";
import type { ServingService } from "../serving/service.ts";
import { registerTrackingRoutes } from "./tracking/index.ts";
import { registerScimRoutes } from "./scim/routes.ts";
import { registerWebhookRoutes } from "./webhooks.ts";
import { OTLP_TRACES_PATH, registerOtlpRoutes, sendOtlpError } from "./tracing/otlp.ts";
import { registerTraceRoutes } from "./tracing/traces.ts";

/**
 * Every route states what it needs; anything undeclared is treated as "user" (deny by default).
 * "scoring": a serving endpoint's scoring routes, the only ones a token scoped to an endpoint may
 * call, and the only ones where a valid credential is trusted for a few seconds (authenticate.ts).
 */
export type RouteAuth = "public" | "user" | "scoring";

declare module "fastify" {
  interface FastifyContextConfig {
    auth?: RouteAuth;
    /** false: the route keeps its own series (scoring), not the generic HTTP ones. */
    httpMetrics?: boolean;
    /** "otlp": errors in OTLP's shape (google.rpc.Status), not MLflow's. */
    errors?: "otlp";
  }
  interface FastifyRequest {
    actor: Actor | null;
    /** Why the credential sent was refused, when that helps the caller (a workload token's reason). */
    authProblem?: string;
  }
}

export interface DataPlaneOptions {
  db: Db;
  version: string;
  /** What GET /ready checks (server/main.ts: replicaReadiness); by default that the database answers. */
  readiness?: Readiness;
  /** Where artifact bytes go; without one the artifact endpoints are not served. */
  artifacts?: ArtifactStore;
  /** Auth.js's secret: with it, the portal's session cookie is accepted for reads under /ajax-api. */
  authSecret?: string;
  /** Model serving (scoring and endpoint management); without it those routes are not served. */
  serving?: ServingService;
  /** Largest scoring request body in bytes (SERVING_BODY_LIMIT; 16 MiB by default). */
  servingBodyLimit?: number;
  /** SCIM_TOKEN: the identity provider's bearer token for /scim/v2; unset, provisioning is off. */
  scimToken?: string;
  /** Workload identity: JWTs from the identity provider accepted as bearer credentials. */
  workload?: WorkloadVerifier;
  /** Largest OTLP trace export body in bytes (TRACE_BODY_LIMIT; 32 MiB by default). */
  traceBodyLimit?: number;
}

export const DEFAULT_TRACE_BODY_LIMIT = 32 * 1024 * 1024;

/** Path prefixes the custom server hands to the data plane instead of Next.js. */
export const DATA_PLANE_PREFIXES = [
  "/api/2.0/mlflow",
  "/ajax-api/2.0/mlflow",
  "/api/2.0/mlflow-artifacts",
  "/ajax-api/2.0/mlflow-artifacts",
  "/serving-endpoints",
  "/api/2.0/serving-endpoints",
  "/api/2.0/serving-jobs",
  "/scim/v2",
  "/api/3.0/mlflow",
  "/ajax-api/3.0/mlflow",
];
export const DATA_PLANE_EXACT = ["/health", "/ready", "/version", "/metrics", OTLP_TRACES_PATH];

/**
 * The MLflow protocol Modelgate speaks, as GET /version reports it: clients choose their code
 * paths by it (the 3.x client sends spans over OTLP to servers of 3.4 or later). The product's own
 * version is in that answer's x-modelgate-version header.
 */
export const MLFLOW_PROTOCOL_VERSION = "3.6.0";

export function isDataPlanePath(url: string): boolean {
  const path = url.split("?", 1)[0]!;
  return DATA_PLANE_EXACT.includes(path) || DATA_PLANE_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`));
}

export function newRequestId(incoming: string | string[] | undefined): string {
  return typeof incoming === "string" && /^[\w.:-]{8,128}$/.test(incoming) ? incoming : crypto.randomUUID();
}

/**
 * The MLflow data plane: REST (tracking, registry), artifacts, health,
 * version, metrics. Authentication happens once here, before routing to handlers.
 */
export async function registerDataPlane(app: FastifyInstance, opts: DataPlaneOptions) {
  const { db } = opts;
  const metrics = createMetrics();

  app.decorateRequest("actor", null);

  // credentials checked once stay in memory until a user or token changes (core's credential cache)
  const credentials = watchCredentials(db, (msg) => app.log.warn(msg));
  app.addHook("onClose", () => credentials.stop());

  app.addHook("onRequest", async (req, reply) => {
    reply.header("x-request-id", req.id);
    const auth = req.routeOptions.config?.auth ?? "user";
    if (auth === "public") return;
    req.actor = await authenticateRequest(db, req, { authSecret: opts.authSecret, scoring: auth === "scoring", workload: opts.workload });
    // a token scoped to a serving endpoint scores it and nothing else (core checks which endpoint)
    const otlp = req.routeOptions.config?.errors === "otlp";
    if (req.actor && isScoped(req.actor) && auth !== "scoring") {
      if (otlp) return sendOtlpError(req, reply, 403, "This token is scoped to one serving endpoint");
      return sendMlflowError(reply, "PERMISSION_DENIED", "This token is scoped to one serving endpoint: it may only call /serving-endpoints/<name>/invocations, ping, health and version");
    }
    if (!req.actor) {
      reply.header("www-authenticate", 'Bearer realm="modelgate"');
      if (otlp) return sendOtlpError(req, reply, 401, req.authProblem ?? "Authentication required: send an access token as 'Authorization: Bearer <token>' or basic credentials");
      return sendMlflowError(reply, "UNAUTHENTICATED", req.authProblem ?? "Authentication required: send an access token as 'Authorization: Bearer <token>' or basic credentials");
    }
  });

  app.addHook("onResponse", async (req, reply) => {
    // scoring has its own per-endpoint series (serving metrics); counting it twice costs the hot path
    if (req.routeOptions.config?.httpMetrics === false) return;
    const route = req.routeOptions.url ?? "unmatched";
    metrics.observe(req.method, route, reply.statusCode, reply.elapsedTime / 1000);
  });

  app.setErrorHandler((err, req, reply) => {
    const e = toMlflowError(err);
    if (e.status >= 500 && e.code !== "TEMPORARILY_UNAVAILABLE") req.log.error({ err }, "request failed");
    return sendMlflowError(reply, e.code, e.message, e.status);
  });

  // liveness, as MLflow's: the process answers (a database outage is /ready's business; restarting
  // a replica because PostgreSQL is away would not bring it back)
  app.get("/health", { config: { auth: "public" } }, async (_req, reply) => reply.type("text/plain").send("OK"));

  const readiness = opts.readiness ?? (async () => ({ database: await databaseCheck(db) }));
  app.get("/ready", { config: { auth: "public" } }, async (_req, reply) => {
    const checks = await readiness();
    const ready = Object.values(checks).every((c) => c.ok);
    return reply
      .code(ready ? 200 : 503)
      .header("cache-control", "no-store")
      .send({ ready, checks });
  });

  app.get("/version", { config: { auth: "public" } }, async (_req, reply) => reply.header("x-modelgate-version", opts.version).type("text/plain").send(MLFLOW_PROTOCOL_VERSION));

  app.get("/metrics", { config: { auth: "public" } }, async (_req, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );

  await registerTrackingRoutes(app, opts);
  await registerSearchRoutes(app, opts);
  await registerArtifactRoutes(app, opts);
  registerRegistryRoutes(app, opts);
  registerWebhookRoutes(app, opts);
  await registerApprovalRoutes(app, opts);
  registerAuthAppRoutes(app, opts);
  registerBatchRoutes(app, opts);
  registerTraceRoutes(app, db);
  registerOtlpRoutes(app, { db, bodyLimit: opts.traceBodyLimit ?? DEFAULT_TRACE_BODY_LIMIT });
  await registerScimRoutes(app, { db, token: opts.scimToken });
  if (opts.serving) {
    opts.serving.metrics.registerOn(metrics.registry);
    await registerServingRoutes(app, { db, serving: opts.serving, bodyLimit: opts.servingBodyLimit });
  }

  // Anything else under the MLflow prefixes answers (after authentication, in the onRequest
  // hook) the way MLflow answers an unknown endpoint.
  app.setNotFoundHandler((req, reply) =>
    sendMlflowError(reply, "ENDPOINT_NOT_FOUND", `No API endpoint ${req.method} ${req.url.split("?", 1)[0]}`),
  );

  return { metrics };
}
