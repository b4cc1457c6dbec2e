import { Prisma } from "@modelgate/db";
import type { Ctx } from "../context.ts";
import { invalid } from "../errors.ts";
import { readableExperimentsSql } from "../auth/permissions.ts";
import { cleanKey, listItems, parseComparisons, pySet, quotedValue, type RawComparison } from "../tracking/search/comparisons.ts";
import { splitOrderBy } from "../tracking/search/order-by.ts";
import { decodePageToken, encodePageToken } from "../tracking/search/page-token.ts";
import { noNul } from "./limits.ts";
import { DERIVED_TAGS, TRACE_COLUMNS, traceInfoV2View, traceInfoView, type TraceInfoV2View, type TraceInfoView, type TraceRow } from "./views.ts";

// search_traces (SearchTracesV3, v2's SearchTraces): MLflow's trace filter language
// (SearchTraceUtils) compiled to one SQL statement over the readable experiments asked for.
//   trace.status = 'OK'   trace.timestamp_ms > 1711089570679   trace.execution_time_ms < 500
//   tags.env = 'prod'     metadata.`mlflow.sourceRun` = '<run id>'   trace.run_id = '<run id>'
//   span.name = 'retrieve'   span.type = 'LLM'   feedback.correctness = 'yes'   trace.text ILIKE '%refund%'

const NUMERIC = { timestamp: "request_time", timestamp_ms: "request_time", execution_time: "execution_duration", execution_time_ms: "execution_duration", end_time: "end", end_time_ms: "end" } as const;
const STRING = { status: "state", request_id: "trace_id", trace_id: "trace_id", client_request_id: "client_request_id", name: "name", run_id: "run_id" } as const;
const ATTRIBUTES = [...Object.keys(NUMERIC), ...Object.keys(STRING), "text"];
const ENTITIES: Record<string, "attribute" | "tag" | "metadata" | "span" | "feedback" | "expectation"> = {
  attribute: "attribute",
  attributes: "attribute",
  trace: "attribute",
  tag: "tag",
  tags: "tag",
  metadata: "metadata",
  request_metadata: "metadata",
  span: "span",
  feedback: "feedback",
  expectation: "expectation",
};
const NUM_OPS = [">", ">=", "=", "!=", "<", "<="] as const;
const STR_OPS = ["=", "!=", "LIKE", "ILIKE", "RLIKE", "IN", "NOT IN"] as const;
const TAG_OPS = ["=", "!=", "LIKE", "ILIKE", "RLIKE"] as const;

function op(c: RawComparison, valid: readonly string[]): string {
  if (!valid.includes(c.comparator)) throw invalid(`Invalid comparator '${c.comparator}' not one of '${pySet(valid)}'`);
  return c.comparator;
}

function str(c: RawComparison, what: string): string {
  const v = c.value.kind === "list" ? undefined : quotedValue(c.value);
  if (v === undefined) throw invalid(`Expected a quoted string value for ${what}. Got value ${c.value.raw}`);
  noNul(`The filter value for ${what}`, v);
  return v;
}

/** `<sql> <comparator> <value>` for string comparisons (IN lists included). */
function compareText(sql: Prisma.Sql, c: RawComparison, ops: readonly string[], what: string): Prisma.Sql {
  const o = op(c, ops);
  if (o === "IN" || o === "NOT IN") {
    if (c.value.kind !== "list") throw invalid(`Expected a list of quoted strings for ${o} on ${what}. Got value ${c.value.raw}`);
    const items = listItems(c.value);
    items.forEach((i) => noNul(`The filter value for ${what}`, i));
    return o === "IN" ? Prisma.sql`${sql} = ANY(${items}::text[])` : Prisma.sql`NOT (${sql} = ANY(${items}::text[]))`;
  }
  const v = str(c, what);
  if (o === "RLIKE") return Prisma.sql`${sql} ~ ${v}`;
  return Prisma.sql`${sql} ${Prisma.raw(o === "=" ? "=" : o === "!=" ? "<>" : o)} ${v}`;
}

