import { StringDecoder } from "node:string_decoder";

// Streaming readers for batch scoring's inputs: the file arrives as a stream of Buffers and leaves
// as batches of records, so memory holds one batch (plus one partial line), never the file.
//
// CSV: a minimal RFC 4180 reader, written here because no streaming CSV parser is a dependency of
// this package (papaparse belongs to apps/web). The first non-blank record is the header; fields
// are split on commas; a field may be quoted ("a,b", "say ""hi""", with line breaks inside);
// CRLF or LF line ends; a UTF-8 BOM is skipped. Values are typed the way pandas' read_csv types
// them (MLflow's scoring server parses CSV with it): numbers, NaN/inf, True/False; an empty field
// is a missing value (null); anything else stays a string. Lines without a quote take a fast path
// (String.split), which is what makes numeric files fast.
//
// JSON lines: one JSON object per non-blank line.
//
// Every record carries its line number (1-based, physical: the header is line 1 of a CSV), so a
// row refused later by the signature can be named.

export type BatchInputFormat = "csv" | "jsonl";

export interface RecordBatch {
  rows: Record<string, unknown>[];
  /** The line each row starts on. */
  lines: number[];
}

/** The input itself is malformed; the message names the line. */
export class BatchInputError extends Error {
  override readonly name = "BatchInputError";
}

export interface ReadProgress {
  /** Bytes of the input consumed so far. */
  bytes: number;
}

export function readRecordBatches(input: AsyncIterable<Buffer | string> | Iterable<Buffer | string>, format: BatchInputFormat, batchSize: number, progress: ReadProgress): AsyncGenerator<RecordBatch> {
  return format === "csv" ? csvBatches(input, batchSize, progress) : jsonlBatches(input, batchSize, progress);
}

/** A CSV field as pandas would read it. */
export function csvValue(s: string): unknown {
  if (s === "") return null;
  const c = s.charCodeAt(0);
  // digits, sign or decimal point: a number, almost always
  if ((c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46) {
    const n = +s;
    if (n === n) return n; // not NaN
  } else if (c === 32 || c === 9) {
    const t = s.trim();
    return t === "" ? null : csvValue(t);
  }
  switch (s) {
    case "NaN":
    case "nan":
    case "NA":
    case "N/A":
    case "NULL":
    case "null":
      return Number.NaN;
    case "inf":
    case "Inf":
    case "+inf":
    case "Infinity":
      return Number.POSITIVE_INFINITY;
    case "-inf":
    case "-Inf":
    case "-Infinity":
      return Number.NEGATIVE_INFINITY;
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
      if (ch === 34) throw new BatchInputError(`Line ${line}: a quote inside an unquoted field (quote the whole field and double the quote: "say ""hi""")`);
      field += buf[i];
      atFieldStart = false;
      i++;
    }
  }
  if (!eof) return null;
  if (quoted) throw new BatchInputError(`Line ${line}: a quoted field is not closed before the end of the file`);
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

async function* csvBatches(input: AsyncIterable<Buffer | string> | Iterable<Buffer | string>, batchSize: number, progress: ReadProgress): AsyncGenerator<RecordBatch> {
  const decoder = new StringDecoder("utf8");
  let header: string[] | null = null;
  let width = 0;
  let rows: Record<string, unknown>[] = [];
  let lines: number[] = [];
  let buf = "";
  let line = 1;
  let first = true;

  // every row starts as a copy of this template, so all rows share one object shape (fast to build
  // and to read column by column)
  const template: Record<string, unknown> = {};
  const take = (fields: string[], at: number) => {
    if (!header) {
      header = fields.map((f) => f.trim());
      width = header.length;
      const seen = new Set<string>();
      for (const h of header) {
        if (!h) throw new BatchInputError(`Line ${at}: the header has an empty column name`);
        if (seen.has(h)) throw new BatchInputError(`Line ${at}: the header names column '${h}' twice`);
        seen.add(h);
        template[h] = null;
      }
      return;
    }
    if (fields.length !== width) throw new BatchInputError(`Line ${at}: expected ${width} fields (as in the header), found ${fields.length}`);
    const row = { ...template };
    for (let j = 0; j < width; j++) row[header[j]!] = csvValue(fields[j]!);
    rows.push(row);
    lines.push(at);
  };

  // consumes every complete record in `buf`; with eof, the last one too
  const drain = (eof: boolean) => {
    let pos = 0;
    for (;;) {
      if (pos >= buf.length) break;
      let nl = buf.indexOf("\n", pos);
      if (nl < 0) {
        if (!eof) break;
        nl = buf.length;
      }
      const end = nl > pos && buf.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      if (header && end > pos) {
        const row = scanRow(buf, pos, end, header, template);
        if (row) {
          rows.push(row);
          lines.push(line);
          line++;
          pos = nl + 1;
          continue;
        }
      }
      const text = buf.slice(pos, end);
      if (text.includes('"')) {
        const r = quotedRecord(buf, pos, eof, line);
        if (!r) break;
        take(r.fields, line);
        line += r.lines;
        pos = r.next;
        continue;
      }
      if (text.trim() !== "") take(text.split(","), line);
      line++;
      pos = nl + 1;
    }
    buf = pos >= buf.length ? "" : buf.slice(pos);
  };

  for await (const chunk of input) {
    progress.bytes += chunk.length;
    let text = typeof chunk === "string" ? chunk : decoder.write(chunk);
    if (first && text) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    buf += text;
    drain(false);
    if (rows.length >= batchSize) {
      yield* split(rows, lines, batchSize);
      rows = [];
      lines = [];
    }
  }
  buf += decoder.end();
  drain(true);
  if (!header) throw new BatchInputError("The CSV file is empty: it needs a header line naming the columns");
  if (rows.length) yield* split(rows, lines, batchSize);
}

/** Cuts an overfull batch (one big input chunk) into batches of at most `size`. */
function* split(rows: Record<string, unknown>[], lines: number[], size: number): Generator<RecordBatch> {
  if (rows.length <= size * 1.5) {
    yield { rows, lines };
    return;
  }
  for (let i = 0; i < rows.length; i += size) yield { rows: rows.slice(i, i + size), lines: lines.slice(i, i + size) };
}

async function* jsonlBatches(input: AsyncIterable<Buffer | string> | Iterable<Buffer | string>, batchSize: number, progress: ReadProgress): AsyncGenerator<RecordBatch> {
  const decoder = new StringDecoder("utf8");
  let rows: Record<string, unknown>[] = [];
  let lines: number[] = [];
  let buf = "";
  let line = 1;

  const take = (text: string) => {
    if (text.trim() === "") return;
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (e) {
      throw new BatchInputError(`Line ${line}: invalid JSON (${(e as Error).message})`);
    }
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw new BatchInputError(`Line ${line}: expected a JSON object mapping column names to values`);
    rows.push(v as Record<string, unknown>);
    lines.push(line);
  };

  for await (const chunk of input) {
    progress.bytes += chunk.length;
    buf += typeof chunk === "string" ? chunk : decoder.write(chunk);
    let pos = 0;
    for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n", pos)) {
      take(buf.slice(pos, nl));
      line++;
      pos = nl + 1;
    }
    buf = buf.slice(pos);
    if (rows.length >= batchSize) {
      yield* split(rows, lines, batchSize);
      rows = [];
      lines = [];
    }
  }
  buf += decoder.end();
  take(buf);
  if (rows.length) yield* split(rows, lines, batchSize);
}
