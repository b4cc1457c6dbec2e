import { Prisma } from "@modelgate/db";
import { invalid } from "../errors.ts";
import { cleanKey, listItems, parseComparisons, pySet, quotedValue, type RawComparison, type RawValue } from "../tracking/search/comparisons.ts";
import { comparator, resolveAttributeOrTag } from "../tracking/search/experiment-filter.ts";
import { splitOrderBy } from "../tracking/search/order-by.ts";
import { NUMERIC_COMPARATORS, STRING_COMPARATORS, type ListComparator, type NumericComparator, type StringComparator } from "../tracking/search/run-filter.ts";

// Filters and order_by for registered-models/search and model-versions/search (MLflow's
// SearchModelUtils, SearchModelVersionUtils and the SQL store's clause builders). Conditions are
// written against the aliases `m` (registered_model) and `v` (model_version); values are always
// parameters, identifiers only ever come from the fixed maps below.

export type ModelNumericAttribute = "creation_timestamp" | "last_updated_timestamp";
export type VersionStringAttribute = "name" | "run_id" | "source_path";
export type VersionNumericAttribute = "version_number" | "creation_timestamp" | "last_updated_timestamp";

type TagClause = { type: "tag"; key: string; comparator: StringComparator; value: string };

/** Numbers keep their literal so SQL compares exactly what was written. */
export type ModelFilterClause =
  | { type: "attribute"; key: "name"; comparator: StringComparator; value: string }
  | { type: "attribute"; key: ModelNumericAttribute; comparator: NumericComparator; value: number; literal: string }
  | TagClause;

export type VersionFilterClause =
  | { type: "attribute"; key: VersionStringAttribute; comparator: StringComparator; value: string }
  | { type: "attribute"; key: VersionStringAttribute; comparator: ListComparator; value: string[] }
  | { type: "attribute"; key: VersionNumericAttribute; comparator: NumericComparator; value: number; literal: string }
  | { type: "attribute"; key: "version_number"; comparator: ListComparator; value: number[] }
  | TagClause;

export type ModelOrderKey = "name" | "creation_timestamp" | "last_updated_timestamp";
export type VersionOrderKey = "name" | "version_number" | "creation_timestamp" | "last_updated_timestamp";
export interface ModelOrderBy {
  key: ModelOrderKey;
  ascending: boolean;
}
export interface VersionOrderBy {
  key: VersionOrderKey;
  ascending: boolean;
}

const MODEL_SEARCH_KEYS = ["name", "creation_timestamp", "last_updated_timestamp"] as const;
const VERSION_SEARCH_KEYS = ["name", "run_id", "source_path", "version_number", "creation_timestamp", "last_updated_timestamp"] as const;
const VERSION_NUMERIC_KEYS: readonly string[] = ["version_number", "creation_timestamp", "last_updated_timestamp"];
const ENTITY_TYPES = ["attribute", "attributes", "tag", "tags"] as const;
const LIST_COMPARATORS: readonly ListComparator[] = ["IN", "NOT IN"];
const NUMBER_LITERAL = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;


const resolveIdentifier = (identifier: string, validAttributes: readonly string[]) => resolveAttributeOrTag(identifier, validAttributes, ENTITY_TYPES);

function tagClause(c: RawComparison, key: string): TagClause {
  const value = c.value.kind === "string" || c.value.kind === "ident" ? quotedValue(c.value) : undefined;
  if (value === undefined) throw invalid(`Expected a quoted string value for tag (e.g. 'my-value'). Got value ${c.value.raw}`);
  return { type: "tag", key, comparator: comparator(c.comparator, STRING_COMPARATORS), value };
}

/** A number, or a quoted number (the SQL store lets the database coerce `version_number = '3'`). */
function numberOf(v: RawValue, key: string): { value: number; literal: string } {
  const literal = v.kind === "number" ? v.raw : v.kind === "string" || v.kind === "ident" ? quotedValue(v) : undefined;
  if (literal === undefined || !NUMBER_LITERAL.test(literal)) throw invalid(`Expected numeric value type for numeric attribute: ${key}. Found ${v.raw}`);
  return { value: Number(literal), literal };
}

function stringOf(v: RawValue): string {
  const s = v.kind === "number" ? undefined : quotedValue(v);
  if (s === undefined) throw invalid(`Expected a quoted string value or a list of quoted string values for attributes. Got value ${v.raw}`);
  return s;
}

/** `(1, 2, '3')`: version numbers, each an integer, quoted or not. */
function integerListItems(value: Extract<RawValue, { kind: "list" }>): number[] {
  const items = value.items;
  const bad = () => invalid(`While parsing a list in the query, expected a non-empty list of integer values, but got ${value.raw}`);
  if (items.length === 0 || items.length % 2 === 0) throw bad();
  return items.flatMap((t, i) => {
    if (i % 2 === 1) {
      if (t.kind !== "comma") throw bad();
      return [];
    }
    const text = t.kind === "number" ? t.raw : t.kind === "string" ? t.raw.slice(1, -1) : "";
    const n = Number(text);
    if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(n)) throw bad();
    return [n];
  });
}

