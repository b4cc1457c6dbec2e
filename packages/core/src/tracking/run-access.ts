import { Prisma, sqlQuery } from "@modelgate/db";
import type { Ctx } from "../context.ts";
import { denied, invalid, notFound } from "../errors.ts";
import { grantSql, levelAtLeast, resolveExperimentLevel } from "../auth/permissions.ts";
import type { PermissionLevel } from "./types.ts";
import { validateRunId } from "./validate.ts";

/** What a write or read needs to know about a run, found together with the actor's level. */
export interface RunRef {
  pk: bigint;
  id: string;
  experimentId: number;
  name: string;
  lifecycleStage: string;
  /** The run's view_version when it was read (the key of its cached wire JSON, see run-wire.ts). */
  viewVersion: bigint;
  artifactUri: string;
}

export const runNotFound = (runId: string) => notFound(`Run with id=${runId} not found`);

export interface AccessRow {
  pk: bigint;
  id: string;
  experiment_id: number;
  name: string;
  lifecycle_stage: string;
  view_version: bigint;
  artifact_uri: string;
  owner_id: string | null;
  grant_level: string | null;
}

/**
 * The run and the actor's level facts as SQL (one row when the run exists): findRun's query, and
 * the `access` CTE of a write that checks and writes in one statement (runs.ts guardedRunWrites).
 */
export function runAccessSql(ctx: Pick<Ctx, "actor">, runId: string): Prisma.Sql {
  return Prisma.sql`${accessSelect(ctx)} WHERE r.id = ${runId}`;
}

/** The run from its access row, or the error: unreadable exactly like missing, 403 below `needed`. */
export function checkRunAccess(ctx: Pick<Ctx, "actor">, runId: string, row: AccessRow | undefined, needed: PermissionLevel): RunRef {
  const level = row ? levelOf(ctx, row) : null;
  if (!row || !levelAtLeast(level, "READ")) throw runNotFound(runId);
  if (!levelAtLeast(level, needed)) throw denied(`Permission denied: requires ${needed} on experiment ${row.experiment_id}`);
  return refOf(row);
}

/** Runs with their experiment's owner and the actor's grant; a WHERE on `r` follows. */
const accessSelect = (ctx: Pick<Ctx, "actor">) =>
  Prisma.sql`SELECT r.pk, r.id, r.experiment_id, r.name, r.lifecycle_stage::text AS lifecycle_stage, r.view_version, r.artifact_uri, e.owner_id::text AS owner_id,
      ${grantSql(ctx.actor, "e")} AS grant_level
    FROM run r JOIN experiment e ON e.id = r.experiment_id`;

const levelOf = (ctx: Pick<Ctx, "actor">, row: AccessRow) => resolveExperimentLevel(ctx.actor, { experimentId: row.experiment_id, ownerId: row.owner_id, grant: row.grant_level });

const refOf = (row: AccessRow): RunRef => ({
  pk: row.pk,
  id: row.id,
  experimentId: row.experiment_id,
  name: row.name,
  lifecycleStage: row.lifecycle_stage,
  viewVersion: row.view_version,
  artifactUri: row.artifact_uri,
});

/**
 * The run and the actor's level on its experiment in one query (the hot path of every log call).
 * A run the actor may not read is reported exactly like a missing one; below `needed` is a 403.
 */
export async function findRun(ctx: Ctx, runId: string, needed: PermissionLevel): Promise<RunRef> {
  validateRunId(runId);
  const [row] = await sqlQuery<AccessRow>(ctx.db, runAccessSql(ctx, runId), { prepare: true });
  return checkRunAccess(ctx, runId, row, needed);
}

/** Several runs at once (bulk metric reads): every id must exist and be readable. */
export async function findReadableRuns(ctx: Ctx, runIds: readonly string[]): Promise<Map<string, RunRef>> {
  runIds.forEach(validateRunId);
  const rows = await ctx.db.$queryRaw<AccessRow[]>`${accessSelect(ctx)} WHERE r.id = ANY(${[...runIds]}::text[])`;
  const out = new Map<string, RunRef>();
  for (const row of rows) if (levelAtLeast(levelOf(ctx, row), "READ")) out.set(row.id, refOf(row));
  return out;
}

export function assertRunActive(run: RunRef) {
  if (run.lifecycleStage !== "active") {
    throw invalid(`The run ${run.id} must be in the 'active' state. Current state is ${run.lifecycleStage}.`);
  }
}