function clause(c: RawComparison): Prisma.Sql {
  const dot = c.identifier.indexOf(".");
  const prefix = dot < 0 ? "attribute" : c.identifier.slice(0, dot);
  const entity = ENTITIES[prefix];
  if (!entity) throw invalid(`Invalid entity type '${prefix}'. Valid entity types are ${pySet(Object.keys(ENTITIES))}`);
  const key = cleanKey(dot < 0 ? c.identifier : c.identifier.slice(dot + 1));
  switch (entity) {
    case "attribute": {
      if (key in NUMERIC) {
        const o = op(c, NUM_OPS);
        if (c.value.kind !== "number") throw invalid(`Expected numeric value type for numeric attribute: ${key}. Found ${c.value.raw}`);
        const col = NUMERIC[key as keyof typeof NUMERIC];
        const sql = col === "end" ? Prisma.sql`(t.request_time + t.execution_duration)` : Prisma.raw(`t.${col}`);
        return Prisma.sql`${sql} ${Prisma.raw(o === "!=" ? "<>" : o)} ${Number(c.value.raw)}`;
      }
      if (key in STRING) {
        if (key === "run_id") {
          const run = compareText(Prisma.sql`t.run_id`, c, STR_OPS, key);
          const link = compareText(Prisma.sql`l.run_id`, c, STR_OPS, key);
          return c.comparator === "!=" || c.comparator === "NOT IN"
            ? Prisma.sql`(COALESCE(${run}, TRUE) AND NOT EXISTS (SELECT 1 FROM trace_run_link l WHERE l.trace_id = t.trace_id AND NOT (${link})))`
            : Prisma.sql`(${run} OR EXISTS (SELECT 1 FROM trace_run_link l WHERE l.trace_id = t.trace_id AND ${link}))`;
        }
        return compareText(Prisma.raw(`t.${STRING[key as keyof typeof STRING]}`), c, STR_OPS, key);
      }
      if (key === "text") {
        const o = op(c, ["LIKE", "ILIKE"]);
        const v = str(c, key);
        const cmp = Prisma.raw(o);
        return Prisma.sql`(t.request_preview ${cmp} ${v} OR t.response_preview ${cmp} ${v}
          OR EXISTS (SELECT 1 FROM trace_span s WHERE s.trace_id = t.trace_id AND s.content ${cmp} ${v}))`;
      }
      throw invalid(`Invalid attribute key '${key}' specified. Valid keys are '${pySet(ATTRIBUTES)}'`);
    }
    case "tag":
    case "metadata": {
      const derived = entity === "tag" ? DERIVED_TAGS[key] : undefined;
      if (derived) {
        // not stored as rows (views.ts derives them); a stored tag of that key wins, as in the view
        const value = Prisma.sql`COALESCE((SELECT x.value FROM trace_tag x WHERE x.trace_id = t.trace_id AND x.key = ${key}), ${derived})`;
        return compareText(value, c, TAG_OPS, entity);
      }
      const table = Prisma.raw(entity === "tag" ? "trace_tag" : "trace_metadata");
      if (c.comparator === "!=") {
        return Prisma.sql`EXISTS (SELECT 1 FROM ${table} x WHERE x.trace_id = t.trace_id AND x.key = ${key} AND x.value <> ${str(c, entity)})`;
      }
      return Prisma.sql`EXISTS (SELECT 1 FROM ${table} x WHERE x.trace_id = t.trace_id AND x.key = ${key} AND ${compareText(Prisma.sql`x.value`, c, TAG_OPS, entity)})`;
    }
    case "span": {
      if (key === "content") {
        const o = op(c, ["LIKE", "ILIKE"]);
        return Prisma.sql`EXISTS (SELECT 1 FROM trace_span s WHERE s.trace_id = t.trace_id AND s.content ${Prisma.raw(o)} ${str(c, "span content")})`;
      }
      const col = { name: "s.name", type: "s.span_type", status: "s.status" }[key];
      if (!col) throw invalid(`Invalid span attribute '${key}'. Valid span attributes are ${pySet(["name", "type", "status", "content"])}`);
      return Prisma.sql`EXISTS (SELECT 1 FROM trace_span s WHERE s.trace_id = t.trace_id AND ${compareText(Prisma.raw(col), c, STR_OPS, `span.${key}`)})`;
    }
    case "feedback":
    case "expectation": {
      const o = op(c, ["=", "!="]);
      const v = c.value.kind === "number" ? c.value.raw : str(c, entity);
      // a value is compared as JSON text (true, 0.9) or as the string it holds
      const match = Prisma.sql`(a.value #>> '{}' = ${v} OR a.value::text = ${v})`;
      return Prisma.sql`EXISTS (SELECT 1 FROM trace_assessment a WHERE a.trace_id = t.trace_id AND a.valid AND a.kind = ${entity} AND a.name = ${key}
        AND ${o === "=" ? match : Prisma.sql`NOT ${match}`})`;
    }
  }
}

export function parseTraceFilter(filter: string | undefined | null): Prisma.Sql[] {
  return parseComparisons(filter ?? "").map(clause);
}

const ORDER_KEYS: Record<string, string> = {
  timestamp: "t.request_time",
  timestamp_ms: "t.request_time",
  execution_time: "t.execution_duration",
  execution_time_ms: "t.execution_duration",
  end_time: "(t.request_time + t.execution_duration)",
  end_time_ms: "(t.request_time + t.execution_duration)",
  status: "t.state",
  request_id: "t.trace_id",
  trace_id: "t.trace_id",
  name: "t.name",
  run_id: "t.run_id",
  experiment_id: "t.experiment_id",
  client_request_id: "t.client_request_id",
};

