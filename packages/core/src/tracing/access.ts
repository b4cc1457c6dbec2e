import type { Ctx } from "../context.ts";
import { notFound } from "../errors.ts";
import { assertExperimentLevel, resolveExperimentLevel, grantSql } from "../auth/permissions.ts";
import type { PermissionLevel } from "../tracking/types.ts";

// A trace is as visible as its experiment: READ to read it, EDIT to change it. A trace the caller
// cannot read is reported exactly like one that does not exist.

export const traceNotFound = (traceId: string) => notFound(`Trace with ID '${traceId}' not found.`);

export interface TraceAccess {
  traceId: string;
  experimentId: number;
  level: PermissionLevel | null;
}

export async function findTrace(ctx: Ctx, traceId: string, needed: PermissionLevel): Promise<TraceAccess> {
  // no stored id holds NUL (PostgreSQL text cannot), so such an id names nothing
  if (traceId.includes("\u0000") || traceId.length > 64) throw traceNotFound(traceId.replaceAll("\u0000", "\\0"));
  const rows = await ctx.db.$queryRaw<{ experiment_id: number; owner_id: string | null; grant_level: string | null }[]>`
    SELECT t.experiment_id, e.owner_id::text AS owner_id, ${grantSql(ctx.actor)} AS grant_level
    FROM trace t JOIN experiment e ON e.id = t.experiment_id WHERE t.trace_id = ${traceId}`;
  const r = rows[0];
  const level = r ? resolveExperimentLevel(ctx.actor, { experimentId: r.experiment_id, ownerId: r.owner_id, grant: r.grant_level }) : null;
  if (!r || level === null) throw traceNotFound(traceId);
  assertExperimentLevel(level, needed, r.experiment_id);
  return { traceId, experimentId: r.experiment_id, level };
}
