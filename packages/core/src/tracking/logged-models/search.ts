import { pyJson } from "../../py-json.ts";
import { Prisma } from "@modelgate/db";
import type { Ctx } from "../../context.ts";
import { invalid } from "../../errors.ts";
import { readableExperimentsSql } from "../../auth/permissions.ts";
import { cleanKey, listItems, parseComparisons, pySet, quotedValue, type RawComparison } from "../search/comparisons.ts";
import { decodeTokenText } from "../search/page-token.ts";
import { experimentPk, validateExperimentIdPattern } from "../validate.ts";
import { loadLoggedModelViews } from "./load.ts";
import type { LoggedModelView } from "./types.ts";

// logged-models/search: MLflow's filter language over a model's attributes, params, tags and
// metrics (`metrics.accuracy > 0.9 AND params.alpha = '0.1'`), `datasets` narrowing which metrics
// count, order by attributes or by a metric's latest value (optionally for one dataset), pages of
// at most 50 with tokens bound to the query they came from. As in MLflow, a metric comparison holds
// when any of the model's points for that key (on the named datasets) satisfies it.

export const LOGGED_MODELS_MAX_RESULTS = 50;

const ENTITY_TYPES = ["attributes", "metrics", "params", "tags"] as const;
type EntityType = (typeof ENTITY_TYPES)[number];

/** Searchable attributes → column (MLflow's SqlLoggedModel columns and aliases). */
const ATTRIBUTES: Record<string, { column: string; numeric: boolean }> = {
  model_id: { column: "m.id", numeric: false },
  name: { column: "m.name", numeric: false },
  model_type: { column: "m.model_type", numeric: false },
  source_run_id: { column: "m.source_run_id", numeric: false },
  status: { column: "('LOGGED_MODEL_' || m.status::text)", numeric: false },
  status_message: { column: "m.status_message", numeric: false },
  artifact_location: { column: "m.artifact_location", numeric: false },
  artifact_uri: { column: "m.artifact_location", numeric: false },
  experiment_id: { column: "m.experiment_id::text", numeric: false },
  creation_timestamp_ms: { column: "m.creation_timestamp", numeric: true },
  creation_timestamp: { column: "m.creation_timestamp", numeric: true },
  creation_time: { column: "m.creation_timestamp", numeric: true },
  last_updated_timestamp_ms: { column: "m.last_updated_timestamp", numeric: true },
  last_updated_timestamp: { column: "m.last_updated_timestamp", numeric: true },
};

const NUMERIC_OPS = ["<", "<=", ">", ">=", "=", "!="] as const;
const STRING_OPS = ["=", "!=", "LIKE", "ILIKE", "IN", "NOT IN"] as const;

export interface DatasetFilter {
  dataset_name: string;
  dataset_digest?: string | undefined;
}

export interface LoggedModelOrderBy {
  field_name: string;
  ascending?: boolean | undefined;
  dataset_name?: string | undefined;
  dataset_digest?: string | undefined;
}

export interface SearchLoggedModelsInput {
  experiment_ids: string[];
  filter?: string | undefined;
  datasets?: DatasetFilter[] | undefined;
  max_results?: number | undefined;
  order_by?: LoggedModelOrderBy[] | undefined;
  page_token?: string | undefined;
}

type Clause =
  | { entity: "attribute"; column: string; numeric: true; op: string; value: number }
  | { entity: "attribute"; column: string; numeric: false; op: string; value: string | string[] }
  | { entity: "metric"; key: string; op: string; value: number }
  | { entity: "param" | "tag"; key: string; op: string; value: string | string[] };

function resolve(identifier: string): { type: EntityType; key: string } {
  const m = /^([a-z]+)\.(.+)$/s.exec(identifier);
  if (!m) return { type: "attributes", key: cleanKey(identifier) };
  if (!(ENTITY_TYPES as readonly string[]).includes(m[1]!)) {
    throw invalid(`Invalid entity type: '${m[1]}'. Expected one of ['attributes', 'metrics', 'params', 'tags'].`);
  }
  return { type: m[1] as EntityType, key: cleanKey(m[2]!) };
}

function checkOp(op: string, numeric: boolean, what: string): string {
  const ops: readonly string[] = numeric ? NUMERIC_OPS : STRING_OPS;
  if (!ops.includes(op)) throw invalid(`Invalid comparison operator for ${what}: '${op}'. Expected one of ${pySet(ops)}.`);
  return op;
}

