import { Prisma, sqlQuery, isUniqueViolation } from "@modelgate/db";
import { type Ctx, actorUserId } from "../context.ts";
import { assertExperimentLevel, authorize, experimentNotFound, grantSql, resolveExperimentLevel } from "../auth/permissions.ts";
import { recordAudit } from "../audit/record-audit.ts";
import { alreadyExists, invalid, notFound } from "../errors.ts";
import type { ExperimentView, LifecycleStage, PermissionLevel, TagView } from "./types.ts";
import { MAX_EXPERIMENT_NAME_LENGTH, dedupeTags, experimentPk, validateExperimentIdPattern, validateKey, validateTag, validateValue } from "./validate.ts";

/** An experiment with its tags (in key order), as loadExperiment reads it. */
export interface ExperimentRow {
  id: number;
  name: string;
  artifactLocation: string;
  lifecycleStage: LifecycleStage;
  creationTime: bigint;
  lastUpdateTime: bigint;
  ownerId: string | null;
  tags: TagView[];
}

/**
 * The experiment with its tags and the actor's grant on it, by id or by name, in one prepared
 * statement (experiments/get and every run creation start here).
 */
async function experimentWithGrant(ctx: Ctx, where: { id: number } | { name: string }): Promise<{ e: ExperimentRow; level: PermissionLevel | null } | null> {
  const cond = "id" in where ? Prisma.sql`e.id = ${where.id}::int` : Prisma.sql`e.name = ${where.name}`;
  const [row] = await sqlQuery<ExperimentRow & { grant_level: string | null }>(
    ctx.db,
    Prisma.sql`SELECT e.id, e.name, e.artifact_location AS "artifactLocation", e.lifecycle_stage::text AS "lifecycleStage",
      e.creation_time AS "creationTime", e.last_update_time AS "lastUpdateTime", e.owner_id::text AS "ownerId",
      COALESCE((SELECT json_agg(json_build_object('key', t.key, 'value', t.value) ORDER BY t.key) FROM experiment_tag t WHERE t.experiment_id = e.id), '[]') AS tags,
      ${grantSql(ctx.actor, "e")} AS grant_level
    FROM experiment e WHERE ${cond}`,
    { prepare: true },
  );
  if (!row) return null;
  const { grant_level, ...e } = row;
  return { e, level: resolveExperimentLevel(ctx.actor, { experimentId: e.id, ownerId: e.ownerId, grant: grant_level }) };
}

export function toExperimentView(e: ExperimentRow): ExperimentView {
  return {
    experiment_id: String(e.id),
    name: e.name,
    artifact_location: e.artifactLocation,
    lifecycle_stage: e.lifecycleStage,
    last_update_time: Number(e.lastUpdateTime),
    creation_time: Number(e.creationTime),
    ...(e.tags.length ? { tags: e.tags.map((t) => ({ key: t.key, value: t.value })) } : {}),
  };
}

/** The experiment, if it exists and the actor holds `needed` on it (404 below READ, 403 below needed). */
export async function loadExperiment(ctx: Ctx, experimentId: string, needed: PermissionLevel): Promise<ExperimentRow> {
  validateExperimentIdPattern(experimentId);
  const id = experimentPk(experimentId);
  const found = id === null ? null : await experimentWithGrant(ctx, { id });
  if (!found) throw experimentNotFound(experimentId);
  assertExperimentLevel(found.level, needed, experimentId);
  return found.e;
}

export function assertExperimentActive(e: { id: number; lifecycleStage: string }) {
  if (e.lifecycleStage !== "active") {
    throw invalid(`The experiment ${e.id} must be in the 'active' state. Current state is ${e.lifecycleStage}.`);
  }
}

function validateName(name: string) {
  if (!name) throw invalid("Invalid experiment name: ''");
  validateValue("Experiment name", name);
  if (name.length > MAX_EXPERIMENT_NAME_LENGTH) {
    throw invalid(`Experiment name exceeds the maximum length of ${MAX_EXPERIMENT_NAME_LENGTH} characters (got ${name.length})`);
  }
}

const nameTaken = (name: string) => alreadyExists(`Experiment(name=${name}) already exists.`);

export interface CreateExperimentInput {
  name: string;
  artifact_location?: string | undefined;
  tags?: TagView[] | undefined;
}

