import crypto from "node:crypto";
import { Prisma, isUniqueViolation } from "@modelgate/db";
import { type Ctx, actorName, actorUserId } from "../context.ts";
import { recordActivity } from "../approvals/activities.ts";
import { recordAudit } from "../audit/record-audit.ts";
import { alreadyExists, invalid, notFound } from "../errors.ts";
import { modelLevelAtLeast, readableModelsSql, resolveModelLevel, modelGrantSql } from "../registry/access.ts";
import type { MlmodelView } from "../registry/mlmodel.ts";
import { loadModel } from "../registry/models.ts";
import type { ModelRef } from "../registry/types.ts";
import type { ModelPermissionLevel, Stage } from "../registry/types.ts";
import { canonicalStage, parseVersion, validateAlias } from "../registry/validate.ts";

// Serving endpoints: a name bound to a registered model and a target (a fixed version, an alias or
// a stage). Reading and invoking need READ on the model, creating and changing EDIT, deleting
// MANAGE. What an endpoint serves is resolved here; loading and scoring live in packages/serving.

export type EndpointTarget = { kind: "VERSION"; version: number } | { kind: "ALIAS"; alias: string } | { kind: "STAGE"; stage: Stage };

export interface EndpointView {
  id: string;
  name: string;
  model_name: string;
  target: EndpointTarget;
  /** `fraud@champion`, `fraud/Production` or `fraud/3`. */
  target_label: string;
  enabled: boolean;
  /** The version last resolved and served (null before the first resolution). */
  served_version: number | null;
  creator: string;
  created_at: number;
  updated_at: number;
  /** The caller's level on the model (the portal shows actions by it). */
  permission_level: ModelPermissionLevel;
  /** What the caller may do with it (ENDPOINT_ACTION_LEVEL), so the portal shows only those actions. */
  can: { update: boolean; delete: boolean };
}

/** What each endpoint action needs on the endpoint's model: the one table the checks and `can` read. */
export const ENDPOINT_ACTION_LEVEL = { invoke: "READ", create: "EDIT", update: "EDIT", delete: "MANAGE" } as const satisfies Record<string, ModelPermissionLevel>;

const NAME = /^[A-Za-z0-9][\w-]{0,62}$/;

/** Names the portal uses for its own pages under /serving. */
const RESERVED = new Set(["batch"]);

function validateEndpointName(name: string) {
  if (!NAME.test(name)) throw invalid(`Invalid serving endpoint name '${name}': use 1 to 63 letters, digits, '-' or '_', starting with a letter or digit.`);
  if (RESERVED.has(name.toLowerCase())) throw invalid(`Serving endpoint name '${name}' is reserved.`);
}

export function targetLabel(model: string, t: EndpointTarget): string {
  return t.kind === "VERSION" ? `${model}/${t.version}` : t.kind === "ALIAS" ? `${model}@${t.alias}` : `${model}/${t.stage}`;
}

export interface TargetInput {
  version?: string | number | undefined;
  alias?: string | undefined;
  stage?: string | undefined;
}

export function parseEndpointTarget(t: TargetInput): EndpointTarget {
  const given = [t.version !== undefined && t.version !== "", Boolean(t.alias), Boolean(t.stage)].filter(Boolean).length;
  if (given !== 1) throw invalid("A served entity names exactly one of entity_version, entity_alias or entity_stage");
  if (t.alias) {
    validateAlias(t.alias);
    return { kind: "ALIAS", alias: t.alias };
  }
  if (t.stage) return { kind: "STAGE", stage: canonicalStage(t.stage) };
  return { kind: "VERSION", version: parseVersion(t.version!) };
}

type EndpointRow = Prisma.ServingEndpointGetPayload<{ include: { model: { select: { name: true } } } }>;

