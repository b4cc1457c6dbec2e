import type { Ctx } from "../context.ts";
import { experimentLevel, levelAtLeast } from "../auth/permissions.ts";
import { checkGrantLevel, setGrant } from "../auth/grants.ts";
import { alreadyExists, notFound } from "../errors.ts";
import { loadExperiment } from "./experiments.ts";
import { experimentPk } from "./validate.ts";
import { EXPERIMENT_PERMISSION_LEVELS, type PermissionLevel } from "./types.ts";

// Explicit per-user grants on one experiment (the portal's grants panel). MANAGE is needed to see
// or change them; every change is audited with the level before and after.

export interface ExperimentPermissionView {
  experiment_id: string;
  user_id: string;
  username: string;
  level: PermissionLevel;
}

export async function listExperimentPermissions(ctx: Ctx, experimentId: string): Promise<ExperimentPermissionView[]> {
  const e = await loadExperiment(ctx, experimentId, "MANAGE");
  const rows = await ctx.db.$queryRaw<{ user_id: string; username: string; level: PermissionLevel }[]>`
    SELECT p.user_id::text AS user_id, u.username, p.level::text AS level
    FROM experiment_permission p JOIN "user" u ON u.id = p.user_id
    WHERE p.experiment_id = ${e.id} ORDER BY u.username`;
  return rows.map((r) => ({ experiment_id: String(e.id), ...r }));
}

/** The user's own grant on the experiment (MANAGE needed); 404 when they hold none. */
export async function getExperimentPermission(ctx: Ctx, input: { experiment_id: string; username: string }): Promise<ExperimentPermissionView> {
  const grants = await listExperimentPermissions(ctx, input.experiment_id);
  const grant = grants.find((g) => g.username === input.username);
  if (!grant) throw notFound(`Experiment permission with experiment_id=${input.experiment_id} and username=${input.username} not found`);
  return grant;
}

/**
 * Grants `level` to the user, or removes their grant when level is null. `expect` makes it strict
 * (the MLflow auth app's create/update/delete): "absent" refuses an existing grant
 * (RESOURCE_ALREADY_EXISTS), "present" refuses a missing one (RESOURCE_DOES_NOT_EXIST).
 */
export async function setExperimentPermission(
  ctx: Ctx,
  input: { experiment_id: string; username: string; level: PermissionLevel | null; expect?: "absent" | "present" | undefined },
): Promise<void> {
  checkGrantLevel(input.level, EXPERIMENT_PERMISSION_LEVELS);
  const e = await loadExperiment(ctx, input.experiment_id, "MANAGE");
  const user = await ctx.db.user.findUnique({ where: { username: input.username } });
  if (!user) throw notFound(`User '${input.username}' does not exist`);
  await setGrant(ctx, {
    on: "experimentUser",
    resourceId: e.id,
    granteeId: user.id,
    level: input.level,
    ifPresent: input.expect === "absent" ? () => alreadyExists(`Experiment permission (experiment_id=${e.id}, username=${user.username}) already exists`) : undefined,
    ifAbsent: input.expect === "present" ? () => notFound(`Experiment permission with experiment_id=${e.id} and username=${user.username} not found`) : undefined,
    audit: (before) => ({
      action: "experiment.permission_set",
      resourceType: "experiment",
      resourceId: String(e.id),
      before: { username: user.username, level: before },
      after: { username: user.username, level: input.level },
    }),
  });
}

export interface ExperimentAccessView {
  /** null: the caller may not read it (or it does not exist). */
  level: PermissionLevel | null;
  canEdit: boolean;
  canManage: boolean;
}

/** What the caller may do on one experiment, for the portal to show or hide actions. */
export async function myExperimentAccess(ctx: Ctx, experimentId: string): Promise<ExperimentAccessView> {
  const id = experimentPk(experimentId);
  const level = id === null ? null : await experimentLevel(ctx, id);
  return { level, canEdit: levelAtLeast(level, "EDIT"), canManage: levelAtLeast(level, "MANAGE") };
}
