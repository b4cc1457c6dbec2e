import { Prisma } from "@modelgate/db";
import type { Actor, Ctx } from "../context.ts";
import { isAdmin, isScoped } from "../auth/permissions.ts";
import { denied, notFound } from "../errors.ts";
import { registryConfig } from "./config.ts";
import { MODEL_PERMISSION_LEVELS, type ModelPermissionLevel, type Stage } from "./types.ts";

// Per-model levels (Databricks' matrix, mlflow-compat.md): READ < EDIT < MANAGE_STAGING_VERSIONS <
// MANAGE_PRODUCTION_VERSIONS < MANAGE. Admins and the system have MANAGE; otherwise an explicit
// grant decides, then ownership (MANAGE), then the configured default. Versions inherit their
// model's level. Below READ a model is reported exactly like a missing one.

const rank = (l: ModelPermissionLevel) => MODEL_PERMISSION_LEVELS.indexOf(l);

export function modelLevelAtLeast(level: ModelPermissionLevel | null, needed: ModelPermissionLevel): boolean {
  return level !== null && rank(level) >= rank(needed);
}

const isLevel = (s: string | null): s is ModelPermissionLevel => s !== null && (MODEL_PERMISSION_LEVELS as readonly string[]).includes(s);

export function resolveModelLevel(actor: Actor, facts: { ownerId: string | null; grant: string | null }): ModelPermissionLevel | null {
  if (isScoped(actor)) return null;
  if (isAdmin(actor)) return "MANAGE";
  if (isLevel(facts.grant)) return facts.grant;
  if (actor.kind === "user" && facts.ownerId === actor.userId) return "MANAGE";
  const d = registryConfig().defaultModelPermission;
  return d === "NONE" ? null : d;
}

/**
 * SQL for the actor's grant on model alias `m` (null when none): a scalar subquery, the highest of
 * the user's own grant and their groups' grants (enum order is level order).
 */
export function modelGrantSql(actor: Actor): Prisma.Sql {
  if (actor.kind !== "user") return Prisma.sql`NULL::text`;
  return Prisma.sql`(SELECT max(x.level)::text FROM (
      SELECT p.level FROM registered_model_permission p WHERE p.model_id = m.id AND p.user_id = ${actor.userId}::uuid
      UNION ALL
      SELECT g.level FROM registered_model_group_permission g JOIN group_member gm ON gm.group_id = g.group_id
      WHERE g.model_id = m.id AND gm.user_id = ${actor.userId}::uuid) x)`;
}

/** A condition on alias `m`: true where the actor may read the model (search and lists). */
export function readableModelsSql(ctx: Pick<Ctx, "actor">): Prisma.Sql {
  const actor = ctx.actor;
  if (isScoped(actor)) return Prisma.sql`FALSE`;
  if (isAdmin(actor) || registryConfig().defaultModelPermission !== "NONE") return Prisma.sql`TRUE`;
  if (actor.kind !== "user") return Prisma.sql`FALSE`;
  return Prisma.sql`(m.owner_id = ${actor.userId}::uuid
    OR EXISTS (SELECT 1 FROM registered_model_permission p WHERE p.model_id = m.id AND p.user_id = ${actor.userId}::uuid)
    OR EXISTS (SELECT 1 FROM registered_model_group_permission g JOIN group_member gm ON gm.group_id = g.group_id
               WHERE g.model_id = m.id AND gm.user_id = ${actor.userId}::uuid))`;
}

export const modelNotFound = (name: string) => notFound(`Registered Model with name=${name} not found`);
export const versionNotFound = (name: string, version: string | number) => notFound(`Model Version (name=${name}, version=${version}) not found`);

export function assertModelLevel(level: ModelPermissionLevel | null, needed: ModelPermissionLevel, name: string) {
  if (!modelLevelAtLeast(level, "READ")) throw modelNotFound(name);
  if (!modelLevelAtLeast(level, needed)) throw denied(`Permission denied: requires ${needed} on registered model '${name}'`);
}

/**
 * The level a stage transition needs: anything touching Production (from or to, or archiving the
 * versions in it) needs MANAGE_PRODUCTION_VERSIONS; moves among None, Staging and Archived need
 * MANAGE_STAGING_VERSIONS.
 */
export function transitionLevel(from: Stage, to: Stage): ModelPermissionLevel {
  return from === "Production" || to === "Production" ? "MANAGE_PRODUCTION_VERSIONS" : "MANAGE_STAGING_VERSIONS";
}

/** What each registry action needs (the matrix in one place; the portal asks the same table). */
export const MODEL_ACTION_LEVEL = {
  read: "READ",
  createVersion: "EDIT",
  editDescription: "EDIT",
  editTags: "EDIT",
  setAlias: "EDIT",
  /** Create a serving endpoint for it (serving/endpoints.ts ENDPOINT_ACTION_LEVEL.create). */
  serve: "EDIT",
  rename: "MANAGE",
  delete: "MANAGE",
  deleteVersion: "MANAGE",
  managePermissions: "MANAGE",
} as const satisfies Record<string, ModelPermissionLevel>;

/**
 * A version's audit resource id: `<model id>/<version>`, stable across renames (the model's name
 * goes in the event's before/after).
 */
export const versionResourceId = (v: { model: { id: number }; version: number }) => `${v.model.id}/${v.version}`;
