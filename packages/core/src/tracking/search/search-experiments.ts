import { Prisma } from "@modelgate/db";
import type { Ctx } from "../../context.ts";
import { readableExperimentsSql } from "../../auth/permissions.ts";
import { toExperimentView } from "../experiments.ts";
import type { ExperimentView, ViewType } from "../types.ts";
import { parseExperimentFilter, parseExperimentOrderByList, type ExperimentFilterClause } from "./experiment-filter.ts";
import type { ExperimentOrderBy } from "./order-by.ts";
import { decodePageToken, encodePageToken } from "./page-token.ts";
import { validateMaxResults } from "./search-runs.ts";

// experiments/search over the experiments the caller may read. max_results has no default here:
// MLflow rejects a missing one (the client always sends 1000).

export interface SearchExperimentsInput {
  filter?: string | undefined;
  max_results?: number | undefined;
  order_by?: readonly string[] | undefined;
  view_type?: ViewType | undefined;
  page_token?: string | undefined;
}

export interface SearchExperimentsResult {
  experiments: ExperimentView[];
  next_page_token?: string;
}

const SQL_OP: Record<string, string> = { ">": ">", ">=": ">=", "<": "<", "<=": "<=", "=": "=", "!=": "<>", LIKE: "LIKE", ILIKE: "ILIKE" };

function condition(c: ExperimentFilterClause): Prisma.Sql {
  const op = Prisma.raw(SQL_OP[c.comparator]!);
  if (c.type === "tag") return Prisma.sql`EXISTS (SELECT 1 FROM experiment_tag t WHERE t.experiment_id = e.id AND t.key = ${c.key} AND t.value ${op} ${c.value})`;
  if (c.key === "name") return Prisma.sql`e.name ${op} ${c.value}`;
  const column = Prisma.raw(`e.${c.key}`);
  const value = /^-?\d{1,18}$/.test(c.literal) ? Prisma.sql`${c.literal}::bigint` : Prisma.sql`${c.literal}::numeric`;
  return Prisma.sql`${column} ${op} ${value}`;
}

const ORDER_COLUMN: Record<ExperimentOrderBy["key"], string> = {
  name: 'e.name COLLATE "C"',
  experiment_id: "e.id",
  creation_time: "e.creation_time",
  last_update_time: "e.last_update_time",
};

/** MLflow's default is creation_time DESC, experiment_id ASC; otherwise ties go to experiment_id DESC. */
function orderSql(orderBy: ExperimentOrderBy[]): Prisma.Sql {
  const terms: ExperimentOrderBy[] = orderBy.length
    ? [...orderBy, ...(orderBy.some((o) => o.key === "experiment_id") ? [] : [{ key: "experiment_id" as const, ascending: false }])]
    : [{ key: "creation_time", ascending: false }, { key: "experiment_id", ascending: true }];
  return Prisma.join(terms.map((o) => Prisma.raw(`${ORDER_COLUMN[o.key]} ${o.ascending ? "ASC" : "DESC"}`)), ", ");
}

function stageSql(viewType: ViewType): Prisma.Sql[] {
  if (viewType === "ACTIVE_ONLY") return [Prisma.sql`e.lifecycle_stage = 'active'`];
  if (viewType === "DELETED_ONLY") return [Prisma.sql`e.lifecycle_stage = 'deleted'`];
  return [];
}

export async function searchExperiments(ctx: Ctx, input: SearchExperimentsInput): Promise<SearchExperimentsResult> {
  const maxResults = validateMaxResults(input.max_results, undefined);
  const offset = decodePageToken(input.page_token);
  const clauses = parseExperimentFilter(input.filter);
  const orderBy = parseExperimentOrderByList(input.order_by ?? []);
  const where = [readableExperimentsSql(ctx, "e"), ...stageSql(input.view_type ?? "ACTIVE_ONLY"), ...clauses.map(condition)];
  const rows = await ctx.db.$queryRaw<{ id: number }[]>`
    SELECT e.id FROM experiment e WHERE ${Prisma.join(where, " AND ")} ORDER BY ${orderSql(orderBy)} LIMIT ${maxResults + 1} OFFSET ${offset}`;
  const ids = rows.slice(0, maxResults).map((r) => r.id);
  const found = await ctx.db.experiment.findMany({ where: { id: { in: ids } }, include: { tags: { orderBy: { key: "asc" } } } });
  const byId = new Map(found.map((e) => [e.id, e]));
  const experiments = ids.flatMap((id) => {
    const e = byId.get(id);
    return e ? [toExperimentView(e)] : [];
  });
  return rows.length > maxResults ? { experiments, next_page_token: encodePageToken(offset + maxResults) } : { experiments };
}