function toView(r: EndpointRow, level: ModelPermissionLevel): EndpointView {
  const target: EndpointTarget =
    r.targetKind === "VERSION" ? { kind: "VERSION", version: r.version! } : r.targetKind === "ALIAS" ? { kind: "ALIAS", alias: r.alias! } : { kind: "STAGE", stage: r.stage! };
  return {
    id: r.id,
    name: r.name,
    model_name: r.model.name,
    target,
    target_label: targetLabel(r.model.name, target),
    enabled: r.enabled,
    served_version: r.servedVersion,
    creator: r.creatorName,
    created_at: Number(r.createdAt),
    updated_at: Number(r.updatedAt),
    permission_level: level,
    can: { update: modelLevelAtLeast(level, ENDPOINT_ACTION_LEVEL.update), delete: modelLevelAtLeast(level, ENDPOINT_ACTION_LEVEL.delete) },
  };
}

export interface ResolvedVersion {
  pk: bigint;
  version: number;
  /** Where the files are in our store (null: not in our store, so not servable). */
  storePath: string | null;
  status: string;
  mlmodel: MlmodelView | null;
}

/** The live version an endpoint's target points at now, or null (nothing in that stage, alias unset). */
export async function resolveTarget(db: Ctx["db"], modelId: number, t: EndpointTarget): Promise<ResolvedVersion | null> {
  const select = { pk: true, version: true, storePath: true, status: true, mlmodel: true } as const;
  let row: { pk: bigint; version: number; storePath: string | null; status: string; mlmodel: Prisma.JsonValue } | null;
  if (t.kind === "VERSION") row = await db.modelVersion.findFirst({ where: { modelId, version: t.version, deletedTimestamp: null }, select });
  else if (t.kind === "ALIAS") row = (await db.registeredModelAlias.findUnique({ where: { modelId_alias: { modelId, alias: t.alias } }, select: { version: { select } } }))?.version ?? null;
  else row = await db.modelVersion.findFirst({ where: { modelId, currentStage: t.stage, deletedTimestamp: null, status: "READY" }, orderBy: { version: "desc" }, select });
  return row ? { pk: row.pk, version: row.version, storePath: row.storePath, status: row.status, mlmodel: row.mlmodel as MlmodelView | null } : null;
}

const ONNX_HELP =
  "Serving runs ONNX models: log an ONNX export of the model as well, e.g. mlflow.onnx.log_model(onnx_model, \"model\") after converting it with skl2onnx (scikit-learn), torch.onnx.export (PyTorch) or tf2onnx (TensorFlow/Keras).";

/** Refuses a version that cannot be served, with the reason in words. */
export function assertServable(model: string, v: ResolvedVersion | null, t: EndpointTarget) {
  const label = targetLabel(model, t);
  if (!v) throw invalid(`${label} does not point at any version yet: promote or alias a version first.`);
  if (v.status !== "READY") throw invalid(`Version ${v.version} of '${model}' is ${v.status}, not READY.`);
  if (!v.mlmodel) throw invalid(`Version ${v.version} of '${model}' has no MLmodel file in Modelgate's artifact store. ${ONNX_HELP}`);
  const flavors = v.mlmodel.flavor_names ?? Object.keys(v.mlmodel.flavors ?? {});
  if (!flavors.includes("onnx")) {
    throw invalid(`Version ${v.version} of '${model}' has no onnx flavor (flavors found: ${flavors.join(", ") || "none"}). ${ONNX_HELP}`);
  }
  if (!v.storePath) throw invalid(`Version ${v.version} of '${model}' is not stored in Modelgate's artifact store, so it cannot be served.`);
}

async function loadEndpoint(ctx: Ctx, name: string, needed: ModelPermissionLevel): Promise<{ row: EndpointRow; model: ModelRef }> {
  validateEndpointName(name);
  const row = await ctx.db.servingEndpoint.findUnique({ where: { name }, include: { model: { select: { name: true } } } });
  const missing = () => notFound(`Serving endpoint '${name}' does not exist`);
  if (!row) throw missing();
  const model = await loadModel(ctx, row.model.name, "READ").catch(() => {
    throw missing();
  });
  if (!modelLevelAtLeast(model.level, needed)) await loadModel(ctx, row.model.name, needed); // throws the 403
  return { row, model };
}

export interface CreateEndpointInput extends TargetInput {
  name: string;
  model_name: string;
  enabled?: boolean | undefined;
}

