import { invalid } from "../../errors.ts";
import { cleanKey, parseComparisons, pySet, quotedValue, type RawComparison } from "./comparisons.ts";
import { NUMERIC_COMPARATORS, STRING_COMPARATORS, type NumericComparator, type StringComparator } from "./run-filter.ts";
import { parseExperimentOrderBy, type ExperimentOrderBy } from "./order-by.ts";

// The experiments/search filter (MLflow's SearchExperimentsUtils): attributes name, creation_time,
// last_update_time and tags.<key>. Only the prefixes attribute, tag and tags are accepted.

export type ExperimentFilterClause =
  | { type: "attribute"; key: "name"; comparator: StringComparator; value: string }
  | { type: "attribute"; key: "creation_time" | "last_update_time"; comparator: NumericComparator; value: number; literal: string }
  | { type: "tag"; key: string; comparator: StringComparator; value: string };

const SEARCH_KEYS = ["name", "creation_time", "last_update_time"] as const;
const VALID_ENTITY_TYPES = ["attribute", "tag", "tags"] as const;

/**
 * `<entity>.<key>` or a bare attribute, for the searches whose identifiers are attributes or tags
 * (experiments, registered models, model versions); `entityTypes` lists the accepted prefixes.
 */
export function resolveAttributeOrTag(
  identifier: string,
  validAttributes: readonly string[],
  entityTypes: readonly string[] = VALID_ENTITY_TYPES,
): { type: "attribute" | "tag"; key: string } {
  const dot = identifier.indexOf(".");
  let type: "attribute" | "tag" = "attribute";
  if (dot >= 0) {
    const entity = identifier.slice(0, dot);
    if (!entityTypes.includes(entity)) {
      throw invalid(`Invalid entity type '${entity}'. Valid entity types are (${entityTypes.map((t) => `'${t}'`).join(", ")})`);
    }
    type = entity.startsWith("attribute") ? "attribute" : "tag";
  }
  const key = cleanKey(dot < 0 ? identifier : identifier.slice(dot + 1));
  if (type === "attribute" && !validAttributes.includes(key)) {
    throw invalid(`Invalid attribute key '${key}' specified. Valid keys are '${pySet(validAttributes)}'`);
  }
  return { type, key };
}

export const resolveExperimentIdentifier = (identifier: string, validAttributes: readonly string[]) => resolveAttributeOrTag(identifier, validAttributes);

/** A comparator from `valid`, or MLflow's 400. */
export function comparator<C extends string>(c: string, valid: readonly C[]): C {
  if (!(valid as readonly string[]).includes(c)) throw invalid(`Invalid comparator '${c}' not one of '${pySet(valid)}'`);
  return c as C;
}

function stringOf(c: RawComparison, what: string): string {
  if (c.value.kind === "list") throw invalid("Only the 'run_id' attribute supports comparison with a list of quoted string values.");
  const s = quotedValue(c.value);
  if (s === undefined) throw invalid(`Expected a quoted string value for ${what}. Got value ${c.value.raw}`);
  return s;
}

function toClause(c: RawComparison): ExperimentFilterClause {
  const { type, key } = resolveExperimentIdentifier(c.identifier, SEARCH_KEYS);
  if (type === "tag") {
    if (c.value.kind !== "string" && c.value.kind !== "ident") throw invalid(`Expected a quoted string value for tag (e.g. 'my-value'). Got value ${c.value.raw}`);
    return { type, key, comparator: comparator(c.comparator, STRING_COMPARATORS), value: stringOf(c, "tag") };
  }
  if (key === "name") return { type, key, comparator: comparator(c.comparator, STRING_COMPARATORS), value: stringOf(c, "attributes") };
  if (c.value.kind !== "number") throw invalid(`Expected numeric value type for numeric attribute: ${key}. Found ${c.value.raw}`);
  const numericKey = key as "creation_time" | "last_update_time";
  return { type, key: numericKey, comparator: comparator(c.comparator, NUMERIC_COMPARATORS), value: Number(c.value.raw), literal: c.value.raw };
}

export function parseExperimentFilter(filter: string | undefined | null): ExperimentFilterClause[] {
  return parseComparisons(filter ?? "").map(toClause);
}

export function parseExperimentOrderByList(orderBy: readonly string[]): ExperimentOrderBy[] {
  return orderBy.map((o) => parseExperimentOrderBy(o, resolveExperimentIdentifier));
}
