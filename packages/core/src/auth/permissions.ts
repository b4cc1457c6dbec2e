import { Prisma } from "@modelgate/db";
import type { Actor, Ctx } from "../context.ts";
import { denied, notFound, unauthenticated } from "../errors.ts";
import { trackingConfig } from "../tracking/config.ts";
import type { PermissionLevel } from "../tracking/types.ts";

/**
 * Global (not per-resource) permissions. Per-experiment and per-model levels arrive with tracking
 * and the registry; they are answered here too, so that "may this actor do X on Y" has one place.
 */
export type Permission =
  | "self:read" // see own profile
  | "tokens:manage-own" // create, list and revoke own access tokens
  | "users:read"
  | "users:manage" // create, deactivate, reactivate, reset passwords, change roles
  | "audit:read"
  | "mlflow:use"; // call the MLflow API at all (per-resource checks come on top)

const byRole: Record<string, ReadonlySet<Permission>> = {
  USER: new Set<Permission>(["self:read", "tokens:manage-own", "mlflow:use"]),
  ADMIN: new Set<Permission>(["self:read", "tokens:manage-own", "mlflow:use", "users:read", "users:manage", "audit:read"]),
};

/** Unknown roles or permissions mean deny. The system actor is trusted (bootstrap, jobs). */
export function can(actor: Actor, permission: Permission): boolean {
  if (actor.kind === "system") return true;
  if (isScoped(actor)) return false;
  return byRole[actor.role]?.has(permission) ?? false;
}

export function authorize(actor: Actor | null | undefined, permission: Permission): asserts actor is Actor {
  if (!actor) throw unauthenticated();
  if (!can(actor, permission)) throw denied(`Permission denied: requires ${permission}`);
}

export function requireUser(actor: Actor): Extract<Actor, { kind: "user" }> {
  if (actor.kind !== "user") throw denied("A user is required for this action");
  return actor;
}

// ───────────── Per-experiment levels ─────────────
// READ < EDIT < MANAGE. Admins and the system have MANAGE everywhere; otherwise an explicit grant
// decides, then ownership (MANAGE), then the configured default (possibly none at all). A caller
// who cannot read an experiment is told it does not exist, so ids cannot be probed.

const levelRank: Record<PermissionLevel, number> = { READ: 1, EDIT: 2, MANAGE: 3 };

export function levelAtLeast(level: PermissionLevel | null, needed: PermissionLevel): boolean {
  return level !== null && (levelRank[level] ?? 0) >= levelRank[needed];
}

/** Admins and the system may do everything; per-resource levels resolve to their highest. */
export const isAdmin = (actor: Actor) => actor.kind === "system" || (actor.role === "ADMIN" && !isScoped(actor));

/**
 * A token scoped to one serving endpoint acts as its user for that endpoint only
 * (serving/endpoints.ts endpointForInvocation): everywhere else it holds nothing.
 */
export const isScoped = (actor: Actor) => actor.kind === "user" && Boolean(actor.endpointScope);

/** The Default experiment "0", where the mlflow client logs when no experiment was set. */
export const DEFAULT_EXPERIMENT_ID = 0;

/**
 * The level from what the database says about one experiment and this actor. The Default
 * experiment is a shared space every user may log to (EDIT), unless the configured default is
 * NONE: then it follows the same rules as any other experiment.
 */
export function resolveExperimentLevel(actor: Actor, facts: { experimentId: number; ownerId: string | null; grant: string | null }): PermissionLevel | null {
  if (isScoped(actor)) return null;
  if (isAdmin(actor)) return "MANAGE";
  const d = trackingConfig().defaultExperimentPermission;
  const level = explicitOrDefaultLevel(actor, facts, d);
  if (facts.experimentId === DEFAULT_EXPERIMENT_ID && d !== "NONE" && !levelAtLeast(level, "EDIT")) return "EDIT";
  return level;
}

function explicitOrDefaultLevel(actor: Actor, facts: { ownerId: string | null; grant: string | null }, d: PermissionLevel | "NONE"): PermissionLevel | null {
  if (facts.grant === "READ" || facts.grant === "EDIT" || facts.grant === "MANAGE") return facts.grant;
  if (actor.kind === "user" && facts.ownerId === actor.userId) return "MANAGE";
  return d === "NONE" ? null : d;
}

/**
 * A SQL condition, true exactly where resolveExperimentLevel gives this actor at least `needed`,
 * over columns of `alias`: grant_level (grantSql), owner_id (text) and experiment_id. It is that
 * function's truth table, evaluated here for every case it distinguishes (grant, owner or not,
 * the Default experiment or not), so a statement can check access and write in one round trip and
 * still decide exactly as the code that explains a refusal.
 */
