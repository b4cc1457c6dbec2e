import { invalid } from "../../errors.ts";
import { cleanKey, isQuoted, listItems, parseComparisons, pySet, quotedValue, unquote, type RawComparison } from "./comparisons.ts";

// The run filter language (MLflow's SearchUtils): identifiers are `<type>.<key>` with type aliases,
// no prefix meaning an attribute; each type has its own comparators and value kinds.

export type EntityType = "metric" | "parameter" | "tag" | "attribute" | "dataset";
export type NumericComparator = ">" | ">=" | "!=" | "=" | "<" | "<=";
export type StringComparator = "!=" | "=" | "LIKE" | "ILIKE";
export type ListComparator = "IN" | "NOT IN";

export const NUMERIC_COMPARATORS: readonly NumericComparator[] = [">", ">=", "!=", "=", "<", "<="];
export const STRING_COMPARATORS: readonly StringComparator[] = ["!=", "=", "LIKE", "ILIKE"];
const STRING_ATTRIBUTE_COMPARATORS = [...STRING_COMPARATORS, "IN", "NOT IN"] as const;

export type StringAttribute = "run_id" | "run_name" | "status" | "user_id" | "artifact_uri";
export type NumericAttribute = "start_time" | "end_time";
export type DatasetKey = "name" | "digest" | "context";
export type RunAttribute = StringAttribute | NumericAttribute;

const NUMERIC_ATTRIBUTES: readonly string[] = ["end_time", "start_time", "created", "Created"];
const RUN_NAME_ALIASES: readonly string[] = ["run name", "Run name", "Run Name"];
/** What a filter may name (RunInfo's searchable attributes plus MLflow's aliases). */
export const SEARCHABLE_RUN_ATTRIBUTES: readonly string[] = [
  "artifact_uri", "end_time", "run_id", "run_name", "start_time", "status", "user_id", "created", "Created", ...RUN_NAME_ALIASES,
];
/** What order_by may name (RunInfo's orderable attributes plus the `created` alias). */
export const ORDERABLE_RUN_ATTRIBUTES: readonly string[] = [
  "artifact_uri", "end_time", "run_id", "run_name", "start_time", "status", "user_id", "created", "Created",
];
const DATASET_KEYS: readonly DatasetKey[] = ["name", "digest", "context"];

const ENTITY_TYPES: readonly EntityType[] = ["metric", "parameter", "tag", "attribute", "dataset"];
const ENTITY_ALIASES: Record<string, EntityType> = {
  metric: "metric", metrics: "metric",
  parameter: "parameter", parameters: "parameter", param: "parameter", params: "parameter",
  tag: "tag", tags: "tag",
  attribute: "attribute", attr: "attribute", attributes: "attribute", run: "attribute",
  dataset: "dataset", datasets: "dataset",
};

/** One `AND`-ed comparison, typed. Numbers keep their literal so SQL compares exactly what was written. */
export type RunFilterClause =
  | { type: "metric"; key: string; comparator: NumericComparator; value: number; literal: string }
  | { type: "parameter" | "tag"; key: string; comparator: StringComparator; value: string }
  | { type: "attribute"; key: NumericAttribute; comparator: NumericComparator; value: number; literal: string }
  | { type: "attribute"; key: StringAttribute; comparator: StringComparator; value: string }
  | { type: "attribute"; key: "run_id"; comparator: ListComparator; value: string[] }
  | { type: "dataset"; key: DatasetKey; comparator: StringComparator; value: string }
  | { type: "dataset"; key: DatasetKey; comparator: ListComparator; value: string[] };

export interface RunIdentifier {
  type: EntityType;
  key: string;
}

/** `metrics.rmse` → {metric, rmse}; no prefix → attribute. Unknown types and keys are 400s. */
export function resolveRunIdentifier(identifier: string, validAttributes: readonly string[]): RunIdentifier {
  const dot = identifier.indexOf(".");
  const rawType = dot < 0 ? "attribute" : identifier.slice(0, dot);
  const entity = isQuoted(rawType, "`") ? unquote(rawType) : rawType;
  const type = ENTITY_ALIASES[entity];
  if (!type) throw invalid(`Invalid entity type '${entity}'. Valid values are [${ENTITY_TYPES.map((t) => `'${t}'`).join(", ")}]`);
  const key = cleanKey(dot < 0 ? identifier : identifier.slice(dot + 1));
  if (type === "attribute" && !validAttributes.includes(key)) {
    throw invalid(`Invalid attribute key '${key}' specified. Valid keys are '${pySet(validAttributes)}'`);
  }
  if (type === "dataset" && !(DATASET_KEYS as readonly string[]).includes(key)) {
    throw invalid(`Invalid dataset key '${key}' specified. Valid keys are '${pySet(DATASET_KEYS)}'`);
  }
  return { type, key };
}

