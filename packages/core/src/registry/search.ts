import { Prisma } from "@modelgate/db";
import type { Ctx } from "../context.ts";
import { decodePageToken, encodePageToken } from "../tracking/search/page-token.ts";
import { validateMaxResults } from "../tracking/search/search-runs.ts";
import { readableModelsSql } from "./access.ts";
import { modelFilterSql, modelOrderSql, parseModelFilter, parseModelOrderBy, parseVersionFilter, parseVersionOrderBy, versionFilterSql, versionOrderSql } from "./search-filter.ts";
import type { ModelVersionView, RegisteredModelView } from "./types.ts";
import { loadModelViews, loadVersionViews } from "./views.ts";

// registered-models/search and model-versions/search over what the caller may read, with MLflow's
// filter grammar, order_by, limits and offset page tokens.

export const MAX_MODELS_PER_PAGE = 1000;
export const DEFAULT_MODELS_PER_PAGE = 100;
export const MAX_VERSIONS_PER_PAGE = 200_000;

export interface SearchInput {
  filter?: string | undefined;
  max_results?: number | undefined;
  order_by?: readonly string[] | undefined;
  page_token?: string | undefined;
}

export async function searchRegisteredModels(ctx: Ctx, input: SearchInput): Promise<{ registered_models: RegisteredModelView[]; next_page_token?: string }> {
  const limit = validateMaxResults(input.max_results, DEFAULT_MODELS_PER_PAGE, MAX_MODELS_PER_PAGE);
  const offset = decodePageToken(input.page_token);
  const where = [readableModelsSql(ctx), ...modelFilterSql(parseModelFilter(input.filter))];
  const order = modelOrderSql(parseModelOrderBy(input.order_by ?? []));
  const rows = await ctx.db.$queryRaw<{ id: number }[]>`
    SELECT m.id FROM registered_model m WHERE ${Prisma.join(where, " AND ")} ORDER BY ${order} LIMIT ${limit + 1} OFFSET ${offset}`;
  const registered_models = await loadModelViews(ctx.db, rows.slice(0, limit).map((r) => r.id));
  return rows.length > limit ? { registered_models, next_page_token: encodePageToken(offset + limit) } : { registered_models };
}

export async function searchModelVersions(ctx: Ctx, input: SearchInput): Promise<{ model_versions: ModelVersionView[]; next_page_token?: string }> {
  const limit = validateMaxResults(input.max_results, MAX_VERSIONS_PER_PAGE, MAX_VERSIONS_PER_PAGE);
  const offset = decodePageToken(input.page_token);
  const where = [Prisma.sql`v.deleted_timestamp IS NULL`, readableModelsSql(ctx), ...versionFilterSql(parseVersionFilter(input.filter))];
  const order = versionOrderSql(parseVersionOrderBy(input.order_by ?? []));
  const rows = await ctx.db.$queryRaw<{ pk: bigint }[]>`
    SELECT v.pk FROM model_version v JOIN registered_model m ON m.id = v.model_id
    WHERE ${Prisma.join(where, " AND ")} ORDER BY ${order} LIMIT ${limit + 1} OFFSET ${offset}`;
  const model_versions = await loadVersionViews(ctx.db, rows.slice(0, limit).map((r) => r.pk));
  return rows.length > limit ? { model_versions, next_page_token: encodePageToken(offset + limit) } : { model_versions };
}
