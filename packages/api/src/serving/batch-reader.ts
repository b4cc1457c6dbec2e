import { StringDecoder } from "node:string_decoder";
import { CsvInputError, CsvRecordReader } from "@modelgate/serving";

// Streaming readers for batch scoring's inputs: the file arrives as a stream of Buffers and leaves
// as batches of records, so memory holds one batch (plus one partial line), never the file.
//
// CSV: @modelgate/serving's CsvRecordReader, the reader online scoring uses too (same records, same
// pandas-like typing; its header documents the rules).
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

async function* csvBatches(input: AsyncIterable<Buffer | string> | Iterable<Buffer | string>, batchSize: number, progress: ReadProgress): AsyncGenerator<RecordBatch> {
  const decoder = new StringDecoder("utf8");
  let rows: Record<string, unknown>[] = [];
  let lines: number[] = [];
  const reader = new CsvRecordReader((row, line) => {
    rows.push(row);
    lines.push(line);
  });
  try {
    for await (const chunk of input) {
      progress.bytes += chunk.length;
      reader.push(typeof chunk === "string" ? chunk : decoder.write(chunk));
      if (rows.length >= batchSize) {
        yield* split(rows, lines, batchSize);
        rows = [];
        lines = [];
      }
    }
    reader.push(decoder.end());
    reader.end();
  } catch (e) {
    throw e instanceof CsvInputError ? new BatchInputError(e.message) : e;
  }
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
