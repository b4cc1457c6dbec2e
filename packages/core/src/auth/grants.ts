import { Prisma } from "@modelgate/db";
import type { Ctx } from "../context.ts";
import { recordAudit, type AuditInput } from "../audit/record-audit.ts";
import { invalid } from "../errors.ts";

// Explicit grants of a level on one experiment or model to a user or a group: four tables of one
// shape (resource, grantee, level). Setting one is the same everywhere: read the grant held now,
// refuse when the caller insisted on it being absent or present, write or remove it, and audit the
// level before and after, all in one transaction. Callers check MANAGE on the resource first.

const GRANT_TABLES = {
  experimentUser: { table: "experiment_permission", resource: "experiment_id", grantee: "user_id", levelType: "PermissionLevel" },
  experimentGroup: { table: "experiment_group_permission", resource: "experiment_id", grantee: "group_id", levelType: "PermissionLevel" },
  modelUser: { table: "registered_model_permission", resource: "model_id", grantee: "user_id", levelType: "ModelPermissionLevel" },
  modelGroup: { table: "registered_model_group_permission", resource: "model_id", grantee: "group_id", levelType: "ModelPermissionLevel" },
} as const;

/** A level outside `allowed` (a null level removes a grant and is always fine). */
export function checkGrantLevel<L extends string>(level: L | null, allowed: readonly L[]): void {
  if (level !== null && !allowed.includes(level)) throw invalid(`Invalid permission level '${String(level)}'. Must be one of ${allowed.join(", ")}.`);
}

export interface GrantChange<L extends string> {
  on: keyof typeof GRANT_TABLES;
  resourceId: number;
  granteeId: string;
  /** null removes the grant. */
  level: L | null;
  /** Thrown when a grant is already held (the MLflow auth app's create). */
  ifPresent?: (() => Error) | undefined;
  /** Thrown when no grant is held (the MLflow auth app's update and delete). */
  ifAbsent?: (() => Error) | undefined;
  audit: (before: L | null) => AuditInput;
}

export async function setGrant<L extends string>(ctx: Ctx, change: GrantChange<L>): Promise<void> {
  const t = GRANT_TABLES[change.on];
  const [table, resource, grantee] = [Prisma.raw(`"${t.table}"`), Prisma.raw(t.resource), Prisma.raw(t.grantee)];
  const where = Prisma.sql`${resource} = ${change.resourceId} AND ${grantee} = ${change.granteeId}::uuid`;
  await ctx.db.$transaction(async (tx) => {
    const [held] = await tx.$queryRaw<{ level: L }[]>`SELECT level::text AS level FROM ${table} WHERE ${where} FOR UPDATE`;
    const before = held?.level ?? null;
    if (before !== null && change.ifPresent) throw change.ifPresent();
    if (before === null && change.ifAbsent) throw change.ifAbsent();
    if (change.level === null) {
      await tx.$executeRaw`DELETE FROM ${table} WHERE ${where}`;
    } else {
      await tx.$executeRaw`
        INSERT INTO ${table} (${resource}, ${grantee}, level) VALUES (${change.resourceId}, ${change.granteeId}::uuid, ${change.level}::${Prisma.raw(`"${t.levelType}"`)})
        ON CONFLICT (${resource}, ${grantee}) DO UPDATE SET level = excluded.level`;
    }
    await recordAudit(ctx, tx, change.audit(before));
  });
}