export async function createServingEndpoint(ctx: Ctx, input: CreateEndpointInput): Promise<EndpointView> {
  validateEndpointName(input.name);
  const target = parseEndpointTarget(input);
  const model = await loadModel(ctx, input.model_name, ENDPOINT_ACTION_LEVEL.create);
  const resolved = await resolveTarget(ctx.db, model.id, target);
  assertServable(model.name, resolved, target);
  const now = BigInt(Date.now());
  try {
    const row = await ctx.db.$transaction(async (tx) => {
      const r = await tx.servingEndpoint.create({
        data: {
          id: crypto.randomBytes(16).toString("hex"),
          name: input.name,
          modelId: model.id,
          targetKind: target.kind,
          version: target.kind === "VERSION" ? target.version : null,
          alias: target.kind === "ALIAS" ? target.alias : null,
          stage: target.kind === "STAGE" ? target.stage : null,
          enabled: input.enabled ?? true,
          createdBy: actorUserId(ctx.actor),
          creatorName: actorName(ctx.actor),
          createdAt: now,
          updatedAt: now,
        },
        include: { model: { select: { name: true } } },
      });
      await recordAudit(ctx, tx, { action: "serving.endpoint_create", resourceType: "serving_endpoint", resourceId: r.id, after: { name: r.name, target: targetLabel(model.name, target), enabled: r.enabled } });
      return r;
    });
    return toView(row, model.level);
  } catch (e) {
    if (isUniqueViolation(e)) throw alreadyExists(`Serving endpoint '${input.name}' already exists.`);
    throw e;
  }
}

export async function getServingEndpoint(ctx: Ctx, name: string): Promise<EndpointView> {
  const { row, model } = await loadEndpoint(ctx, name, ENDPOINT_ACTION_LEVEL.invoke);
  return toView(row, model.level);
}

/** Endpoints of models the caller may read (optionally of one model), by name. */
export async function listServingEndpoints(ctx: Ctx, input: { model_name?: string | undefined } = {}): Promise<EndpointView[]> {
  const rows = await ctx.db.$queryRaw<{ id: string; owner_id: string | null; grant_level: string | null }[]>`
    SELECT s.id, m.owner_id::text AS owner_id, ${modelGrantSql(ctx.actor)} AS grant_level
    FROM serving_endpoint s JOIN registered_model m ON m.id = s.model_id
    WHERE ${readableModelsSql(ctx)} ${input.model_name ? Prisma.sql`AND m.name = ${input.model_name}` : Prisma.empty}
    ORDER BY s.name COLLATE "C"`;
  const levels = new Map(rows.map((r) => [r.id, resolveModelLevel(ctx.actor, { ownerId: r.owner_id, grant: r.grant_level })]));
  const full = await ctx.db.servingEndpoint.findMany({ where: { id: { in: rows.map((r) => r.id) } }, include: { model: { select: { name: true } } } });
  return full.flatMap((r) => {
    const level = levels.get(r.id);
    return level ? [toView(r, level)] : [];
  }).sort((a, b) => (a.name < b.name ? -1 : 1));
}

export interface UpdateEndpointInput extends TargetInput {
  name: string;
  /** When given, must be the model the endpoint serves: an endpoint's model never changes. */
  model_name?: string | undefined;
  enabled?: boolean | undefined;
}

/** Changes the target (checked servable) and/or enables or disables the endpoint. */
export async function updateServingEndpoint(ctx: Ctx, input: UpdateEndpointInput): Promise<EndpointView> {
  const { row, model } = await loadEndpoint(ctx, input.name, ENDPOINT_ACTION_LEVEL.update);
  if (input.model_name !== undefined && input.model_name !== model.name) {
    throw invalid(`Endpoint '${row.name}' serves '${model.name}': create another endpoint to serve '${input.model_name}'`);
  }
  const retarget = input.version !== undefined || input.alias !== undefined || input.stage !== undefined;
  const target = retarget ? parseEndpointTarget(input) : null;
  if (target) assertServable(model.name, await resolveTarget(ctx.db, model.id, target), target);
  const updated = await ctx.db.$transaction(async (tx) => {
    const r = await tx.servingEndpoint.update({
      where: { id: row.id },
      data: {
        ...(target
          ? { targetKind: target.kind, version: target.kind === "VERSION" ? target.version : null, alias: target.kind === "ALIAS" ? target.alias : null, stage: target.kind === "STAGE" ? target.stage : null }
          : {}),
        ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
        updatedAt: BigInt(Date.now()),
      },
      include: { model: { select: { name: true } } },
    });
    await recordAudit(ctx, tx, {
      action: "serving.endpoint_update",
      resourceType: "serving_endpoint",
      resourceId: r.id,
      before: { target: toView(row, model.level).target_label, enabled: row.enabled },
      after: { target: toView(r, model.level).target_label, enabled: r.enabled },
    });
    return r;
  });
  return toView(updated, model.level);
}