function numberOf(c: RawComparison, what: string): number {
  if (c.value.kind !== "number") throw invalid(`Expected a numeric value for ${what}. Got value ${c.value.raw}`);
  return Number(c.value.raw);
}

function stringOf(c: RawComparison, what: string): string | string[] {
  if (c.value.kind === "list") {
    if (c.comparator !== "IN" && c.comparator !== "NOT IN") throw invalid(`A list of values needs IN or NOT IN for ${what}`);
    return listItems(c.value);
  }
  if (c.comparator === "IN" || c.comparator === "NOT IN") throw invalid(`IN and NOT IN need a list of quoted values for ${what}, e.g. ('a', 'b')`);
  const s = c.value.kind === "number" ? undefined : quotedValue(c.value);
  if (s === undefined) throw invalid(`Expected a quoted string value for ${what}. Got value ${c.value.raw}`);
  return s;
}

/** The status attribute compares against the wire names; the client's short names are accepted too. */
function statusValue(v: string): string {
  const short: Record<string, string> = { PENDING: "LOGGED_MODEL_PENDING", READY: "LOGGED_MODEL_READY", FAILED: "LOGGED_MODEL_UPLOAD_FAILED", UPLOAD_FAILED: "LOGGED_MODEL_UPLOAD_FAILED" };
  return short[v] ?? v;
}

export function parseLoggedModelFilter(filter: string | undefined): Clause[] {
  return parseComparisons(filter ?? "").map((c): Clause => {
    const { type, key } = resolve(c.identifier);
    const what = `${type}.${key}`;
    if (type === "metrics") return { entity: "metric", key, op: checkOp(c.comparator, true, what), value: numberOf(c, what) };
    if (type === "params" || type === "tags") return { entity: type === "params" ? "param" : "tag", key, op: checkOp(c.comparator, false, what), value: stringOf(c, what) };
    const attr = ATTRIBUTES[key];
    if (!attr) throw invalid(`Invalid attribute key '${key}' specified. Valid keys are '${pySet(Object.keys(ATTRIBUTES))}'`);
    if (attr.numeric) return { entity: "attribute", column: attr.column, numeric: true, op: checkOp(c.comparator, true, what), value: numberOf(c, what) };
    const op = checkOp(c.comparator, false, what);
    const raw = stringOf(c, what);
    const value = key === "status" ? (Array.isArray(raw) ? raw.map(statusValue) : statusValue(raw)) : raw;
    return { entity: "attribute", column: attr.column, numeric: false, op, value };
  });
}

/** `<expr> <op> <value>` for a comparator already checked against its list. */
function compare(expr: Prisma.Sql, op: string, value: number | string | string[]): Prisma.Sql {
  if (Array.isArray(value)) return op === "IN" ? Prisma.sql`${expr} = ANY(${value}::text[])` : Prisma.sql`${expr} <> ALL(${value}::text[])`;
  if (op === "LIKE") return Prisma.sql`${expr} LIKE ${value}`;
  if (op === "ILIKE") return Prisma.sql`${expr} ILIKE ${value}`;
  const sqlOp = Prisma.raw(op === "!=" ? "<>" : op);
  return typeof value === "number" ? Prisma.sql`${expr} ${sqlOp} ${value}::float8` : Prisma.sql`${expr} ${sqlOp} ${value}`;
}

function datasetCondition(datasets: readonly DatasetFilter[], alias: string): Prisma.Sql {
  const a = Prisma.raw(alias);
  return Prisma.join(
    datasets.map((d) =>
      d.dataset_digest ? Prisma.sql`(${a}.dataset_name = ${d.dataset_name} AND ${a}.dataset_digest = ${d.dataset_digest})` : Prisma.sql`${a}.dataset_name = ${d.dataset_name}`,
    ),
    " OR ",
  );
}

/** `ids`: the readable experiments searched (a metric row carries its model's experiment, so the index on (experiment_id, key, value) answers a metric clause as one range). */
function clauseSql(c: Clause, datasets: readonly DatasetFilter[], ids: Prisma.Sql): Prisma.Sql {
  switch (c.entity) {
    case "attribute":
      return compare(Prisma.raw(c.column), c.op, c.value);
    case "metric": {
      const ds = datasets.length ? Prisma.sql`AND (${datasetCondition(datasets, "x")})` : Prisma.empty;
      return Prisma.sql`m.pk IN (SELECT x.model_pk FROM logged_model_metric x WHERE x.experiment_id = ANY(${ids}) AND x.key = ${c.key} AND ${compare(Prisma.sql`x.value`, c.op, c.value)} ${ds})`;
    }
    case "param":
      return Prisma.sql`EXISTS (SELECT 1 FROM logged_model_param p WHERE p.model_pk = m.pk AND p.key = ${c.key} AND ${compare(Prisma.sql`p.value`, c.op, c.value)})`;
    case "tag":
      return Prisma.sql`EXISTS (SELECT 1 FROM logged_model_tag t WHERE t.model_pk = m.pk AND t.key = ${c.key} AND ${compare(Prisma.sql`t.value`, c.op, c.value)})`;
  }
}

