import { LRUCache } from "lru-cache";
import { Prisma, sqlQuery } from "@modelgate/db";
import type { Ctx } from "../../context.ts";
import { invalid } from "../../errors.ts";
import { readableExperimentsSql } from "../../auth/permissions.ts";
import { WireJson } from "../../wire-json.ts";
import { loadRunViews } from "../load-runs.ts";
import { parseRunVersions, runBodies, runVersionsSql, type VersionedRun } from "../run-wire.ts";
import { experimentPk } from "../validate.ts";
import type { RunView, ViewType } from "../types.ts";
import { parseRunOrderBy } from "./order-by.ts";
import { MAX_RESULTS_THRESHOLD, decodePageToken, encodePageToken } from "./page-token.ts";
import { parseRunFilter } from "./run-filter.ts";
import { PROBE_LIMIT, lifecycleConditions, runCountSql, runPageSql, type RunQuery } from "./run-sql.ts";

// runs/search: the filter, view type and order become one SQL query for the page's run keys, then
// loadRunViews fills the page. Only runs of experiments the caller may read come back; an
// unreadable experiment id behaves exactly like a missing one.

export interface SearchRunsInput {
  experiment_ids: readonly string[];
  filter?: string | undefined;
  run_view_type?: ViewType | undefined;
  max_results?: number | undefined;
  order_by?: readonly string[] | undefined;
  page_token?: string | undefined;
}

export interface SearchRunsResult {
  runs: RunView[];
  next_page_token?: string;
}

export const DEFAULT_MAX_RESULTS = 1000;

export function validateMaxResults(maxResults: number | undefined, fallback: number | undefined, limit = MAX_RESULTS_THRESHOLD): number {
  const n = maxResults ?? fallback;
  if (n === undefined || !Number.isInteger(n) || n < 1) {
    throw invalid(`Invalid value for request parameter max_results. It must be a positive integer, but got ${n ?? 0}`);
  }
  if (n > limit) throw invalid(`Invalid value for request parameter max_results. It must be at most ${limit}, but got value ${n}`);
  return n;
}

interface Scope {
  experimentIds: number[];
  /** Candidate runs (scope and view type), each experiment counted only up to PROBE_LIMIT + 1. */
  candidates: number;
}

/**
 * Experiment ids (decimal strings) that exist and that the caller may read, with a bounded count
 * of their runs in the same round trip (it decides the query plan, see RunQuery.probe).
 */
async function readableScope(ctx: Ctx, experimentIds: readonly string[], viewType: ViewType): Promise<Scope> {
  const ids = [...new Set(experimentIds.map(experimentPk).filter((id) => id !== null))];
  if (ids.length === 0) return { experimentIds: [], candidates: 0 };
  const rows = await ctx.db.$queryRaw<{ id: number; n: number }[]>`
    SELECT e.id, (SELECT count(*) FROM (SELECT 1 FROM run r WHERE ${Prisma.join([Prisma.sql`r.experiment_id = e.id`, ...lifecycleConditions(viewType)], " AND ")} LIMIT ${PROBE_LIMIT + 1}) c)::int AS n
    FROM experiment e WHERE e.id = ANY(${ids.map(String)}::text[]::int[]) AND ${readableExperimentsSql(ctx, "e")} ORDER BY e.id`;
  for (const r of rows) candidateCounts.set(`${viewType}:${r.id}`, r.n);
  return { experimentIds: rows.map((r) => r.id), candidates: rows.reduce((sum, r) => sum + r.n, 0) };
}

// How many runs each experiment holds (bounded) only picks a query plan, so it is remembered for a
// few seconds: a search then checks the caller's access inside its page query (RunQuery.readable)
// instead of in a round trip of its own.
const candidateCounts = new LRUCache<string, number>({ max: 10_000, ttl: 10_000 });

/** The search's experiments and plan: from remembered counts, or from readableScope (which refreshes them). */
async function searchScope(ctx: Ctx, experimentIds: readonly string[], viewType: ViewType): Promise<Scope & { readable?: Prisma.Sql }> {
  const ids = [...new Set(experimentIds.map(experimentPk).filter((id) => id !== null))];
  const counts = ids.map((id) => candidateCounts.get(`${viewType}:${id}`));
  if (ids.length && counts.every((n) => n !== undefined)) {
    return { experimentIds: ids, candidates: counts.reduce((a, n) => a + n, 0), readable: readableExperimentsSql(ctx, "e") };
  }
  return readableScope(ctx, experimentIds, viewType);
}

/** Parses and checks everything first, so a bad request never reaches the database. */
async function toQuery(ctx: Ctx, input: Omit<SearchRunsInput, "max_results" | "page_token">): Promise<RunQuery> {
  const clauses = parseRunFilter(input.filter);
  const orderBy = (input.order_by ?? []).map(parseRunOrderBy);
  const viewType = input.run_view_type ?? "ACTIVE_ONLY";
  const scope = await searchScope(ctx, input.experiment_ids, viewType);
  const q: RunQuery = { experimentIds: scope.experimentIds, readable: scope.readable, clauses, viewType, orderBy, probe: scope.candidates <= PROBE_LIMIT };
  if (q.probe && scope.candidates > 0) q.probe = !(await metricKeysAreRare(ctx, q, scope.candidates));
  return q;
}

