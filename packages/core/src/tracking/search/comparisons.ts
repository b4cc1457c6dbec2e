import { invalid } from "../../errors.ts";
import { tokenize, type Token } from "./tokenize.ts";

// The shared shape of every MLflow filter: `<identifier> <comparator> <value> [AND ...]`. This file
// turns tokens into raw comparisons; runs and experiments each resolve identifiers and values
// against their own vocabularies (run-filter.ts, experiment-filter.ts).

export type RawValue =
  | { kind: "string"; raw: string }
  | { kind: "ident"; raw: string }
  | { kind: "number"; raw: string }
  | { kind: "list"; raw: string; items: Token[] };

export interface RawComparison {
  identifier: string;
  /** Upper-cased for keywords (LIKE, ILIKE, IN, NOT IN); operators as written. */
  comparator: string;
  value: RawValue;
}

/** Splits on top-level AND; each part must be exactly one comparison. */
export function parseComparisons(filter: string): RawComparison[] {
  if (!filter || filter.trim() === "") return [];
  const tokens = tokenize(filter);
  const clauses: Token[][] = [[]];
  for (const t of tokens) {
    if (t.kind === "keyword" && t.word === "AND") clauses.push([]);
    else clauses.at(-1)!.push(t);
  }
  const parsed = clauses.map((c) => parseComparison(c, filter));
  const bad = clauses.filter((_c, i) => parsed[i] === undefined);
  if (bad.length > 0) {
    const text = bad.map((c) => `'${c.length ? filter.slice(c[0]!.start, end(c.at(-1)!)) : "AND"}'`).join(", ");
    throw invalid(`Invalid clause(s) in filter string: ${text}`);
  }
  return parsed as RawComparison[];
}

const end = (t: Token) => t.start + t.raw.length;

function parseComparison(ts: Token[], filter: string): RawComparison | undefined {
  const [id, c1, c2] = ts;
  if (id?.kind !== "ident" || !c1) return undefined;
  if (c1.kind === "keyword" && c1.word === "NOT" && c2?.kind === "keyword" && c2.word === "IN") return withList(id.raw, "NOT IN", ts.slice(3), filter);
  if (c1.kind === "keyword" && c1.word === "IN") return withList(id.raw, "IN", ts.slice(2), filter);
  const comparator = c1.kind === "op" ? c1.raw : c1.kind === "keyword" && (c1.word === "LIKE" || c1.word === "ILIKE") ? c1.word : undefined;
  if (comparator === undefined || ts.length !== 3 || !c2) return undefined;
  if (c2.kind === "string" || c2.kind === "ident" || c2.kind === "number") return { identifier: id.raw, comparator, value: { kind: c2.kind, raw: c2.raw } };
  return undefined;
}

/** `( 'a', 'b' )`: the tokens must be one parenthesised group and nothing after it. */
function withList(identifier: string, comparator: string, rest: Token[], filter: string): RawComparison | undefined {
  const open = rest[0];
  const close = rest.at(-1);
  if (open?.kind !== "lparen" || close?.kind !== "rparen" || rest.length < 2) return undefined;
  const inner = rest.slice(1, -1);
  if (inner.some((t) => t.kind === "lparen" || t.kind === "rparen")) return undefined;
  return { identifier, comparator, value: { kind: "list", raw: filter.slice(open.start, end(close)), items: inner } };
}

/** A list's quoted strings, as MLflow checks them (single-quoted strings separated by commas). */
export function listItems(value: Extract<RawValue, { kind: "list" }>): string[] {
  const items = value.items;
  if (items.length === 0) throw invalid("While parsing a list in the query, expected a non-empty list of string values, but got empty list");
  const strings: string[] = [];
  for (let i = 0; i < items.length; i++) {
    const t = items[i]!;
    const wantString = i % 2 === 0;
    if (wantString ? t.kind !== "string" : t.kind !== "comma") {
      throw invalid(`While parsing a list in the query, expected string value, punctuation, or whitespace, but got different type in list: ${value.raw}`);
    }
    if (wantString) strings.push(unquote(t.raw));
  }
  if (items.at(-1)!.kind === "comma") {
    throw invalid("While parsing a list in the query, expected a non-empty list of string values, but got ill-formed list.");
  }
  return strings;
}

export const isQuoted = (s: string, q: string) => s.length >= 2 && s.startsWith(q) && s.endsWith(q);

/** MLflow trims the quotes and keeps the inside verbatim. */
export const unquote = (s: string) => s.slice(1, -1);

/** A string value: single or double quoted (a double-quoted value lexes as an identifier). */
export function quotedValue(v: RawValue): string | undefined {
  if (v.kind === "string") return unquote(v.raw);
  if (v.kind === "ident") {
    if (isQuoted(v.raw, '"') || isQuoted(v.raw, "'")) return unquote(v.raw);
    throw invalid(`Parameter value is either not quoted or unidentified quote types used for string value ${v.raw}. Use either single or double quotes.`);
  }
  return undefined;
}

/** A key after the entity prefix: quotes, then backticks, trimmed (MLflow's order). */
export function cleanKey(key: string): string {
  const k = isQuoted(key, "'") || isQuoted(key, '"') ? unquote(key) : key;
  return isQuoted(k, "`") ? unquote(k) : k;
}

/** Python's repr of a set of strings, with a fixed order: MLflow's messages print its sets. */
export const pySet = (xs: readonly string[]) => `{${xs.map((x) => `'${x}'`).join(", ")}}`;