/** Any user may create an experiment; the creator owns it (MANAGE). */
export async function createExperiment(ctx: Ctx, input: CreateExperimentInput): Promise<{ experiment_id: string }> {
  authorize(ctx.actor, "mlflow:use");
  validateName(input.name);
  if (input.artifact_location) validateValue("Artifact location", input.artifact_location);
  const tags = dedupeTags(input.tags ?? []);
  tags.forEach(validateTag);
  const now = BigInt(Date.now());
  try {
    return await ctx.db.$transaction(async (tx) => {
      const [{ id }] = await tx.$queryRaw<[{ id: number }]>`SELECT nextval(pg_get_serial_sequence('experiment', 'id'))::int AS id`;
      const e = await tx.experiment.create({
        data: {
          id,
          name: input.name,
          artifactLocation: input.artifact_location || `mlflow-artifacts:/${id}`,
          creationTime: now,
          lastUpdateTime: now,
          ownerId: actorUserId(ctx.actor),
          tags: { create: tags },
        },
      });
      await recordAudit(ctx, tx, { action: "experiment.create", resourceType: "experiment", resourceId: String(id), after: { name: e.name, artifact_location: e.artifactLocation } });
      return { experiment_id: String(id) };
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw nameTaken(input.name);
    throw e;
  }
}

export async function getExperiment(ctx: Ctx, experimentId: string): Promise<ExperimentView> {
  return toExperimentView(await loadExperiment(ctx, experimentId, "READ"));
}

export async function getExperimentByName(ctx: Ctx, name: string): Promise<ExperimentView> {
  const found = name.includes("\u0000") ? null : await experimentWithGrant(ctx, { name });
  if (!found?.level) throw notFound(`Could not find experiment with name '${name}'`);
  return toExperimentView(found.e);
}

export async function updateExperiment(ctx: Ctx, input: { experiment_id: string; new_name: string }): Promise<void> {
  const e = await loadExperiment(ctx, input.experiment_id, "EDIT");
  assertExperimentActive(e);
  validateName(input.new_name);
  if (input.new_name === e.name) return;
  try {
    await ctx.db.$transaction(async (tx) => {
      await tx.experiment.update({ where: { id: e.id }, data: { name: input.new_name, lastUpdateTime: BigInt(Date.now()) } });
      await recordAudit(ctx, tx, { action: "experiment.rename", resourceType: "experiment", resourceId: String(e.id), before: { name: e.name }, after: { name: input.new_name } });
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw nameTaken(input.new_name);
    throw err;
  }
}

/** MLflow only changes the experiment's stage: its runs keep theirs. */
async function setStage(ctx: Ctx, experimentId: string, stage: "active" | "deleted") {
  const e = await loadExperiment(ctx, experimentId, "MANAGE");
  if (e.lifecycleStage === stage) return;
  await ctx.db.$transaction(async (tx) => {
    await tx.experiment.update({ where: { id: e.id }, data: { lifecycleStage: stage, lastUpdateTime: BigInt(Date.now()) } });
    await recordAudit(ctx, tx, {
      action: stage === "deleted" ? "experiment.delete" : "experiment.restore",
      resourceType: "experiment",
      resourceId: String(e.id),
      before: { lifecycle_stage: e.lifecycleStage, name: e.name },
      after: { lifecycle_stage: stage, name: e.name },
    });
  });
}

export const deleteExperiment = (ctx: Ctx, input: { experiment_id: string }) => setStage(ctx, input.experiment_id, "deleted");
export const restoreExperiment = (ctx: Ctx, input: { experiment_id: string }) => setStage(ctx, input.experiment_id, "active");

export async function setExperimentTag(ctx: Ctx, input: { experiment_id: string; key: string; value: string }): Promise<void> {
  const e = await loadExperiment(ctx, input.experiment_id, "EDIT");
  assertExperimentActive(e);
  validateTag(input);
  await ctx.db.$transaction([
    ctx.db.experimentTag.upsert({
      where: { experimentId_key: { experimentId: e.id, key: input.key } },
      create: { experimentId: e.id, key: input.key, value: input.value },
      update: { value: input.value },
    }),
    ctx.db.experiment.update({ where: { id: e.id }, data: { lastUpdateTime: BigInt(Date.now()) } }),
  ]);
}

export async function deleteExperimentTag(ctx: Ctx, input: { experiment_id: string; key: string }): Promise<void> {
  const e = await loadExperiment(ctx, input.experiment_id, "EDIT");
  assertExperimentActive(e);
  validateKey("tag", input.key);
  const { count } = await ctx.db.experimentTag.deleteMany({ where: { experimentId: e.id, key: input.key } });
  if (count === 0) throw notFound(`No tag with name: ${input.key} in experiment with id ${input.experiment_id}`);
}