/** MLflow's aliases: `created` is start_time, `run name` is run_name. */
export function canonicalAttribute(key: string): RunAttribute {
  if (key === "created" || key === "Created") return "start_time";
  if (RUN_NAME_ALIASES.includes(key)) return "run_name";
  return key as RunAttribute;
}

function checkComparator<C extends string>(comparator: string, valid: readonly C[]): C {
  if (!(valid as readonly string[]).includes(comparator)) throw invalid(`Invalid comparator '${comparator}' not one of '${pySet(valid)}'`);
  return comparator as C;
}

function numberValue(c: RawComparison, what: string): { value: number; literal: string } {
  if (c.value.kind !== "number") throw invalid(`Expected numeric value type for ${what}. Found ${c.value.raw}`);
  return { value: Number(c.value.raw), literal: c.value.raw };
}

function stringValue(c: RawComparison, what: string): string {
  const s = quotedValue(c.value);
  if (s === undefined) throw invalid(`Expected a quoted string value for ${what}. Got value ${c.value.raw}`);
  return s;
}

function toClause(c: RawComparison): RunFilterClause {
  const id = resolveRunIdentifier(c.identifier, SEARCHABLE_RUN_ATTRIBUTES);
  const { key } = id;
  switch (id.type) {
    case "metric": {
      const n = numberValue(c, "metric");
      return { type: "metric", key, comparator: checkComparator(c.comparator, NUMERIC_COMPARATORS), ...n };
    }
    case "parameter":
    case "tag": {
      const what = id.type === "tag" ? "tag" : "parameter";
      if (c.value.kind !== "string" && c.value.kind !== "ident") throw invalid(`Expected a quoted string value for ${what} (e.g. 'my-value'). Got value ${c.value.raw}`);
      const value = stringValue(c, what);
      return { type: id.type, key, comparator: checkComparator(c.comparator, STRING_COMPARATORS), value };
    }
    case "attribute":
      return attributeClause(c, key);
    case "dataset":
      return datasetClause(c, key as DatasetKey);
  }
}

function attributeClause(c: RawComparison, key: string): RunFilterClause {
  if (NUMERIC_ATTRIBUTES.includes(key)) {
    const n = numberValue(c, `numeric attribute: ${key}`);
    return { type: "attribute", key: canonicalAttribute(key) as NumericAttribute, comparator: checkComparator(c.comparator, NUMERIC_COMPARATORS), ...n };
  }
  const attr = canonicalAttribute(key) as StringAttribute;
  if (c.value.kind === "list") {
    if (attr !== "run_id") throw invalid("Only the 'run_id' attribute supports comparison with a list of quoted string values.");
    return { type: "attribute", key: "run_id", comparator: checkComparator(c.comparator, ["IN", "NOT IN"] as const), value: listItems(c.value) };
  }
  const value = stringValue(c, "attributes");
  const comparator = checkComparator(c.comparator, STRING_ATTRIBUTE_COMPARATORS);
  // The grammar only accepts IN / NOT IN before a list, so a string value here has a string comparator.
  if (comparator === "IN" || comparator === "NOT IN") throw invalid(`Invalid clause(s) in filter string: '${c.identifier} ${comparator} ${c.value.raw}'`);
  return { type: "attribute", key: attr, comparator, value };
}

function datasetClause(c: RawComparison, key: DatasetKey): RunFilterClause {
  if (c.value.kind === "list") {
    return { type: "dataset", key, comparator: checkComparator(c.comparator, ["IN", "NOT IN"] as const), value: listItems(c.value) };
  }
  if (c.value.kind === "number") throw invalid(`Expected a quoted string value for dataset attributes. Got value ${c.value.raw}`);
  const value = stringValue(c, "dataset attributes");
  return { type: "dataset", key, comparator: checkComparator(c.comparator, STRING_COMPARATORS), value };
}

/** Parses a runs/search filter; throws INVALID_PARAMETER_VALUE with MLflow's message. */
export function parseRunFilter(filter: string | undefined | null): RunFilterClause[] {
  return parseComparisons(filter ?? "").map(toClause);
}

/** For the portal's inline errors: null when the filter is valid, else MLflow's message. */
export function validateRunFilter(filter: string): string | null {
  try {
    parseRunFilter(filter);
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}
