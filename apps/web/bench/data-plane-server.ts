// The data plane alone: the same Fastify app `npm start` serves (createDataPlaneApp, same pool size
// and body limit as server/main.ts), without Next.js. Used when there is no portal build, or with
// --server=data-plane. DATABASE_URL and PORT come from the environment.
//
// BENCH_SERVING=1 (bench:serving) adds what server/main.ts wires for serving: a local artifact
// store under DATA_DIR, one ONNX runtime shared by the scoring endpoints and the batch-scoring
// worker (pg-boss, in this process). Without it (bench:tracking, bench:registry) the app is built
// exactly as before: no serving, no worker polling the database (bench:tracking adds an artifact
// store with BENCH_ARTIFACTS=1).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createServingService, startBatchScoring, storeFileReader, type BatchScoring, type ServingService } from "@modelgate/api";
import { createDataPlaneApp } from "@modelgate/api/rest";
import { createArtifactStore, type ArtifactStore } from "@modelgate/artifacts";
import { createDb } from "@modelgate/db";
import { createModelRuntime } from "@modelgate/serving";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const version = (JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { version: string }).version;
const url = process.env.DATABASE_URL;
if (!url) throw new Error("DATABASE_URL is required");

const db = createDb({ url, max: 10 });
let serving: { artifacts: ArtifactStore; service: ServingService; batch: BatchScoring } | null = null;
if (process.env.BENCH_SERVING === "1") {
  const dataDir = process.env.DATA_DIR;
  if (!dataDir) throw new Error("BENCH_SERVING needs DATA_DIR (the artifact store goes under it)");
  const artifacts = createArtifactStore({ destination: path.join(dataDir, "artifacts") });
  const runtime = createModelRuntime({ readFile: storeFileReader(artifacts) });
  const service = createServingService({ db, runtime });
  service.warmUp().catch((e: unknown) => console.warn(`[bench server] serving warm-up failed: ${(e as Error).message}`));
  const batch = await startBatchScoring({ db, connectionString: url, store: artifacts, runtime });
  serving = { artifacts, service, batch };
}
// BENCH_ARTIFACTS=1 (bench:tracking): an artifact store under DATA_DIR, as main.ts always has, so
// a registration reads the MLmodel a logged model uploaded (the log_model sequence).
let artifacts: ArtifactStore | null = serving?.artifacts ?? null;
if (!artifacts && process.env.BENCH_ARTIFACTS === "1") {
  const dataDir = process.env.DATA_DIR;
  if (!dataDir) throw new Error("BENCH_ARTIFACTS needs DATA_DIR (the artifact store goes under it)");
  artifacts = createArtifactStore({ destination: path.join(dataDir, "artifacts") });
}
const app = await createDataPlaneApp({
  db,
  version,
  bodyLimit: 32 * 1024 * 1024,
  logLevel: "warn",
  ...(artifacts ? { artifacts } : {}),
  ...(serving ? { serving: serving.service } : {}),
});
await app.listen({ port: Number(process.env.PORT), host: "127.0.0.1" });
const shutdown = () => {
  void app
    .close()
    .then(async () => {
      serving?.service.close();
      await serving?.batch.stop();
    })
    .then(() => db.$disconnect())
    .finally(() => process.exit(0));
};
process.once("SIGTERM", shutdown);
// the bench holds an IPC channel to us: when it goes away (even killed), so do we
process.once("disconnect", shutdown);