function modelClause(c: RawComparison): ModelFilterClause {
  const { type, key } = resolveIdentifier(c.identifier, MODEL_SEARCH_KEYS);
  if (type === "tag") return tagClause(c, key);
  if (c.value.kind === "list") throw invalid("Only the 'run_id' attribute supports comparison with a list of quoted string values.");
  if (key === "name") return { type, key, comparator: comparator(c.comparator, STRING_COMPARATORS), value: stringOf(c.value) };
  return { type, key: key as ModelNumericAttribute, comparator: comparator(c.comparator, NUMERIC_COMPARATORS), ...numberOf(c.value, key) };
}

function versionClause(c: RawComparison): VersionFilterClause {
  const { type, key } = resolveIdentifier(c.identifier, VERSION_SEARCH_KEYS);
  if (type === "tag") return tagClause(c, key);
  if (c.value.kind === "list") {
    const listComparator = comparator(c.comparator, LIST_COMPARATORS);
    if (key === "version_number") return { type, key, comparator: listComparator, value: integerListItems(c.value) };
    if (VERSION_NUMERIC_KEYS.includes(key)) {
      throw invalid("Only the 'name', 'run_id', 'source_path' and 'version_number' attributes support comparison with a list of values.");
    }
    return { type, key: key as VersionStringAttribute, comparator: listComparator, value: listItems(c.value) };
  }
  if (VERSION_NUMERIC_KEYS.includes(key)) {
    return { type, key: key as VersionNumericAttribute, comparator: comparator(c.comparator, NUMERIC_COMPARATORS), ...numberOf(c.value, key) };
  }
  if (c.value.kind === "number") throw invalid(`Only the '${pySet(VERSION_NUMERIC_KEYS)}' attributes support comparison with numeric values.`);
  return { type, key: key as VersionStringAttribute, comparator: comparator(c.comparator, STRING_COMPARATORS), value: stringOf(c.value) };
}

/** Parses a registered-models/search filter; throws INVALID_PARAMETER_VALUE with MLflow's message. */
export function parseModelFilter(filter?: string | null): ModelFilterClause[] {
  return parseComparisons(filter ?? "").map(modelClause);
}

/** Parses a model-versions/search filter; throws INVALID_PARAMETER_VALUE with MLflow's message. */
export function parseVersionFilter(filter?: string | null): VersionFilterClause[] {
  return parseComparisons(filter ?? "").map(versionClause);
}

// order_by: `<key> [ASC|DESC]`, with an optional attribute prefix. MLflow's SQL store maps the
// legacy `timestamp` to last_updated_time (not creation_time) and rejects a field named twice.

const MODEL_ORDER_KEYS: Record<string, ModelOrderKey> = {
  name: "name",
  creation_timestamp: "creation_timestamp",
  last_updated_timestamp: "last_updated_timestamp",
  timestamp: "last_updated_timestamp",
};
const VERSION_ORDER_KEYS: Record<string, VersionOrderKey> = {
  name: "name",
  version_number: "version_number",
  creation_timestamp: "creation_timestamp",
  last_updated_timestamp: "last_updated_timestamp",
};

function parseOrderList<K extends string>(list: readonly string[], keys: Record<string, K>): { key: K; ascending: boolean }[] {
  const parsed = list.map((orderBy) => {
    const { identifier, ascending } = splitOrderBy(orderBy);
    const token = identifier.trim();
    const bare = cleanKey(token.replace(/^attributes?\./, ""));
    const key = Object.hasOwn(keys, bare) ? keys[bare] : undefined;
    if (key === undefined) throw invalid(`Invalid order by key '${token}' specified. Valid keys are '${pySet(Object.keys(keys))}'`);
    return { key, ascending };
  });
  if (new Set(parsed.map((o) => o.key)).size < parsed.length) {
    throw invalid(`\`order_by\` contains duplicate fields: [${list.map((o) => `'${o}'`).join(", ")}]`);
  }
  return parsed;
}

export function parseModelOrderBy(list: readonly string[]): ModelOrderBy[] {
  return parseOrderList(list, MODEL_ORDER_KEYS);
}

export function parseVersionOrderBy(list: readonly string[]): VersionOrderBy[] {
  return parseOrderList(list, VERSION_ORDER_KEYS);
}

// SQL builders.

const SQL_OP: Record<string, string> = { ">": ">", ">=": ">=", "<": "<", "<=": "<=", "=": "=", "!=": "<>", LIKE: "LIKE", ILIKE: "ILIKE", IN: "IN", "NOT IN": "NOT IN" };
const op = (c: string) => Prisma.raw(SQL_OP[c]!);

