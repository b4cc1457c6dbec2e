// The one process: Fastify serves the MLflow data plane, Next.js serves everything else
// (portal pages, /api/trpc, /api/auth). See shared/design/architecture.md, "One process, two planes".
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import next from "next";
import { createDataPlaneApp, createWorkloadVerifier, isDataPlanePath, newRequestId, replicaReadiness } from "@modelgate/api/rest";
import { createServingService, installServingService, startBatchScoring, startJobQueue, startTraceRetention, startWebhookDelivery, storeFileReader } from "@modelgate/api";
import { createArtifactStore, partUrlKeyFrom } from "@modelgate/artifacts";
import { ensureAuthSecret } from "@modelgate/auth";
import { discoverIssuer } from "@modelgate/auth/oidc-discovery";
import { checkSharedSecret, configurePasswordSignIn, configureRegistry, configureTracking, configureWebhooks, ensureFirstAdmin, webhookSecretKey } from "@modelgate/core";
import { createDb } from "@modelgate/db";
import { startEmbeddedPostgres } from "@modelgate/db/embedded";
import { applyMigrations, waitForDatabase } from "@modelgate/db/migrate";
import { createDrain } from "./drain.ts";
import { createModelRuntime } from "@modelgate/serving";
import { oidcSettings, readEnv } from "../src/env.ts";

const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const repoRoot = path.resolve(appDir, "../..");
const version = (JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { version: string }).version;

const PORTAL_BODY_LIMIT = 1024 * 1024;
const MUTATING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export interface StartedServer {
  url: string;
  /** Stops at once: closes both planes, the pools and an embedded database. */
  close: () => Promise<void>;
  /** SIGTERM's path: not ready, keep serving for the delay, stop accepting, finish what is in flight (bounded), then close. */
  drainAndClose: () => Promise<void>;
  /** The longest drainAndClose may take before it cuts connections. */
  drainBudgetMs: number;
}