export async function deleteServingEndpoint(ctx: Ctx, input: { name: string }): Promise<void> {
  const { row } = await loadEndpoint(ctx, input.name, ENDPOINT_ACTION_LEVEL.delete);
  await ctx.db.$transaction(async (tx) => {
    await tx.servingEndpoint.delete({ where: { id: row.id } });
    await recordAudit(ctx, tx, { action: "serving.endpoint_delete", resourceType: "serving_endpoint", resourceId: row.id, before: { name: row.name } });
  });
}

/** For the invocation path: the endpoint (READ on its model) and what it serves right now. */
export async function endpointForInvocation(ctx: Ctx, name: string): Promise<{ endpoint: EndpointView; modelId: number; resolved: ResolvedVersion | null }> {
  const actor = ctx.actor;
  if (actor.kind === "user" && actor.endpointScope) {
    // a scoped token acts as its user for its one endpoint; any other looks missing
    const scoped = await ctx.db.servingEndpoint.findUnique({ where: { name }, select: { id: true } });
    if (scoped?.id !== actor.endpointScope) throw notFound(`Serving endpoint '${name}' does not exist`);
    ctx = { ...ctx, actor: { ...actor, endpointScope: undefined } };
  }
  const { row, model } = await loadEndpoint(ctx, name, ENDPOINT_ACTION_LEVEL.invoke);
  const view = toView(row, model.level);
  return { endpoint: view, modelId: model.id, resolved: await resolveTarget(ctx.db, model.id, view.target) };
}

/**
 * Records that an endpoint now serves `to` (was `from`): the endpoint's served_version, an
 * activity on the version (and on the previous one), and an audit event. Called by the serving
 * runtime when it notices the switch; a no-op when another process recorded it first.
 */
export async function recordServingSwitch(ctx: Ctx, input: { endpointId: string; from: number | null; to: number | null }): Promise<boolean> {
  return ctx.db.$transaction(async (tx) => {
    const { count } = await tx.servingEndpoint.updateMany({ where: { id: input.endpointId, servedVersion: input.from }, data: { servedVersion: input.to } });
    if (count === 0) return false;
    const ep = await tx.servingEndpoint.findUniqueOrThrow({ where: { id: input.endpointId }, include: { model: { select: { name: true } } } });
    const versions = await tx.modelVersion.findMany({ where: { modelId: ep.modelId, version: { in: [input.from, input.to].filter((v): v is number => v !== null) } }, select: { pk: true, version: true } });
    for (const v of versions) {
      const text = v.version === input.to ? `Endpoint '${ep.name}' now serves version ${input.to}${input.from !== null ? ` (was ${input.from})` : ""}` : `Endpoint '${ep.name}' stopped serving version ${v.version} (now ${input.to ?? "nothing"})`;
      await recordActivity(ctx, tx, { modelId: ep.modelId, versionPk: v.pk, type: "SERVING_SWITCHED", systemComment: text, system: true });
    }
    await recordAudit(ctx, tx, { action: "serving.switch", resourceType: "serving_endpoint", resourceId: ep.id, before: { version: input.from }, after: { name: ep.name, model: ep.model.name, version: input.to } });
    return true;
  });
}

/** Names of the enabled endpoints (the serving runtime loads what they serve at start). */
export async function listEnabledEndpointNames(db: Ctx["db"]): Promise<string[]> {
  const rows = await db.servingEndpoint.findMany({ where: { enabled: true }, select: { name: true } });
  return rows.map((r) => r.name);
}
