import type { Ctx } from "../context.ts";
import { isDomainError } from "../errors.ts";
import { getRun } from "../tracking/runs.ts";
import type { RunView } from "../tracking/types.ts";
import { readableModelsSql } from "./access.ts";
import { diffSignatures, type SignatureDiffRow } from "./mlmodel.ts";
import { loadModel } from "./models.ts";
import { searchRegisteredModels, type SearchInput } from "./search.ts";
import type { ModelPermissionLevel, ModelVersionDetail, ModelVersionView, RegisteredModelView } from "./types.ts";
import { getModelVersionDetail } from "./versions.ts";
import { loadModelViews, loadVersionViews } from "./views.ts";
import { decodePageToken, encodePageToken } from "../tracking/search/page-token.ts";

// What the portal needs beyond the MLflow wire shapes: owners, a model's versions without a filter
// string, and the side-by-side comparison of two versions.

export interface PortalModelView extends RegisteredModelView {
  owner: string | null;
}

async function ownersOf(ctx: Ctx, names: readonly string[]): Promise<Map<string, string | null>> {
  if (names.length === 0) return new Map();
  const rows = await ctx.db.$queryRaw<{ name: string; owner: string | null }[]>`
    SELECT m.name, u.username AS owner FROM registered_model m LEFT JOIN "user" u ON u.id = m.owner_id
    WHERE m.name = ANY(${[...names]}::text[])`;
  return new Map(rows.map((r) => [r.name, r.owner]));
}

/** registered-models/search plus each model's owner. */
export async function searchModelsForPortal(ctx: Ctx, input: SearchInput): Promise<{ registered_models: PortalModelView[]; next_page_token?: string }> {
  const out = await searchRegisteredModels(ctx, input);
  const owners = await ownersOf(ctx, out.registered_models.map((m) => m.name));
  return { ...out, registered_models: out.registered_models.map((m) => ({ ...m, owner: owners.get(m.name) ?? null })) };
}

export interface ModelDetail extends PortalModelView {
  /** The model's stable id (Databricks' registered_model_databricks.id). */
  id: string;
  /** The caller's level on it. */
  permission_level: ModelPermissionLevel;
}

/** One model with its owner, id and the caller's level (the portal's model page, Databricks' get). */
export async function getModelForPortal(ctx: Ctx, name: string): Promise<ModelDetail> {
  const m = await loadModel(ctx, name, "READ");
  const [views, owners] = await Promise.all([loadModelViews(ctx.db, [m.id]), ownersOf(ctx, [m.name])]);
  return { ...views[0]!, owner: owners.get(m.name) ?? null, id: String(m.id), permission_level: m.level };
}

/** A model's live versions, newest first, in pages (the versions table). */
export async function listModelVersions(ctx: Ctx, input: { name: string; max_results?: number | undefined; page_token?: string | undefined }): Promise<{ model_versions: ModelVersionView[]; next_page_token?: string }> {
  const m = await loadModel(ctx, input.name, "READ");
  const limit = Math.min(Math.max(input.max_results ?? 100, 1), 1000);
  const offset = decodePageToken(input.page_token);
  const rows = await ctx.db.$queryRaw<{ pk: bigint }[]>`
    SELECT v.pk FROM model_version v WHERE v.model_id = ${m.id} AND v.deleted_timestamp IS NULL
    ORDER BY v.version DESC LIMIT ${limit + 1} OFFSET ${offset}`;
  const model_versions = await loadVersionViews(ctx.db, rows.slice(0, limit).map((r) => r.pk));
  return rows.length > limit ? { model_versions, next_page_token: encodePageToken(offset + limit) } : { model_versions };
}

/** Model names the caller may read that start with `prefix` (the "register model" picker). */
export async function suggestModelNames(ctx: Ctx, prefix: string): Promise<string[]> {
  const like = `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const rows = await ctx.db.$queryRaw<{ name: string }[]>`
    SELECT m.name FROM registered_model m WHERE ${readableModelsSql(ctx)} AND m.name ILIKE ${like} ORDER BY m.name COLLATE "C" LIMIT 20`;
  return rows.map((r) => r.name);
}

export interface VersionSide {
  version: ModelVersionDetail;
  /** The source run, when there is one and the caller may read it. */
  run: RunView | null;
}

export interface VersionComparison {
  left: VersionSide;
  right: VersionSide;
  signature: SignatureDiffRow[];
}

async function side(ctx: Ctx, name: string, version: string): Promise<VersionSide> {
  const detail = await getModelVersionDetail(ctx, { name, version });
  let run: RunView | null = null;
  if (detail.run_id) {
    try {
      run = await getRun(ctx, detail.run_id);
    } catch (e) {
      if (!isDomainError(e)) throw e; // unreadable or gone: the comparison shows no run
    }
  }
  return { version: detail, run };
}

/** Two versions side by side: their runs' params and metrics, and the signature differences. */
export async function compareModelVersions(ctx: Ctx, input: { name: string; left: string; right: string; right_name?: string | undefined }): Promise<VersionComparison> {
  const [left, right] = await Promise.all([side(ctx, input.name, input.left), side(ctx, input.right_name ?? input.name, input.right)]);
  return { left, right, signature: diffSignatures(left.version.mlmodel?.signature ?? null, right.version.mlmodel?.signature ?? null) };
}
