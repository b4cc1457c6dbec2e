import { invalid } from "../../errors.ts";
import { isQuoted, unquote } from "./comparisons.ts";
import { ORDERABLE_RUN_ATTRIBUTES, canonicalAttribute, resolveRunIdentifier, type RunAttribute } from "./run-filter.ts";
import { tokenize } from "./tokenize.ts";

// order_by entries: `<identifier> [ASC|DESC]`, e.g. "metrics.rmse DESC", "params.x",
// "attributes.start_time ASC", "metrics.`my metric` DESC". Ascending unless DESC.

export type RunOrderBy =
  | { type: "metric" | "parameter" | "tag"; key: string; ascending: boolean }
  | { type: "attribute"; key: RunAttribute; ascending: boolean };

/** The identifier text and direction of one order_by entry. */
export function splitOrderBy(orderBy: string): { identifier: string; ascending: boolean } {
  const cannotParse = () => invalid(`Invalid order_by clause '${orderBy}'. Could not be parsed.`);
  let tokens;
  try {
    tokens = tokenize(orderBy);
  } catch {
    throw cannotParse();
  }
  const [id, dir, ...rest] = tokens;
  if (id?.kind !== "ident" || rest.length > 0) throw cannotParse();
  let ascending = true;
  if (dir) {
    const word = dir.kind === "ident" || dir.kind === "keyword" ? dir.raw.toLowerCase() : undefined;
    if (word === undefined) throw cannotParse();
    if (word !== "asc" && word !== "desc") throw invalid(`Invalid ordering key in order_by clause '${orderBy}'.`);
    ascending = word === "asc";
  }
  // A wholly quoted identifier (`"metrics.rmse"`) means the text inside, as MLflow's shlex split does.
  const identifier = isQuoted(id.raw, '"') || isQuoted(id.raw, "`") ? unquote(id.raw) : id.raw;
  return { identifier, ascending };
}

export function parseRunOrderBy(orderBy: string): RunOrderBy {
  const { identifier, ascending } = splitOrderBy(orderBy);
  const { type, key } = resolveRunIdentifier(identifier.trim(), ORDERABLE_RUN_ATTRIBUTES);
  if (type === "attribute") return { type, key: canonicalAttribute(key), ascending };
  if (type === "dataset") throw invalid(`Invalid order_by entity type '${type}'`);
  return { type, key, ascending };
}

export type ExperimentOrderKey = "name" | "experiment_id" | "creation_time" | "last_update_time";
export const EXPERIMENT_ORDER_KEYS: readonly ExperimentOrderKey[] = ["name", "experiment_id", "creation_time", "last_update_time"];

export interface ExperimentOrderBy {
  key: ExperimentOrderKey;
  ascending: boolean;
}

export function parseExperimentOrderBy(orderBy: string, resolve: (identifier: string, valid: readonly string[]) => { type: "attribute" | "tag"; key: string }): ExperimentOrderBy {
  const { identifier, ascending } = splitOrderBy(orderBy);
  const { type, key } = resolve(identifier.trim(), EXPERIMENT_ORDER_KEYS);
  if (type !== "attribute") throw invalid(`Invalid order_by entity: ${type}`);
  return { key: key as ExperimentOrderKey, ascending };
}
