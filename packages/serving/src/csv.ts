import { ScoringInputError } from "./types.ts";

// CSV input, one reader for online scoring (text/csv requests) and batch scoring (files streamed
// from the artifact store): RFC 4180 records, typed the way pandas.read_csv types them with its
// defaults (MLflow's scoring server parses CSV with it).
//
// Records: the first non-blank record is the header; fields are split on commas; a field may be
// quoted ("a,b", "say ""hi""", line breaks inside); CRLF or LF line ends; a UTF-8 BOM is skipped;
// blank lines are skipped (skip_blank_lines). Header names are trimmed; an empty or repeated name
// is refused (pandas would invent "Unnamed: 0" or "a.1", which no signature names). Every record
// must have as many fields as the header.
//
// Values (csvValue): surrounding spaces are ignored; an empty field or one of pandas' default NA
// strings (NA, N/A, n/a, NaN, nan, -NaN, NULL, null, None, <NA>, #N/A, …) is a missing value,
// null; a decimal or exponent number is a number; inf/infinity in any case, with a sign, is
// ±Infinity; True/TRUE/true and False/FALSE/false are booleans; anything else is the string as
// written.
//
// Lines without a quote take a fast path (fields read in place), which is what makes numeric
// files fast.

/** A malformed CSV input; `problem` says what, so each edge words it its own way. */
export type CsvProblem =
  | { kind: "empty" }
  | { kind: "width"; line: number; record: number; expected: number; found: number }
  | { kind: "unclosed"; line: number }
  | { kind: "stray-quote"; line: number }
  | { kind: "header"; line: number; reason: string };

export class CsvInputError extends Error {
  override readonly name = "CsvInputError";
  constructor(readonly problem: CsvProblem) {
    super(describe(problem));
  }
}

function describe(p: CsvProblem): string {
  switch (p.kind) {
    case "empty":
      return "The CSV file is empty: it needs a header line naming the columns";
    case "width":
      return `Line ${p.line}: expected ${p.expected} fields (as in the header), found ${p.found}`;
    case "unclosed":
      return `Line ${p.line}: a quoted field is not closed before the end of the file`;
    case "stray-quote":
      return `Line ${p.line}: a quote inside an unquoted field (quote the whole field and double the quote: "say ""hi""")`;
    case "header":
      return `Line ${p.line}: ${p.reason}`;
  }
}

/** pandas.read_csv's default na_values (the empty string aside, handled first). */
const NA = new Set(["#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"]);
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INFINITY = /^([+-]?)inf(inity)?$/i;