export async function startServer({ dev = false }: { dev?: boolean } = {}): Promise<StartedServer> {
  const env = readEnv();
  configureTracking({ defaultExperimentPermission: env.DEFAULT_EXPERIMENT_PERMISSION });
  configurePasswordSignIn({ allowed: env.PASSWORD_SIGN_IN, breakGlassUsername: env.ADMIN_USERNAME });
  configureRegistry({
    defaultModelPermission: env.DEFAULT_MODEL_PERMISSION,
    s3Destination: env.ARTIFACTS_DESTINATION?.startsWith("s3://") ? env.ARTIFACTS_DESTINATION : null,
  });
  const t0 = performance.now();
  const dataDir = path.resolve(repoRoot, env.DATA_DIR);
  process.env.DATA_DIR = dataDir;

  // 1. database: the configured server, or an embedded PostgreSQL under DATA_DIR
  let databaseUrl = env.DATABASE_URL;
  let stopDatabase = async () => {};
  if (!databaseUrl) {
    const pg = await startEmbeddedPostgres({ dir: path.join(dataDir, "postgres"), database: "modelgate" });
    databaseUrl = pg.url;
    stopDatabase = pg.stop;
    log(`embedded PostgreSQL running on 127.0.0.1:${pg.port} (data in ${path.join(dataDir, "postgres")})`);
  }
  process.env.DATABASE_URL = databaseUrl;
  await waitForDatabase(databaseUrl, { timeoutMs: env.DATABASE_WAIT_SECONDS * 1000, log });
  // replicas started together: one applies, the others wait for it (MIGRATION_LOCK), never fail
  if (env.MIGRATE_ON_START) {
    const applied = await applyMigrations(databaseUrl, { log });
    if (applied.length) log(`applied migrations: ${applied.join(", ")}`);
  } else {
    log("MIGRATE_ON_START=false: not applying migrations (/ready says which are pending until another step applies them)");
  }

  // 2. secrets and the first admin
  const secret = ensureAuthSecret({ fromEnv: env.AUTH_SECRET, dataDir });
  process.env.AUTH_SECRET = secret.secret;
  if (secret.source === "generated") log(`generated AUTH_SECRET, kept in ${path.join(dataDir, "auth-secret")} (mode 0600)`);
  configureWebhooks({ secretKey: webhookSecretKey({ webhookSecretKey: env.WEBHOOK_SECRET_KEY, authSecret: secret.secret }) });
  const db = createDb({ url: databaseUrl, max: env.DATABASE_POOL_MAX });
  // every replica must sign with one secret: a different one is refused here, not as random 401s later
  // (a refusal ends the start: runUntilSignal exits, which also stops an embedded database)
  const secretCheck = await checkSharedSecret(db, secret.secret, { acceptNew: env.ACCEPT_NEW_AUTH_SECRET });
  if (secretCheck === "replaced") log("ACCEPT_NEW_AUTH_SECRET: recorded this AUTH_SECRET as the deployment's (sessions and upload URLs made with the old one no longer work)");
  const admin = await ensureFirstAdmin({ db, username: env.ADMIN_USERNAME, password: env.ADMIN_PASSWORD });
  const destination = env.ARTIFACTS_DESTINATION ?? path.join(dataDir, "artifacts");
  const artifacts = createArtifactStore({
    destination: destination.startsWith("s3://") ? destination : path.resolve(repoRoot, destination),
    s3EndpointUrl: env.MLFLOW_S3_ENDPOINT_URL,
    // a part-upload URL made here may be PUT to any replica
    partUrlKey: partUrlKeyFrom(secret.secret),
  });
  log(`artifacts stored in ${artifacts.description}`);

  // background jobs: one pg-boss instance; webhook deliveries and batch scoring register on it
  const jobs = await startJobQueue({ connectionString: databaseUrl });
  // webhook deliveries: a pg-boss worker in this process (jobs are queued in the transactions of the changes)
  const webhooks = await startWebhookDelivery({ db, jobs });
  // trace retention: experiments' old traces deleted on a cluster-wide schedule
  const retention = await startTraceRetention({
    db,
    jobs,
    intervalMinutes: env.TRACE_RETENTION_INTERVAL_MINUTES,
    onPurge: (r) => log(`trace retention: deleted ${r.traces} traces (${r.bytes} bytes of spans) in ${r.experiments} experiments`),
  });

  // model serving: ONNX sessions loaded from the artifact store, shared with the portal's tRPC
  const runtime = createModelRuntime({ readFile: storeFileReader(artifacts) });
  const serving = createServingService({ db, runtime });
  installServingService(serving);
  const servingLoaded = serving.warmUp().catch((e: unknown) => log(`serving warm-up failed: ${(e as Error).message}`));
  // batch scoring: a pg-boss worker in this process, sharing the endpoints' loaded sessions
  const batch = await startBatchScoring({ db, jobs, store: artifacts, runtime });

  // 3. the two planes on one port
  const nextApp = next({ dev, dir: appDir, hostname: "localhost", port: env.PORT });
  const handleNext = nextApp.getRequestHandler();
  await nextApp.prepare();

  // single sign-on: say at start whether the issuer answers (the sign-in page says it too)
  const oidc = oidcSettings(env);
  if (oidc) {
    void discoverIssuer(oidc.issuer).then((d) =>
      log(
        d.ok
          ? `single sign-on through ${oidc.issuer} ("${oidc.name}"); redirect URI <base URL>/api/auth/callback/oidc`
          : `single sign-on: ${d.problem}; the SSO button fails until it answers, password sign-in ${env.PASSWORD_SIGN_IN ? "still works" : "is off (PASSWORD_SIGN_IN=false)"}`,
      ),
    );
  }
  // workload identity: pipelines authenticate with JWTs the identity provider issues (client credentials)
  const workload = env.OIDC_ISSUER && env.OIDC_WORKLOAD_AUDIENCE ? createWorkloadVerifier({ issuer: env.OIDC_ISSUER, audience: env.OIDC_WORKLOAD_AUDIENCE }) : undefined;
  if (workload) {
    workload.check().then(
      () => log(`workload identity: JWTs from ${workload.issuer} for audience '${workload.audience}' accepted`),
      (e: unknown) => log(`workload identity: ${(e as Error).message} (JWTs are refused until the identity provider answers)`),
    );
  }
  const drain = createDrain();
  const app = await createDataPlaneApp({
    db,
    version,
    readiness: replicaReadiness({ db, databaseUrl, draining: () => drain.draining, servingLoaded }),
    bodyLimit: env.BODY_LIMIT,
    trustProxy: env.TRUST_PROXY,
    logLevel: env.LOG_LEVEL,
    artifacts,
    authSecret: secret.secret,
    serving,
    servingBodyLimit: env.SERVING_BODY_LIMIT,
    traceBodyLimit: env.TRACE_BODY_LIMIT,
    scimToken: env.SCIM_TOKEN,
    workload,
    serverFactory: (fastifyHandler) =>
      http.createServer((req, res) => {
        drain.track(res);
        if (isDataPlanePath(req.url ?? "/")) return fastifyHandler(req, res);
        // the portal plane: record the client address and a request id for audit events;
        // client-sent values of these headers are overwritten, never trusted
        const forwarded = env.TRUST_PROXY ? String(req.headers["x-forwarded-for"] ?? "").split(",")[0]?.trim() : "";
        req.headers["x-modelgate-client-ip"] = forwarded || req.socket.remoteAddress || "";
        req.headers["x-request-id"] = newRequestId(req.headers["x-request-id"]);
        res.setHeader("x-request-id", req.headers["x-request-id"]);
        // the portal's APIs take small JSON bodies; refuse big ones before Next.js reads them
        if (Number(req.headers["content-length"] ?? 0) > PORTAL_BODY_LIMIT) {
          res.writeHead(413, { "content-type": "application/json", connection: "close" });
          return res.end(JSON.stringify({ error: `Request body larger than ${PORTAL_BODY_LIMIT} bytes` }));
        }
        // tRPC mutations must be JSON: a cross-site form post cannot send application/json
        if (req.url?.startsWith("/api/trpc") && MUTATING.has(req.method ?? "") && !String(req.headers["content-type"] ?? "").startsWith("application/json")) {
          res.writeHead(415, { "content-type": "application/json" });
          return res.end(JSON.stringify({ error: "Content-Type must be application/json" }));
        }
        void handleNext(req, res);
      }),
  });
  await app.listen({ port: env.PORT, host: env.HOST });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : env.PORT;
  const url = `http://localhost:${port}`;

  log(`Modelgate ${version} ready at ${url} in ${Math.round(performance.now() - t0)} ms`);
  if (admin.created) {
    if (admin.generatedPassword) {
      log("");
      log("  First start: created the admin account. This password is shown only once:");
      log(`    username: ${admin.username}`);
      log(`    password: ${admin.generatedPassword}`);
      log("");
    } else {
      log(`First start: created the admin account '${admin.username}' with ADMIN_PASSWORD`);
    }
  }
  log("Point the mlflow client at it (create a token on the Account page):");
  log(`  export MLFLOW_TRACKING_URI=${url}`);
  log("  export MLFLOW_TRACKING_TOKEN=<your token>");

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      drain.begin();
      await app.close();
      serving.close();
      installServingService(null);
      await batch.stop();
      await webhooks.stop();
      await retention.stop();
      await jobs.stop();
      await nextApp.close?.();
      await db.$disconnect();
      await stopDatabase();
    })());
  const delayMs = env.SHUTDOWN_DELAY_SECONDS * 1000;
  const drainMs = env.DRAIN_TIMEOUT_SECONDS * 1000;
  const drainAndClose = async () => {
    const left = await drain.run(app.server, { delayMs, drainMs, log });
    if (left > 0) log(`${left} request(s) still running after ${env.DRAIN_TIMEOUT_SECONDS} s: their connections were closed`);
    await close();
  };
  return { url, close, drainAndClose, drainBudgetMs: delayMs + drainMs };
}

