import { invalid } from "../../errors.ts";

// The lexer for MLflow's filter language. MLflow feeds filters to sqlparse, so this recognises the
// same token classes sqlparse does for the inputs MLflow accepts: identifiers (dotted, with parts
// in "..." or backticks), single-quoted strings, numbers, comparison operators (any run of
// <>=~!, so '>>>' is one token and is rejected later as a comparator), keywords and lists.

export type Token =
  | { kind: "ident"; raw: string; start: number }
  | { kind: "string"; raw: string; start: number }
  | { kind: "number"; raw: string; start: number }
  | { kind: "op"; raw: string; start: number }
  | { kind: "keyword"; raw: string; word: Keyword; start: number }
  | { kind: "lparen" | "rparen" | "comma"; raw: string; start: number };

export type Keyword = "AND" | "OR" | "NOT" | "IN" | "LIKE" | "ILIKE";
const KEYWORDS: ReadonlySet<string> = new Set<Keyword>(["AND", "OR", "NOT", "IN", "LIKE", "ILIKE"]);

const NUMBER = /-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?(?![\w$#])/y;
const WORD = /[A-Za-z_\u00C0-\uFFFF][\w$#\u00C0-\uFFFF]*/y;
// After a dot a part may start with a digit (`metrics.2nd`).
const KEY_WORD = /[\w$#\u00C0-\uFFFF]+/y;
const OP = /[<>=~!]+/y;
const SPACE = /\s+/y;

function matchAt(re: RegExp, s: string, at: number): string | undefined {
  re.lastIndex = at;
  return re.exec(s)?.[0];
}

/** A quoted run starting at `at` ("..." or `...` or '...'), doubled quotes and \-escapes kept. */
function quotedAt(s: string, at: number): string | undefined {
  const q = s[at]!;
  for (let i = at + 1; i < s.length; i++) {
    if (s[i] === "\\" && q !== "`") i++;
    else if (s[i] === q) {
      if (s[i + 1] === q) i++;
      else return s.slice(at, i + 1);
    }
  }
  return undefined;
}

/** One identifier part: a word, or a "..." / `...` quoted name. */
function partAt(s: string, at: number, afterDot: boolean): string | undefined {
  const c = s[at];
  if (c === '"' || c === "`") return quotedAt(s, at);
  return matchAt(afterDot ? KEY_WORD : WORD, s, at);
}

function identAt(s: string, at: number): string | undefined {
  let raw = partAt(s, at, false);
  if (raw === undefined) return undefined;
  for (;;) {
    if (s[at + raw.length] !== ".") return raw;
    const next = partAt(s, at + raw.length + 1, true);
    if (next === undefined) return raw;
    raw += `.${next}`;
  }
}

function syntaxError(filter: string): never {
  throw invalid(`Error on parsing filter '${filter}'`);
}

export function tokenize(input: string): Token[] {
  const out: Token[] = [];
  let at = 0;
  while (at < input.length) {
    const space = matchAt(SPACE, input, at);
    if (space) {
      at += space.length;
      continue;
    }
    const c = input[at]!;
    const start = at;
    let tok: Token | undefined;
    if (c === "'") {
      const raw = quotedAt(input, at) ?? syntaxError(input);
      tok = { kind: "string", raw, start };
    } else if (c === "(" || c === ")" || c === ",") {
      tok = { kind: c === "(" ? "lparen" : c === ")" ? "rparen" : "comma", raw: c, start };
    } else if (c === ";") {
      if (input.slice(at + 1).trim() !== "") throw invalid(`Search filter contained multiple expression '${input}'. Provide AND-ed expression list.`);
      break;
    } else {
      const num = matchAt(NUMBER, input, at);
      const op = num === undefined ? matchAt(OP, input, at) : undefined;
      const ident = num === undefined && op === undefined ? identAt(input, at) : undefined;
      if (num !== undefined) tok = { kind: "number", raw: num, start };
      else if (op !== undefined) tok = { kind: "op", raw: op, start };
      else if (ident !== undefined) {
        const upper = ident.toUpperCase();
        tok = KEYWORDS.has(upper) ? { kind: "keyword", raw: ident, word: upper as Keyword, start } : { kind: "ident", raw: ident, start };
      } else syntaxError(input);
    }
    out.push(tok);
    at += tok.raw.length;
  }
  return mergeRunNameAlias(out);
}

/** `run name` / `Run name` / `Run Name` (MLflow's aliases of run_name) are two words; join them. */
function mergeRunNameAlias(tokens: Token[]): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const next = tokens[i + 1];
    if (t.kind === "ident" && (t.raw === "run" || t.raw === "Run") && next?.kind === "ident" && (next.raw === "name" || next.raw === "Name")) {
      out.push({ kind: "ident", raw: `${t.raw} ${next.raw}`, start: t.start });
      i++;
    } else out.push(t);
  }
  return out;
}