/** A CSV field as pandas would read it (see the rules above). */
export function csvValue(s: string): unknown {
  const c = s.charCodeAt(0);
  // digits, sign or decimal point: a number, almost always
  if ((c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46) {
    if (DECIMAL.test(s)) return +s;
  }
  const t = c === 32 || c === 9 || s.charCodeAt(s.length - 1) === 32 || s.charCodeAt(s.length - 1) === 9 ? s.trim() : s;
  if (t === "" || NA.has(t)) return null;
  if (t !== s && DECIMAL.test(t)) return +t;
  const inf = INFINITY.exec(t);
  if (inf) return inf[1] === "-" ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  switch (t) {
    case "True":
    case "true":
    case "TRUE":
      return true;
    case "False":
    case "false":
    case "FALSE":
      return false;
    default:
      return s;
  }
}

interface QuotedRecord {
  fields: string[];
  /** Index just past the record's line end. */
  next: number;
  /** Physical lines the record spans. */
  lines: number;
}

/** Parses one record that contains quotes, from `pos`; null when it continues past the buffered text. */
function quotedRecord(buf: string, pos: number, eof: boolean, line: number): QuotedRecord | null {
  const fields: string[] = [];
  let field = "";
  let quoted = false;
  let lines = 1;
  let i = pos;
  let atFieldStart = true;
  while (i < buf.length) {
    const ch = buf.charCodeAt(i);
    if (quoted) {
      if (ch === 34) {
        if (i + 1 >= buf.length && !eof) return null; // is it "" or the closing quote? need more text
        if (buf.charCodeAt(i + 1) === 34) {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      if (ch === 10) lines++;
      field += buf[i];
      i++;
      continue;
    }
    if (ch === 34 && atFieldStart) {
      quoted = true;
      atFieldStart = false;
      i++;
    } else if (ch === 44) {
      fields.push(field);
      field = "";
      atFieldStart = true;
      i++;
    } else if (ch === 10 || (ch === 13 && buf.charCodeAt(i + 1) === 10)) {
      fields.push(field);
      return { fields, next: i + (ch === 13 ? 2 : 1), lines };
    } else if (ch === 13 && i + 1 >= buf.length && !eof) {
      return null;
    } else {
      if (ch === 34) throw new CsvInputError({ kind: "stray-quote", line });
      field += buf[i];
      atFieldStart = false;
      i++;
    }
  }
  if (!eof) return null;
  if (quoted) throw new CsvInputError({ kind: "unclosed", line });
  fields.push(field);
  return { fields, next: buf.length, lines };
}

const POW10 = Array.from({ length: 16 }, (_, i) => 10 ** i);

/**
 * The fast path for a line with no quotes: fields are read in place, and a plain decimal of at
 * most 15 digits is computed from its digits (mantissa / 10^scale is exact-then-rounded, the same
 * double Number() gives); anything else goes through csvValue. Null means "take the slow path"
 * (a quote, or a field count that differs from the header's: the slow path reports it).
 */
function scanRow(buf: string, start: number, end: number, names: string[], template: Record<string, unknown>): Record<string, unknown> | null {
  const row = { ...template };
  const width = names.length;
  let i = start;
  for (let j = 0; j < width; j++) {
    let p = i;
    let c = 0;
    let neg = false;
    if (p < end) {
      c = buf.charCodeAt(p);
      if (c === 45) {
        neg = true;
        p++;
      } else if (c === 43) p++;
    }
    let mant = 0;
    let digits = 0;
    let scale = 0;
    let dot = false;
    while (p < end) {
      c = buf.charCodeAt(p);
      if (c >= 48 && c <= 57) {
        mant = mant * 10 + (c - 48);
        digits++;
        if (dot) scale++;
      } else if (c === 46 && !dot) dot = true;
      else break;
      p++;
    }
    let value: unknown;
    if (digits > 0 && digits <= 15 && (p === end || c === 44)) {
      const v = scale === 0 ? mant : mant / POW10[scale]!;
      value = neg ? -v : v;
    } else {
      let fieldEnd = buf.indexOf(",", i);
      if (fieldEnd < 0 || fieldEnd > end) fieldEnd = end;
      const text = buf.slice(i, fieldEnd);
      if (text.includes('"')) return null;
      value = csvValue(text);
      p = fieldEnd;
    }
    row[names[j]!] = value;
    if (j < width - 1) {
      if (p >= end) return null; // too few fields
      i = p + 1;
    } else if (p !== end) return null; // too many fields
  }
  return row;
}

/**
 * Reads CSV text pushed in pieces (a stream's chunks, or one whole request body) and hands each
 * record, typed and keyed by the header, to `onRecord` with the line it starts on (1-based,
 * physical: the header is line 1). Holds at most one partial record between pushes.
 */
export class CsvRecordReader {
  /** The header's column names, once read. */
  columns: string[] | null = null;
  private buf = "";
  private line = 1;
  private records = 0;
  private first = true;
  // every row starts as a copy of this template, so all rows share one object shape (fast to build
  // and to read column by column)
  private readonly template: Record<string, unknown> = {};

  constructor(private readonly onRecord: (row: Record<string, unknown>, line: number) => void) {}

  push(text: string): void {
    if (this.first && text) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      this.first = false;
    }
    this.buf += text;
    this.drain(false);
  }

  /** The input ended: reads the last record; refuses an input without a header. */
  end(): void {
    this.drain(true);
    if (!this.columns) throw new CsvInputError({ kind: "empty" });
  }

  private take(fields: string[], at: number) {
    const header = this.columns;
    if (!header) {
      const names = fields.map((f) => f.trim());
      const seen = new Set<string>();
      for (const h of names) {
        if (!h) throw new CsvInputError({ kind: "header", line: at, reason: "the header has an empty column name" });
        if (seen.has(h)) throw new CsvInputError({ kind: "header", line: at, reason: `the header names column '${h}' twice` });
        seen.add(h);
        this.template[h] = null;
      }
      this.columns = names;
      return;
    }
    this.records++;
    if (fields.length !== header.length) throw new CsvInputError({ kind: "width", line: at, record: this.records, expected: header.length, found: fields.length });
    const row = { ...this.template };
    for (let j = 0; j < header.length; j++) row[header[j]!] = csvValue(fields[j]!);
    this.onRecord(row, at);
  }

  /** Consumes every complete record in the buffer; with eof, the last one too. */
  private drain(eof: boolean) {
    const buf = this.buf;
    let pos = 0;
    for (;;) {
      if (pos >= buf.length) break;
      let nl = buf.indexOf("\n", pos);
      if (nl < 0) {
        if (!eof) break;
        nl = buf.length;
      }
      const end = nl > pos && buf.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      if (this.columns && end > pos) {
        const row = scanRow(buf, pos, end, this.columns, this.template);
        if (row) {
          this.records++;
          this.onRecord(row, this.line);
          this.line++;
          pos = nl + 1;
          continue;
        }
      }
      const text = buf.slice(pos, end);
      if (text.includes('"')) {
        const r = quotedRecord(buf, pos, eof, this.line);
        if (!r) break;
        this.take(r.fields, this.line);
        this.line += r.lines;
        pos = r.next;
        continue;
      }
      if (text.trim() !== "") this.take(text.split(","), this.line);
      this.line++;
      pos = nl + 1;
    }
    this.buf = pos >= buf.length ? "" : buf.slice(pos);
  }
}

/** A text/csv scoring request: its columns and rows, refused with online scoring's messages. */
export function parseCsv(text: string): { columns: string[]; rows: unknown[][] } {
  const rows: unknown[][] = [];
  const reader: CsvRecordReader = new CsvRecordReader((row) => rows.push(reader.columns!.map((c) => row[c])));
  try {
    reader.push(text);
    reader.end();
  } catch (e) {
    if (!(e instanceof CsvInputError)) throw e;
    const p = e.problem;
    if (p.kind === "empty") throw new ScoringInputError("CSV input is empty: expected a header row naming the columns");
    if (p.kind === "width") throw new ScoringInputError(`CSV row ${p.record} has ${p.found} fields, but the header has ${p.expected} columns`);
    if (p.kind === "unclosed") throw new ScoringInputError("CSV input has an unterminated quoted field");
    throw new ScoringInputError(`CSV input: ${e.message}`);
  }
  return { columns: reader.columns!, rows };
}