export function experimentLevelAtLeastSql(actor: Actor, needed: PermissionLevel, alias: string): Prisma.Sql {
  const a = ident(alias);
  const cases: Prisma.Sql[] = [];
  let all = true;
  for (const grant of [null, "READ", "EDIT", "MANAGE"] as const) {
    for (const owner of actor.kind === "user" ? [false, true] : [false]) {
      for (const isDefault of [false, true]) {
        const facts = { experimentId: isDefault ? DEFAULT_EXPERIMENT_ID : DEFAULT_EXPERIMENT_ID + 1, ownerId: owner && actor.kind === "user" ? actor.userId : null, grant };
        if (!levelAtLeast(resolveExperimentLevel(actor, facts), needed)) {
          all = false;
          continue;
        }
        const g = grant === null ? Prisma.sql`${a}.grant_level IS NULL` : Prisma.sql`${a}.grant_level = ${Prisma.raw(`'${grant}'`)}`;
        const o = actor.kind !== "user" ? Prisma.empty : owner ? Prisma.sql` AND ${a}.owner_id = ${actor.userId}` : Prisma.sql` AND ${a}.owner_id IS DISTINCT FROM ${actor.userId}`;
        const d = Prisma.sql` AND ${a}.experiment_id ${Prisma.raw(isDefault ? "=" : "<>")} ${Prisma.raw(String(DEFAULT_EXPERIMENT_ID))}`;
        cases.push(Prisma.sql`(${g}${o}${d})`);
      }
    }
  }
  if (all) return Prisma.sql`TRUE`;
  // never NULL (a NULL grant compared is NULL): false wherever no case holds
  return cases.length ? Prisma.sql`COALESCE(${Prisma.join(cases, " OR ")}, FALSE)` : Prisma.sql`FALSE`;
}

/**
 * SQL for the actor's grant on experiment `e` (null when none): a scalar subquery, the highest of
 * the user's own grant and their groups' grants (enum order is level order).
 */
export function grantSql(actor: Actor, alias = "e"): Prisma.Sql {
  if (actor.kind !== "user") return Prisma.sql`NULL::text`;
  const e = ident(alias);
  return Prisma.sql`(SELECT max(x.level)::text FROM (
      SELECT p.level FROM experiment_permission p WHERE p.experiment_id = ${e}.id AND p.user_id = ${actor.userId}::uuid
      UNION ALL
      SELECT g.level FROM experiment_group_permission g JOIN group_member gm ON gm.group_id = g.group_id
      WHERE g.experiment_id = ${e}.id AND gm.user_id = ${actor.userId}::uuid) x)`;
}

function ident(alias: string): Prisma.Sql {
  if (!/^[a-z_][a-z0-9_]*$/i.test(alias)) throw new Error(`Invalid SQL alias ${alias}`);
  return Prisma.raw(alias);
}

export const experimentNotFound = (experimentId: string | number) => notFound(`No Experiment with id=${experimentId} exists`);

/** Throws 404 below READ (same message as a missing experiment) and 403 below `needed`. */
export function assertExperimentLevel(level: PermissionLevel | null, needed: PermissionLevel, experimentId: string | number) {
  if (!levelAtLeast(level, "READ")) throw experimentNotFound(experimentId);
  if (!levelAtLeast(level, needed)) throw denied(`Permission denied: requires ${needed} on experiment ${experimentId}`);
}

/** The actor's level on an experiment, or null (no access, or no such experiment). */
export async function experimentLevel(ctx: Ctx, experimentId: number): Promise<PermissionLevel | null> {
  const rows = await ctx.db.$queryRaw<{ owner_id: string | null; grant_level: string | null }[]>`
    SELECT e.owner_id::text AS owner_id, ${grantSql(ctx.actor)} AS grant_level FROM experiment e WHERE e.id = ${experimentId}`;
  const row = rows[0];
  return row ? resolveExperimentLevel(ctx.actor, { experimentId, ownerId: row.owner_id, grant: row.grant_level }) : null;
}

export async function requireExperimentLevel(ctx: Ctx, experimentId: number, needed: PermissionLevel): Promise<PermissionLevel> {
  const level = await experimentLevel(ctx, experimentId);
  assertExperimentLevel(level, needed, experimentId);
  return level!;
}

/**
 * A SQL condition on experiment alias `alias`, true where the actor may read it: for search, so
 * unreadable experiments and their runs simply do not come back.
 */
export function readableExperimentsSql(ctx: Pick<Ctx, "actor">, alias = "e"): Prisma.Sql {
  const actor = ctx.actor;
  if (isScoped(actor)) return Prisma.sql`FALSE`;
  if (isAdmin(actor) || trackingConfig().defaultExperimentPermission !== "NONE") return Prisma.sql`TRUE`;
  if (actor.kind !== "user") return Prisma.sql`FALSE`;
  const e = ident(alias);
  return Prisma.sql`(${e}.owner_id = ${actor.userId}::uuid
    OR EXISTS (SELECT 1 FROM experiment_permission p WHERE p.experiment_id = ${e}.id AND p.user_id = ${actor.userId}::uuid)
    OR EXISTS (SELECT 1 FROM experiment_group_permission g JOIN group_member gm ON gm.group_id = g.group_id
               WHERE g.experiment_id = ${e}.id AND gm.user_id = ${actor.userId}::uuid))`;
}
