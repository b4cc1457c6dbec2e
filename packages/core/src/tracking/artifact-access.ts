import type { Ctx } from "../context.ts";
import { notFound } from "../errors.ts";
import { requireExperimentLevel } from "../auth/permissions.ts";
import { findRun } from "./run-access.ts";
import type { PermissionLevel } from "./types.ts";
import { experimentPk } from "./validate.ts";

// Who may touch which artifact. Artifacts served by the proxy live at
// `<experiment_id>/<run_id>/artifacts/…` (a run's artifact_uri is `mlflow-artifacts:/<that>`):
// reading needs READ on the experiment, writing EDIT, and a run must belong to the experiment its
// path names. Paths outside that layout are not addressable through the API (404).

export const MLFLOW_ARTIFACTS_SCHEME = "mlflow-artifacts:";

const noArtifacts = (path: string) => notFound(`No artifacts at '${path}'`);

/** Checks `level` on an already normalised store path (no `..`, no leading `/`); throws 404/403. */
export async function authorizeArtifactPath(ctx: Ctx, path: string, level: PermissionLevel): Promise<void> {
  const [exp, runId, area] = path.split("/");
  const experimentId = exp ? experimentPk(exp) : null;
  if (experimentId === null) throw noArtifacts(path);
  if (!runId) {
    if (level !== "READ") throw noArtifacts(path);
    await requireExperimentLevel(ctx, experimentId, level);
    return;
  }
  const run = await findRun(ctx, runId, level);
  if (run.experimentId !== experimentId) throw noArtifacts(path);
  // writes go under the run's artifact root only
  if (level !== "READ" && area !== "artifacts") throw noArtifacts(path);
}

/** `mlflow-artifacts:/1/abc/artifacts` (or `mlflow-artifacts://host/1/...`) → `1/abc/artifacts`; other schemes → null. */
export function artifactStorePath(uri: string): string | null {
  if (!uri.startsWith(MLFLOW_ARTIFACTS_SCHEME)) return null;
  let rest = uri.slice(MLFLOW_ARTIFACTS_SCHEME.length);
  if (rest.startsWith("//")) rest = rest.slice(rest.indexOf("/", 2) + 1 || rest.length);
  return rest.replace(/^\/+/, "");
}
