import type { Ctx } from "../context.ts";
import { checkGrantLevel, setGrant } from "../auth/grants.ts";
import { loadExperiment } from "../tracking/experiments.ts";
import { EXPERIMENT_PERMISSION_LEVELS, type PermissionLevel } from "../tracking/types.ts";
import { loadModel } from "../registry/models.ts";
import { MODEL_PERMISSION_LEVELS, type ModelPermissionLevel } from "../registry/types.ts";
import { groupNotFound } from "./manage-groups.ts";

// Grants of an experiment or a model to a group. Same rule as per-user grants: MANAGE on the
// resource is needed to see or change them; every change is audited with the level before and
// after. Model grants hang on the model's id, so a rename keeps them.

export interface ExperimentGroupPermissionView {
  experiment_id: string;
  group_id: string;
  group: string;
  level: PermissionLevel;
}

export interface ModelGroupPermissionView {
  group_id: string;
  group: string;
  level: ModelPermissionLevel;
}

async function findGroup(ctx: Ctx, name: string) {
  const g = await ctx.db.group.findFirst({ where: { name: { equals: name, mode: "insensitive" } } });
  if (!g) throw groupNotFound(name);
  return g;
}

export async function listExperimentGroupPermissions(ctx: Ctx, experimentId: string): Promise<ExperimentGroupPermissionView[]> {
  const e = await loadExperiment(ctx, experimentId, "MANAGE");
  const rows = await ctx.db.experimentGroupPermission.findMany({ where: { experimentId: e.id }, include: { group: true }, orderBy: { group: { name: "asc" } } });
  return rows.map((r) => ({ experiment_id: String(e.id), group_id: r.groupId, group: r.group.name, level: r.level }));
}

/** Grants `level` on the experiment to the group, or removes the group's grant when level is null. */
export async function setExperimentGroupPermission(ctx: Ctx, input: { experiment_id: string; group: string; level: PermissionLevel | null }): Promise<void> {
  checkGrantLevel(input.level, EXPERIMENT_PERMISSION_LEVELS);
  const e = await loadExperiment(ctx, input.experiment_id, "MANAGE");
  const g = await findGroup(ctx, input.group);
  await setGrant(ctx, {
    on: "experimentGroup",
    resourceId: e.id,
    granteeId: g.id,
    level: input.level,
    audit: (before) => ({
      action: "experiment.group_permission_set",
      resourceType: "experiment",
      resourceId: String(e.id),
      before: { group: g.name, level: before },
      after: { group: g.name, level: input.level },
    }),
  });
}

export async function listModelGroupPermissions(ctx: Ctx, name: string): Promise<ModelGroupPermissionView[]> {
  const m = await loadModel(ctx, name, "MANAGE");
  const rows = await ctx.db.registeredModelGroupPermission.findMany({ where: { modelId: m.id }, include: { group: true }, orderBy: { group: { name: "asc" } } });
  return rows.map((r) => ({ group_id: r.groupId, group: r.group.name, level: r.level }));
}

/** Grants `level` on the model to the group, or removes the group's grant when level is null. */
export async function setModelGroupPermission(ctx: Ctx, input: { name: string; group: string; level: ModelPermissionLevel | null }): Promise<void> {
  checkGrantLevel(input.level, MODEL_PERMISSION_LEVELS);
  const m = await loadModel(ctx, input.name, "MANAGE");
  const g = await findGroup(ctx, input.group);
  await setGrant(ctx, {
    on: "modelGroup",
    resourceId: m.id,
    granteeId: g.id,
    level: input.level,
    audit: (before) => ({
      action: "registered_model.group_permission_set",
      resourceType: "registered_model",
      resourceId: String(m.id),
      before: { name: m.name, group: g.name, level: before },
      after: { name: m.name, group: g.name, level: input.level },
    }),
  });
}