/** Integers compare as bigint; anything else (1.5, 1e3) as numeric, so nothing is rounded. */
const numberSql = (literal: string) => (/^-?\d{1,18}$/.test(literal) ? Prisma.sql`${literal}::bigint` : Prisma.sql`${literal}::numeric`);

const tagSql = (table: "registered_model_tag" | "model_version_tag", owner: string, c: TagClause) =>
  Prisma.sql`EXISTS (SELECT 1 FROM ${Prisma.raw(table)} t WHERE ${Prisma.raw(owner)} AND t.key = ${c.key} AND t.value ${op(c.comparator)} ${c.value})`;

const MODEL_COLUMN: Record<"name" | ModelNumericAttribute, string> = {
  name: "m.name",
  creation_timestamp: "m.creation_timestamp",
  last_updated_timestamp: "m.last_updated_timestamp",
};

const VERSION_COLUMN: Record<VersionStringAttribute | VersionNumericAttribute, string> = {
  name: "m.name",
  run_id: "v.run_id",
  source_path: "v.source",
  version_number: "v.version",
  creation_timestamp: "v.creation_timestamp",
  last_updated_timestamp: "v.last_updated_timestamp",
};

function modelCondition(c: ModelFilterClause): Prisma.Sql {
  if (c.type === "tag") return tagSql("registered_model_tag", "t.model_id = m.id", c);
  const column = Prisma.raw(MODEL_COLUMN[c.key]);
  return c.key === "name" ? Prisma.sql`${column} ${op(c.comparator)} ${c.value}` : Prisma.sql`${column} ${op(c.comparator)} ${numberSql(c.literal)}`;
}

function versionCondition(c: VersionFilterClause): Prisma.Sql {
  if (c.type === "tag") return tagSql("model_version_tag", "t.version_pk = v.pk", c);
  const column = Prisma.raw(VERSION_COLUMN[c.key]);
  if (Array.isArray(c.value)) {
    const items = c.value.map((x) => (typeof x === "number" ? numberSql(String(x)) : Prisma.sql`${x}`));
    return Prisma.sql`${column} ${op(c.comparator)} (${Prisma.join(items)})`;
  }
  return "literal" in c ? Prisma.sql`${column} ${op(c.comparator)} ${numberSql(c.literal)}` : Prisma.sql`${column} ${op(c.comparator)} ${c.value}`;
}

/** One condition per clause, on alias `m`; the caller ANDs them with its own (access, etc.). */
export function modelFilterSql(clauses: readonly ModelFilterClause[]): Prisma.Sql[] {
  return clauses.map(modelCondition);
}

/** One condition per clause, on aliases `v` (model_version) and `m` (its registered_model). */
export function versionFilterSql(clauses: readonly VersionFilterClause[]): Prisma.Sql[] {
  return clauses.map(versionCondition);
}

// Names sort bytewise, as MLflow's SQL store does on most databases.
const MODEL_ORDER_COLUMN: Record<ModelOrderKey, string> = {
  name: 'm.name COLLATE "C"',
  creation_timestamp: "m.creation_timestamp",
  last_updated_timestamp: "m.last_updated_timestamp",
};
const VERSION_ORDER_COLUMN: Record<VersionOrderKey, string> = {
  name: 'm.name COLLATE "C"',
  version_number: "v.version",
  creation_timestamp: "v.creation_timestamp",
  last_updated_timestamp: "v.last_updated_timestamp",
};

function orderTerms<K extends string>(terms: readonly { key: K; ascending: boolean }[], columns: Record<K, string>): Prisma.Sql {
  return Prisma.raw(terms.map((o) => `${columns[o.key]} ${o.ascending ? "ASC" : "DESC"}`).join(", "));
}

/** MLflow: name ASC by default, and name ASC breaks ties unless name is already ordered on. */
export function modelOrderSql(orderBy: readonly ModelOrderBy[]): Prisma.Sql {
  const terms = orderBy.some((o) => o.key === "name") ? orderBy : [...orderBy, { key: "name" as const, ascending: true }];
  return orderTerms(terms, MODEL_ORDER_COLUMN);
}

/** MLflow: last_updated DESC by default; name ASC then version DESC break ties unless already present. */
export function versionOrderSql(orderBy: readonly VersionOrderBy[]): Prisma.Sql {
  const terms: VersionOrderBy[] = orderBy.length ? [...orderBy] : [{ key: "last_updated_timestamp", ascending: false }];
  if (!terms.some((o) => o.key === "name")) terms.push({ key: "name", ascending: true });
  if (!terms.some((o) => o.key === "version_number")) terms.push({ key: "version_number", ascending: false });
  return orderTerms(terms, VERSION_ORDER_COLUMN);
}
