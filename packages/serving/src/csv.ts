import { ScoringInputError } from "./types.ts";

// text/csv scoring input: a header row, then one row per record (RFC 4180 quoting). Cells are typed
// the way pandas.read_csv infers them, since MLflow parses CSV with it: numbers, True/False, empty
// cell = missing value, anything else a string.

const NUMBER = /^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|inf|infinity|nan)$/i;

export function parseCsv(text: string): { columns: string[]; rows: unknown[][] } {
  const records = splitCsv(text);
  if (records.length === 0) throw new ScoringInputError("CSV input is empty: expected a header row naming the columns");
  const columns = records[0]!.map((c) => c.trim());
  const rows: unknown[][] = [];
  for (let r = 1; r < records.length; r++) {
    const cells = records[r]!;
    if (cells.length === 1 && cells[0] === "") continue;
    if (cells.length !== columns.length) {
      throw new ScoringInputError(`CSV row ${r} has ${cells.length} fields, but the header has ${columns.length} columns`);
    }
    rows.push(cells.map(typeCell));
  }
  return { columns, rows };
}

function typeCell(cell: string): unknown {
  const t = cell.trim();
  if (t === "" || t === "NA" || t === "NaN" || t === "null" || t === "None") return null;
  if (NUMBER.test(t)) {
    const lower = t.toLowerCase().replace(/^\+/, "");
    if (lower === "inf" || lower === "infinity") return Infinity;
    if (lower === "-inf" || lower === "-infinity") return -Infinity;
    if (lower.endsWith("nan")) return null;
    return Number(t);
  }
  if (t === "True" || t === "TRUE" || t === "true") return true;
  if (t === "False" || t === "FALSE" || t === "false") return false;
  return cell;
}

function splitCsv(text: string): string[][] {
  const records: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else cell += ch;
    } else if (ch === '"' && cell === "") quoted = true;
    else if (ch === ",") {
      row.push(cell);
      cell = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      row.push(cell);
      records.push(row);
      row = [];
      cell = "";
    } else cell += ch;
  }
  if (quoted) throw new ScoringInputError("CSV input has an unterminated quoted field");
  if (cell !== "" || row.length > 0) {
    row.push(cell);
    records.push(row);
  }
  return records;
}
