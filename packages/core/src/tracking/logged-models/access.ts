import type { Ctx } from "../../context.ts";
import { denied, notFound } from "../../errors.ts";
import { grantSql, levelAtLeast, resolveExperimentLevel } from "../../auth/permissions.ts";
import type { PermissionLevel } from "../types.ts";

// A logged model belongs to an experiment and is governed by the experiment's permissions: READ
// to see it, EDIT to create and change it, MANAGE to delete it. A model the caller may not read,
// a deleted one and a missing one are all answered alike (404), so ids cannot be probed.

export interface LoggedModelRef {
  pk: bigint;
  id: string;
  experimentId: number;
  name: string;
  status: string;
  artifactLocation: string;
  sourceRunId: string;
  lifecycleStage: string;
}

export const loggedModelNotFound = (modelId: string) => notFound(`Logged model with ID '${modelId}' not found.`);

interface Row {
  pk: bigint;
  id: string;
  experiment_id: number;
  name: string;
  status: string;
  artifact_location: string;
  source_run_id: string;
  lifecycle_stage: string;
  owner_id: string | null;
  grant_level: string | null;
}

/** Ids longer than any MLflow id, or holding NUL (Postgres text cannot), match nothing. */
export const queryableModelId = (modelId: string) => modelId.length <= 64 && !modelId.includes("\u0000");

/** What decides access to a model: its experiment's owner, the actor's grant on it, whether it is live. */
export interface LoggedModelAccessFacts {
  experimentId: number;
  ownerId: string | null;
  grant: string | null;
  lifecycleStage: string;
}

/** 404 when missing, deleted or unreadable; 403 below `needed`. */
export function assertLoggedModelLevel(ctx: Ctx, modelId: string, facts: LoggedModelAccessFacts | null, needed: PermissionLevel) {
  const level = facts ? resolveExperimentLevel(ctx.actor, { experimentId: facts.experimentId, ownerId: facts.ownerId, grant: facts.grant }) : null;
  if (!facts || facts.lifecycleStage !== "active" || !levelAtLeast(level, "READ")) throw loggedModelNotFound(modelId);
  if (!levelAtLeast(level, needed)) throw denied(`Permission denied: requires ${needed} on experiment ${facts.experimentId}`);
}

/** The live model and the actor's level on its experiment, in one query; 404 below READ, 403 below `needed`. */
export async function findLoggedModel(ctx: Ctx, modelId: string, needed: PermissionLevel): Promise<LoggedModelRef> {
  const rows = !queryableModelId(modelId) ? [] : await ctx.db.$queryRaw<Row[]>`
    SELECT m.pk, m.id, m.experiment_id, m.name, m.status::text AS status, m.artifact_location, m.source_run_id,
      m.lifecycle_stage::text AS lifecycle_stage, e.owner_id::text AS owner_id, ${grantSql(ctx.actor, "e")} AS grant_level
    FROM logged_model m JOIN experiment e ON e.id = m.experiment_id WHERE m.id = ${modelId}`;
  const row = rows[0];
  assertLoggedModelLevel(ctx, modelId, row ? { experimentId: row.experiment_id, ownerId: row.owner_id, grant: row.grant_level, lifecycleStage: row.lifecycle_stage } : null, needed);
  return {
    pk: row!.pk,
    id: row!.id,
    experimentId: row!.experiment_id,
    name: row!.name,
    status: row!.status,
    artifactLocation: row!.artifact_location,
    sourceRunId: row!.source_run_id,
    lifecycleStage: row!.lifecycle_stage,
  };
}