/** Prisma.join refuses an empty list. */
const joinAll = (parts: Prisma.Sql[], sep: string) => (parts.length ? Prisma.join(parts, sep) : Prisma.empty);

interface OrderPlan {
  joins: Prisma.Sql[];
  terms: Prisma.Sql[];
}

function orderPlan(orderBy: readonly LoggedModelOrderBy[]): OrderPlan {
  const joins: Prisma.Sql[] = [];
  const terms: Prisma.Sql[] = [];
  let byCreation = false;
  orderBy.forEach((ob, i) => {
    if (typeof ob.field_name !== "string" || ob.field_name === "") throw invalid("Missing value for required parameter 'order_by.field_name'.");
    const dir = Prisma.raw(ob.ascending === false ? "DESC" : "ASC");
    if (!ob.field_name.includes(".")) {
      const attr = ATTRIBUTES[ob.field_name];
      if (!attr) throw invalid(`Invalid order by field name: ${ob.field_name}`);
      if (attr.column === "m.creation_timestamp") byCreation = true;
      terms.push(Prisma.sql`${Prisma.raw(attr.column)} ${dir}`);
      return;
    }
    const [entity, ...rest] = ob.field_name.split(".");
    if (entity !== "metrics") throw invalid(`Invalid order by field name: ${ob.field_name}. Only metrics are supported.`);
    if (ob.dataset_digest && !ob.dataset_name) throw invalid("`dataset_digest` in an order_by clause may only be set together with `dataset_name`.");
    const key = cleanKey(rest.join("."));
    const alias = Prisma.raw(`o${i}`);
    if (!ob.dataset_name) {
      // the latest value over all datasets, kept per (model, key) by log-batch
      joins.push(Prisma.sql`LEFT JOIN logged_model_latest_metric ${alias} ON ${alias}.model_pk = m.pk AND ${alias}.key = ${key}`);
      terms.push(Prisma.sql`(${alias}.value IS NULL) ASC, ${alias}.value ${dir}`);
      return;
    }
    const digest = ob.dataset_digest ? Prisma.sql`AND x.dataset_digest = ${ob.dataset_digest}` : Prisma.empty;
    // the model's latest value for the key on that dataset: latest timestamp, then step (MLflow's rank), then the higher value on a tie
    joins.push(Prisma.sql`LEFT JOIN LATERAL (SELECT x.value FROM logged_model_metric x WHERE x.model_pk = m.pk AND x.key = ${key} AND x.dataset_name = ${ob.dataset_name} ${digest}
      ORDER BY x.timestamp DESC, x.step DESC, x.value DESC LIMIT 1) ${alias} ON TRUE`);
    terms.push(Prisma.sql`(${alias}.value IS NULL) ASC, ${alias}.value ${dir}`);
  });
  if (!byCreation) terms.push(Prisma.sql`m.creation_timestamp DESC`);
  terms.push(Prisma.sql`m.pk DESC`);
  return { joins, terms };
}

// Page tokens as MLflow's SearchLoggedModelsPaginationToken: base64 of json.dumps of the query and
// the offset; a token is only good for the query it came from.
interface TokenBody {
  experiment_ids: string[];
  filter_string: string | null;
  order_by: Record<string, unknown>[] | null;
  offset: number;
}


function orderForToken(orderBy: readonly LoggedModelOrderBy[]): Record<string, unknown>[] | null {
  if (!orderBy.length) return null;
  return orderBy.map((o) => ({ field_name: o.field_name, ascending: o.ascending !== false, dataset_name: o.dataset_name || null, dataset_digest: o.dataset_digest || null }));
}

function encodeToken(body: TokenBody): string {
  return Buffer.from(pyJson(body), "utf8").toString("base64");
}

