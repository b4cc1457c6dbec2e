import Fastify, { type FastifyServerFactory } from "fastify";
import type { ArtifactStore } from "@modelgate/artifacts";
import { configureRegistry } from "@modelgate/core";
import type { Db } from "@modelgate/db";
import type { ServingService } from "../serving/service.ts";
import { registryArtifactReader } from "../store-readers.ts";
import { newRequestId, registerDataPlane } from "./data-plane.ts";
import type { Readiness } from "./readiness.ts";
import type { WorkloadVerifier } from "./workload.ts";

export interface DataPlaneAppOptions {
  db: Db;
  version: string;
  bodyLimit?: number;
  trustProxy?: boolean;
  logLevel?: string;
  /** The custom server passes one that sends non-data-plane requests to Next.js. */
  serverFactory?: FastifyServerFactory;
  artifacts?: ArtifactStore;
  authSecret?: string;
  serving?: ServingService;
  /** Largest scoring request body in bytes. */
  servingBodyLimit?: number;
  /** What GET /ready checks (default: the database answers). */
  readiness?: Readiness;
  /** SCIM_TOKEN: enables /scim/v2 provisioning. */
  scimToken?: string | undefined;
  /** Workload identity (OIDC_ISSUER + OIDC_WORKLOAD_AUDIENCE). */
  workload?: WorkloadVerifier | undefined;
  /** Largest OTLP trace export body (POST /v1/traces), in bytes. */
  traceBodyLimit?: number | undefined;
}

/** The data-plane Fastify app, as `npm start` serves it and as the tests inject into it. */
export async function createDataPlaneApp(opts: DataPlaneAppOptions) {
  // registration reads a version's MLmodel from the store the data plane writes artifacts to
  if (opts.artifacts) configureRegistry({ readArtifact: registryArtifactReader(opts.artifacts) });
  const app = Fastify({
    bodyLimit: opts.bodyLimit ?? 32 * 1024 * 1024,
    trustProxy: opts.trustProxy ?? false,
    logger: { level: opts.logLevel ?? "warn" },
    genReqId: (req) => newRequestId(req.headers["x-request-id"]),
    ...(opts.serverFactory ? { serverFactory: opts.serverFactory } : {}),
  });
  await registerDataPlane(app, {
    db: opts.db,
    version: opts.version,
    ...(opts.artifacts ? { artifacts: opts.artifacts } : {}),
    ...(opts.authSecret ? { authSecret: opts.authSecret } : {}),
    ...(opts.serving ? { serving: opts.serving } : {}),
    ...(opts.servingBodyLimit ? { servingBodyLimit: opts.servingBodyLimit } : {}),
    ...(opts.readiness ? { readiness: opts.readiness } : {}),
    ...(opts.scimToken ? { scimToken: opts.scimToken } : {}),
    ...(opts.workload ? { workload: opts.workload } : {}),
    ...(opts.traceBodyLimit ? { traceBodyLimit: opts.traceBodyLimit } : {}),
  });
  await app.ready();
  return app;
}