function log(line: string) {
  console.log(line ? `[modelgate] ${line}` : "");
}

/**
 * Runs until SIGINT/SIGTERM, then drains (SIGTERM: see drain.ts; SIGINT, a developer's Ctrl-C:
 * at once), closes both planes and stops an embedded database cleanly. A start that fails says
 * why in one message and exits 1.
 */
export async function runUntilSignal(opts: { dev?: boolean }) {
  let server: StartedServer;
  try {
    server = await startServer(opts);
  } catch (e) {
    console.error(`[modelgate] could not start: ${(e as Error).message}`);
    if (!(e instanceof Error) || !/SharedSecretMismatch|EmbeddedPostgresAccess|Invalid environment|cannot reach the database/.test(`${e.name} ${e.message}`)) console.error(e);
    process.exit(1);
  }
  const shutdown = (signal: string) => {
    const graceful = signal === "SIGTERM";
    log(graceful ? `SIGTERM: draining (not ready now; ${server.drainBudgetMs / 1000} s at most), then shutting down` : `${signal}: shutting down`);
    // a second signal, or a drain that overruns its budget, ends the process
    const force = setTimeout(() => process.exit(1), (graceful ? server.drainBudgetMs : 0) + 15_000);
    force.unref();
    process.once(signal as NodeJS.Signals, () => process.exit(1));
    (graceful ? server.drainAndClose() : server.close()).then(
      () => process.exit(0),
      (e) => {
        console.error(e);
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", () => shutdown("SIGINT"));
  process.once("SIGTERM", () => shutdown("SIGTERM"));
}

// run directly: `tsx server/main.ts --dev` (npm run dev), or the compiled `node dist/server.mjs`
if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const dev = process.argv.includes("--dev");
  if (!dev) (process.env as Record<string, string>).NODE_ENV ??= "production";
  process.env.NEXT_TELEMETRY_DISABLED ??= "1";
  await runUntilSignal({ dev });
}