// Probing each candidate run by primary key beats scanning a metric key's rows in every
// experiment, unless that key is rare in the whole database: then joining its rows (through the
// latest_metric (key, value, run_pk) index) is cheaper still. Only metric keys can be counted
// cheaply, so only searches whose keys are all metrics are considered. The counts pick a plan and
// nothing else, so they are remembered for a few seconds.
const RARE_KEY_FACTOR = 4;
const KEY_COUNT_CAP = RARE_KEY_FACTOR * PROBE_LIMIT + 1;
const keyRowCounts = new LRUCache<string, number>({ max: 10_000, ttl: 10_000 });

async function metricKeysAreRare(ctx: Ctx, q: RunQuery, candidates: number): Promise<boolean> {
  const keyed = [...q.clauses.filter((c) => c.type !== "attribute" && c.type !== "dataset"), ...q.orderBy.filter((o) => o.type !== "attribute")];
  if (keyed.length === 0 || keyed.some((k) => k.type !== "metric")) return false;
  const keys = [...new Set(keyed.map((k) => k.key))];
  const unknown = keys.filter((k) => !keyRowCounts.has(k));
  if (unknown.length) {
    const rows = await ctx.db.$queryRaw<{ k: string; n: number }[]>`
      SELECT k, (SELECT count(*) FROM (SELECT 1 FROM latest_metric m WHERE m.key = k LIMIT ${KEY_COUNT_CAP}) c)::int AS n
      FROM unnest(${unknown}::text[]) AS k`;
    for (const r of rows) keyRowCounts.set(r.k, r.n);
  }
  return keys.every((k) => (keyRowCounts.get(k) ?? KEY_COUNT_CAP) <= RARE_KEY_FACTOR * candidates);
}

/** The runs of the requested page (with their view versions), and the next page's token when there is one. */
async function searchRunPage(ctx: Ctx, input: SearchRunsInput): Promise<{ page: VersionedRun[]; next_page_token?: string }> {
  const maxResults = validateMaxResults(input.max_results, DEFAULT_MAX_RESULTS);
  const offset = decodePageToken(input.page_token);
  const q = await toQuery(ctx, input);
  if (q.experimentIds.length === 0) return { page: [] };
  // One round trip; the extra row only says whether another page exists, so the last page carries no token.
  const [row] = await ctx.db.$queryRaw<{ v: string | null; n: number }[]>(
    runVersionsSql(Prisma.sql`(${runPageSql(q, offset, maxResults + 1)}) s`, Prisma.sql`s.ord <= ${offset + maxResults}`),
  );
  const page = parseRunVersions(row?.v);
  return (row?.n ?? 0) > maxResults ? { page, next_page_token: encodePageToken(offset + maxResults) } : { page };
}

export async function searchRuns(ctx: Ctx, input: SearchRunsInput): Promise<SearchRunsResult> {
  const { page, next_page_token } = await searchRunPage(ctx, input);
  const runs = await loadRunViews(ctx.db, page.map((r) => r.pk), { parallel: page.length > 200 });
  return next_page_token ? { runs, next_page_token } : { runs };
}

const COMMA = Buffer.from(",");

/**
 * searchRuns as the REST response itself, `{"runs": [...], "next_page_token": ...}`, from the
 * runs' cached wire JSON (tracking/run-wire.ts): the same bytes toWireJson would write.
 */
export async function searchRunsWire(ctx: Ctx, input: SearchRunsInput): Promise<WireJson> {
  const { page, next_page_token } = await searchRunPage(ctx, input);
  const bodies = await runBodies(ctx.db, page);
  const parts: (string | Buffer)[] = ["{"];
  if (bodies.length) {
    parts.push('"runs":[');
    for (let i = 0; i < bodies.length; i++) {
      if (i) parts.push(COMMA);
      parts.push(bodies[i]!);
    }
    parts.push("]");
  }
  if (next_page_token) parts.push(`${bodies.length ? "," : ""}"next_page_token":${JSON.stringify(next_page_token)}`);
  parts.push("}");
  return new WireJson(...parts);
}

/** How many runs the same filter matches (for the portal's result count). */
export async function countRuns(ctx: Ctx, input: Omit<SearchRunsInput, "max_results" | "page_token" | "order_by">): Promise<number> {
  const q = await toQuery(ctx, input);
  if (q.experimentIds.length === 0) return 0;
  const rows = await ctx.db.$queryRaw<{ n: number }[]>(runCountSql(q));
  return rows[0]?.n ?? 0;
}

export interface RunColumns {
  metrics: string[];
  params: string[];
  tags: string[];
}

/** Metric, param and tag keys given to runs of these experiments (the portal's column chooser); a key that only a deleted run or a deleted tag held stays listed. */
export async function listRunColumns(ctx: Ctx, experimentIds: readonly string[]): Promise<RunColumns> {
  const ids = (await readableScope(ctx, experimentIds, "ACTIVE_ONLY")).experimentIds;
  if (ids.length === 0) return { metrics: [], params: [], tags: [] };
  // the keys the experiments' runs were ever given (experiment_column, kept by triggers): a read of
  // a few rows, not a distinct over every run's metrics, params and tags
  const rows = await sqlQuery<{ kind: string; key: string }>(
    ctx.db,
    Prisma.sql`SELECT DISTINCT kind, key FROM experiment_column WHERE experiment_id = ANY(${ids.map(String)}::text[]::int[]) ORDER BY kind, key`,
    { prepare: true },
  );
  const of = (kind: string) => rows.filter((r) => r.kind === kind).map((r) => r.key);
  const [metrics, params, tags] = [of("m"), of("p"), of("t")];
  return { metrics, params, tags };
}
