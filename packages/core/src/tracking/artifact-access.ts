import { Prisma } from "@modelgate/db";
import type { Ctx } from "../context.ts";
import { isDomainError, notFound } from "../errors.ts";
import { requireExperimentLevel } from "../auth/permissions.ts";
import { modelGrantSql, modelLevelAtLeast, resolveModelLevel } from "../registry/access.ts";
import { findRun } from "./run-access.ts";
import { findLoggedModel } from "./logged-models/access.ts";
import { findTrace } from "../tracing/access.ts";
import type { PermissionLevel } from "./types.ts";
import { experimentPk } from "./validate.ts";

// Who may touch which artifact. Artifacts served by the proxy live at
// `<experiment_id>/<run_id>/artifacts/…` (a run's artifact_uri is `mlflow-artifacts:/<that>`) and,
// for MLflow 3's logged models, `<experiment_id>/models/<model_id>/artifacts/…`:
// reading needs READ on the experiment, writing EDIT, and a run must belong to the experiment its
// path names. Paths outside that layout are not addressable through the API (404). A registered
// version's files may also be read by whoever may read its model: services that load
// `models:/name@champion` need not see the experiment the model was trained in.

export const MLFLOW_ARTIFACTS_SCHEME = "mlflow-artifacts:";

const noArtifacts = (path: string) => notFound(`No artifacts at '${path}'`);

/** Checks `level` on an already normalised store path (no `..`, no leading `/`); throws 404/403. */
export async function authorizeArtifactPath(ctx: Ctx, path: string, level: PermissionLevel): Promise<void> {
  try {
    await authorizeByExperiment(ctx, path, level);
  } catch (e) {
    if (level === "READ" && isDomainError(e) && (await registeredVersionCovers(ctx, path))) return;
    throw e;
  }
}

/** Whether `path` lies in the files of a live model version whose model the actor may read. */
async function registeredVersionCovers(ctx: Ctx, path: string): Promise<boolean> {
  const [, second, modelId] = path.split("/");
  if (!second) return false;
  // a run's files (`<exp>/<run>/artifacts/...`) or a logged model's (`<exp>/models/<model_id>/artifacts/...`)
  const owner = second === MODELS_FOLDER ? Prisma.sql`v.logged_model_id = ${modelId ?? ""}` : Prisma.sql`v.run_id = ${second}`;
  const rows = await ctx.db.$queryRaw<{ owner_id: string | null; grant_level: string | null }[]>`
    SELECT m.owner_id::text AS owner_id, ${modelGrantSql(ctx.actor)} AS grant_level
    FROM model_version v JOIN registered_model m ON m.id = v.model_id
    WHERE ${owner} AND v.deleted_timestamp IS NULL AND v.store_path IS NOT NULL
      AND (${path} = v.store_path OR starts_with(${path}, v.store_path || '/'))`;
  return rows.some((r) => modelLevelAtLeast(resolveModelLevel(ctx.actor, { ownerId: r.owner_id, grant: r.grant_level }), "READ"));
}

/** Logged models keep their files under `<experiment>/models/<model_id>/artifacts` (MLflow 3). */
export const MODELS_FOLDER = "models";
/** Traces keep their files (the 2.x client's traces.json) under `<experiment>/traces/<trace_id>/artifacts`. */
export const TRACES_FOLDER = "traces";

async function authorizeByExperiment(ctx: Ctx, path: string, level: PermissionLevel): Promise<void> {
  const [exp, second, third, fourth] = path.split("/");
  const experimentId = exp ? experimentPk(exp) : null;
  if (experimentId === null) throw noArtifacts(path);
  if (!second) {
    if (level !== "READ") throw noArtifacts(path);
    await requireExperimentLevel(ctx, experimentId, level);
    return;
  }
  if (second === TRACES_FOLDER) {
    // a trace's files: the 2.x client uploads its spans as traces.json here
    if (!third) throw noArtifacts(path);
    const trace = await findTrace(ctx, third, level).catch((e: unknown) => {
      throw isDomainError(e) && e.code === "RESOURCE_DOES_NOT_EXIST" ? noArtifacts(path) : e;
    });
    if (trace.experimentId !== experimentId) throw noArtifacts(path);
    if (level !== "READ" && fourth !== "artifacts") throw noArtifacts(path);
    return;
  }
  if (second === MODELS_FOLDER) {
    if (!third) {
      if (level !== "READ") throw noArtifacts(path);
      await requireExperimentLevel(ctx, experimentId, level);
      return;
    }
    const model = await findLoggedModel(ctx, third, level).catch((e: unknown) => {
      throw isDomainError(e) && e.code === "RESOURCE_DOES_NOT_EXIST" ? noArtifacts(path) : e;
    });
    if (model.experimentId !== experimentId) throw noArtifacts(path);
    if (level !== "READ" && fourth !== "artifacts") throw noArtifacts(path);
    return;
  }
  const run = await findRun(ctx, second, level);
  if (run.experimentId !== experimentId) throw noArtifacts(path);
  // writes go under the run's artifact root only
  if (level !== "READ" && third !== "artifacts") throw noArtifacts(path);
}

/** `mlflow-artifacts:/1/abc/artifacts` (or `mlflow-artifacts://host/1/...`) → `1/abc/artifacts`; other schemes → null. */
export function artifactStorePath(uri: string): string | null {
  if (!uri.startsWith(MLFLOW_ARTIFACTS_SCHEME)) return null;
  let rest = uri.slice(MLFLOW_ARTIFACTS_SCHEME.length);
  if (rest.startsWith("//")) rest = rest.slice(rest.indexOf("/", 2) + 1 || rest.length);
  return rest.replace(/^\/+/, "");
}