const NOT_NULL = new Set(["t.request_time", "t.state", "t.trace_id", "t.experiment_id"]);

export function parseTraceOrderBy(orderBy: readonly string[]): Prisma.Sql {
  const parts = orderBy.map((o) => {
    const { identifier, ascending } = splitOrderBy(o);
    const dot = identifier.indexOf(".");
    const prefix = dot < 0 ? "attribute" : identifier.slice(0, dot);
    const key = cleanKey(dot < 0 ? identifier : identifier.slice(dot + 1));
    const col = ORDER_KEYS[key];
    if (ENTITIES[prefix] !== "attribute" || !col) {
      throw invalid(`Invalid order_by entity '${identifier}'. Valid attributes are ${pySet(Object.keys(ORDER_KEYS))}`);
    }
    // NULLS LAST only where a column can be null: on the others it would keep PostgreSQL from
    // reading the (experiment, request time) index in order and make it sort every match
    return `${col} ${ascending ? "ASC" : "DESC"}${NOT_NULL.has(col) ? "" : " NULLS LAST"}`;
  });
  parts.push("t.request_time DESC", "t.trace_id ASC");
  return Prisma.raw(parts.join(", "));
}

export const SEARCH_TRACES_DEFAULT = 100;
export const SEARCH_TRACES_MAX = 500;

export interface SearchTracesInput {
  experiment_ids: readonly string[];
  filter?: string | undefined;
  max_results?: number | undefined;
  order_by?: readonly string[] | undefined;
  page_token?: string | undefined;
}

export interface SearchTracesPage<T> {
  traces: T[];
  next_page_token?: string;
}

/**
 * The conditions of a search over trace alias t joined to experiment e: the experiments asked
 * for that the actor may read, and the filter.
 */
export function traceScope(ctx: Pick<Ctx, "actor">, experimentIds: readonly string[], filter: string | undefined): Prisma.Sql[] {
  if (!experimentIds.length) throw invalid("At least one experiment id must be given");
  const ids = experimentIds.map((id) => {
    if (!/^\d{1,10}$/.test(id)) throw invalid(`Invalid experiment id '${id}'`);
    return Number(id);
  });
  // one experiment (the usual search) as `=`: PostgreSQL 15 reads an index in order only then, so a
  // broad filter stops after a page of matches instead of sorting all of them
  const inExperiments = ids.length === 1 ? Prisma.sql`t.experiment_id = ${ids[0]}::int` : Prisma.sql`t.experiment_id = ANY(${ids}::int[])`;
  return [inExperiments, readableExperimentsSql(ctx), ...parseTraceFilter(filter)];
}

/** The rows of one page: filters and order applied in SQL, tags/metadata/assessments folded in. */
export async function searchTraceRows(ctx: Ctx, input: SearchTracesInput): Promise<{ rows: TraceRow[]; next?: string }> {
  const max = input.max_results ?? SEARCH_TRACES_DEFAULT;
  if (!Number.isInteger(max) || max < 1 || max > SEARCH_TRACES_MAX) throw invalid(`Invalid value ${max} for parameter 'max_results' supplied. It must be at most ${SEARCH_TRACES_MAX}.`);
  const conds = traceScope(ctx, input.experiment_ids, input.filter);
  const order = parseTraceOrderBy(input.order_by ?? []);
  const offset = decodePageToken(input.page_token);
  const rows = await ctx.db.$queryRaw<TraceRow[]>`
    SELECT ${TRACE_COLUMNS} FROM (
      SELECT t.* FROM trace t JOIN experiment e ON e.id = t.experiment_id
      WHERE ${Prisma.join(conds, " AND ")}
      ORDER BY ${order} LIMIT ${max + 1} OFFSET ${offset}
    ) t ORDER BY ${order}`;
  const more = rows.length > max;
  return { rows: more ? rows.slice(0, max) : rows, ...(more ? { next: encodePageToken(offset + max) } : {}) };
}

export async function searchTraces(ctx: Ctx, input: SearchTracesInput): Promise<SearchTracesPage<TraceInfoView>> {
  const { rows, next } = await searchTraceRows(ctx, input);
  return { traces: rows.map(traceInfoView), ...(next ? { next_page_token: next } : {}) };
}

export async function searchTracesV2(ctx: Ctx, input: SearchTracesInput): Promise<SearchTracesPage<TraceInfoV2View>> {
  const { rows, next } = await searchTraceRows(ctx, input);
  return { traces: rows.map(traceInfoV2View), ...(next ? { next_page_token: next } : {}) };
}