function decodeOffset(token: string, expected: Omit<TokenBody, "offset">): number {
  let body: Partial<TokenBody>;
  try {
    body = JSON.parse(decodeTokenText(token)) as Partial<TokenBody>;
  } catch (e) {
    if (e instanceof SyntaxError) throw invalid(`Invalid page token: ${token}.`);
    throw e;
  }
  if (typeof body !== "object" || body === null) throw invalid(`Invalid page token: ${token}.`);
  if (pyJson(body.experiment_ids ?? null) !== pyJson(expected.experiment_ids)) {
    throw invalid(`Experiment IDs in the page token do not match the requested experiment IDs. Expected: ${pyJson(expected.experiment_ids)}. Found: ${pyJson(body.experiment_ids ?? null)}`);
  }
  if ((body.filter_string || null) !== expected.filter_string) {
    throw invalid(`Filter string in the page token does not match the requested filter string. Expected: ${expected.filter_string}. Found: ${body.filter_string ?? null}`);
  }
  if (pyJson(body.order_by || null) !== pyJson(expected.order_by)) {
    throw invalid(`Order by in the page token does not match the requested order by. Expected: ${pyJson(expected.order_by)}. Found: ${pyJson(body.order_by ?? null)}`);
  }
  const offset = body.offset ?? 0;
  if (!Number.isSafeInteger(offset) || offset < 0) throw invalid(`Invalid page token: ${token}.`);
  return offset;
}

export interface SearchLoggedModelsResult {
  models: LoggedModelView[];
  next_page_token?: string;
}

/** Models in readable experiments only; unknown or unreadable experiment ids simply match nothing. */
export async function searchLoggedModels(ctx: Ctx, input: SearchLoggedModelsInput): Promise<SearchLoggedModelsResult> {
  const maxResults = input.max_results ?? LOGGED_MODELS_MAX_RESULTS;
  if (!Number.isSafeInteger(maxResults) || maxResults < 1 || maxResults > LOGGED_MODELS_MAX_RESULTS) {
    throw invalid(`Invalid value ${maxResults} for parameter 'max_results' supplied. It must be a positive integer not above ${LOGGED_MODELS_MAX_RESULTS}.`);
  }
  if (!input.experiment_ids.length) throw invalid("Missing value for required parameter 'experiment_ids'. See the API docs for more information about request parameters.");
  input.experiment_ids.forEach(validateExperimentIdPattern);
  const datasets = input.datasets ?? [];
  if (datasets.some((d) => !d.dataset_name)) throw invalid("`dataset_name` in the `datasets` clause must be specified.");
  const clauses = parseLoggedModelFilter(input.filter);
  const orderBy = input.order_by ?? [];
  const plan = orderPlan(orderBy);
  const tokenQuery = { experiment_ids: input.experiment_ids, filter_string: input.filter || null, order_by: orderForToken(orderBy) };
  const offset = input.page_token ? decodeOffset(input.page_token, tokenQuery) : 0;

  // the readable experiments first, as a literal list: the planner then knows how many models it scans
  const asked = input.experiment_ids.map(experimentPk).filter((x): x is number => x !== null);
  const readable = asked.length
    ? (await ctx.db.$queryRaw<{ id: number }[]>`SELECT e.id FROM experiment e WHERE e.id = ANY(${asked.map(String)}::text[]::int[]) AND ${readableExperimentsSql(ctx, "e")}`).map((r) => r.id)
    : [];
  if (!readable.length) return { models: [] };
  const ids = Prisma.sql`${readable.map(String)}::text[]::int[]`;
  const where: Prisma.Sql[] = [Prisma.sql`m.experiment_id = ANY(${ids})`, Prisma.sql`m.lifecycle_stage = 'active'`, ...clauses.map((c) => clauseSql(c, datasets, ids))];
  // datasets without a metric clause: the models that have any metric on those datasets
  if (datasets.length && !clauses.some((c) => c.entity === "metric")) {
    where.push(Prisma.sql`m.pk IN (SELECT x.model_pk FROM logged_model_metric x WHERE x.experiment_id = ANY(${ids}) AND (${datasetCondition(datasets, "x")}))`);
  }
  const rows = await ctx.db.$queryRaw<{ pk: bigint }[]>`
    SELECT m.pk FROM logged_model m ${joinAll(plan.joins, " ")}
    WHERE ${Prisma.join(where, " AND ")}
    ORDER BY ${Prisma.join(plan.terms, ", ")}
    OFFSET ${offset} LIMIT ${maxResults + 1}`;
  const page = rows.slice(0, maxResults).map((r) => r.pk);
  const models = await loadLoggedModelViews(ctx, page);
  return rows.length > maxResults ? { models, next_page_token: encodeToken({ ...tokenQuery, offset: offset + maxResults }) } : { models };
}
