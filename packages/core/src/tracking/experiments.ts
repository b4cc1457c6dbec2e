import { Prisma } from "@modelgate/db";
import { type Ctx, actorUserId } from "../context.ts";
import { assertExperimentLevel, authorize, experimentLevel, experimentNotFound } from "../auth/permissions.ts";
import { recordAudit } from "../audit/record-audit.ts";
import { alreadyExists, invalid, notFound } from "../errors.ts";
import type { ExperimentView, PermissionLevel, TagView } from "./types.ts";
import { MAX_EXPERIMENT_NAME_LENGTH, dedupeTags, experimentPk, validateExperimentIdPattern, validateKey, validateTag, validateValue } from "./validate.ts";

const withTags = { tags: { orderBy: { key: "asc" } } } satisfies Prisma.ExperimentInclude;

type ExperimentRow = Prisma.ExperimentGetPayload<{ include: typeof withTags }>;

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
  const [e, level] = id === null ? [null, null] : await Promise.all([ctx.db.experiment.findUnique({ where: { id }, include: withTags }), experimentLevel(ctx, id)]);
  if (!e) throw experimentNotFound(experimentId);
  assertExperimentLevel(level, needed, experimentId);
  return e;
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

const isUniqueViolation = (e: unknown) => e instanceof Prisma.PrismaClientKnownRequestError && e.code === "P2002";
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
  const e = name.includes("\u0000") ? null : await ctx.db.experiment.findUnique({ where: { name }, include: withTags });
  if (!e || !(await experimentLevel(ctx, e.id))) throw notFound(`Could not find experiment with name '${name}'`);
  return toExperimentView(e);
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
