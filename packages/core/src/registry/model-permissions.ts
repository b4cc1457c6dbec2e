import type { Ctx } from "../context.ts";
import { checkGrantLevel, setGrant } from "../auth/grants.ts";
import { alreadyExists, notFound } from "../errors.ts";
import { MODEL_ACTION_LEVEL, modelLevelAtLeast, transitionLevel } from "./access.ts";
import { loadModel, modelLevel } from "./models.ts";
import { MODEL_PERMISSION_LEVELS, STAGES, type ModelPermissionLevel, type Stage } from "./types.ts";

// Explicit per-user grants on one model, keyed by the model's id (a rename keeps them). MANAGE is
// needed to see or change them; every change is audited with the level before and after.

export interface ModelPermissionView {
  user_id: string;
  username: string;
  level: ModelPermissionLevel;
}

export async function listModelPermissions(ctx: Ctx, name: string): Promise<ModelPermissionView[]> {
  const m = await loadModel(ctx, name, "MANAGE");
  return ctx.db.$queryRaw<ModelPermissionView[]>`
    SELECT p.user_id::text AS user_id, u.username, p.level::text AS level
    FROM registered_model_permission p JOIN "user" u ON u.id = p.user_id WHERE p.model_id = ${m.id} ORDER BY u.username`;
}

/** The user's own grant on the model (MANAGE needed); 404 when they hold none. */
export async function getModelPermission(ctx: Ctx, input: { name: string; username: string }): Promise<ModelPermissionView> {
  const grants = await listModelPermissions(ctx, input.name);
  const grant = grants.find((g) => g.username === input.username);
  if (!grant) throw notFound(`Registered model permission with name=${input.name} and username=${input.username} not found`);
  return grant;
}

/**
 * Grants `level` to the user, or removes their grant when level is null. `expect` makes it strict
 * (the MLflow auth app's create/update/delete): "absent" refuses an existing grant
 * (RESOURCE_ALREADY_EXISTS), "present" refuses a missing one (RESOURCE_DOES_NOT_EXIST).
 */
export async function setModelPermission(
  ctx: Ctx,
  input: { name: string; username: string; level: ModelPermissionLevel | null; expect?: "absent" | "present" | undefined },
): Promise<void> {
  checkGrantLevel(input.level, MODEL_PERMISSION_LEVELS);
  const m = await loadModel(ctx, input.name, "MANAGE");
  const user = await ctx.db.user.findUnique({ where: { username: input.username } });
  if (!user) throw notFound(`User '${input.username}' does not exist`);
  await setGrant(ctx, {
    on: "modelUser",
    resourceId: m.id,
    granteeId: user.id,
    level: input.level,
    ifPresent: input.expect === "absent" ? () => alreadyExists(`Registered model permission (name=${m.name}, username=${user.username}) already exists`) : undefined,
    ifAbsent: input.expect === "present" ? () => notFound(`Registered model permission with name=${m.name} and username=${user.username} not found`) : undefined,
    audit: (before) => ({
      action: "registered_model.permission_set",
      resourceType: "registered_model",
      resourceId: String(m.id),
      before: { username: user.username, level: before },
      after: { username: user.username, level: input.level },
    }),
  });
}

export interface ModelAccessView {
  /** null: the caller may not read the model (or it does not exist). */
  level: ModelPermissionLevel | null;
  can: Record<keyof typeof MODEL_ACTION_LEVEL, boolean>;
  /** Stages the caller may move a version in `from` to, per current stage. */
  transitions: Record<Stage, Stage[]>;
}

/** What the caller may do on one model, for the portal to show only allowed actions. */
export async function myModelAccess(ctx: Ctx, name: string): Promise<ModelAccessView> {
  const level = await modelLevel(ctx, name);
  const can = Object.fromEntries(Object.entries(MODEL_ACTION_LEVEL).map(([k, needed]) => [k, modelLevelAtLeast(level, needed)])) as ModelAccessView["can"];
  const transitions = Object.fromEntries(
    STAGES.map((from) => [from, STAGES.filter((to) => to !== from && modelLevelAtLeast(level, transitionLevel(from, to)))]),
  ) as Record<Stage, Stage[]>;
  return { level, can, transitions };
}
