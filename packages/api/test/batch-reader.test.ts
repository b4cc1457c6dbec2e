import { describe, expect, it } from "vitest";
import { csvValue } from "@modelgate/serving";
import { BatchInputError, readRecordBatches, type BatchInputFormat } from "../src/serving/batch-reader.ts";
import { csvLines } from "../src/serving/batch-run.ts";

// The streaming readers on their own: every way a file can be cut into chunks gives the same
// records, with the right line numbers.

async function read(chunks: (string | Buffer)[], format: BatchInputFormat = "csv", size = 1000) {
  const rows: Record<string, unknown>[] = [];
  const lines: number[] = [];
  const progress = { bytes: 0 };
  for await (const b of readRecordBatches(chunks, format, size, progress)) {
    rows.push(...b.rows);
    lines.push(...b.lines);
  }
  return { rows, lines, bytes: progress.bytes };
}

/** Every split of `text` into two chunks (as Buffers: UTF-8 sequences get cut too). */
async function everySplit(text: string, format: BatchInputFormat = "csv") {
  const bytes = Buffer.from(text);
  const whole = await read([bytes], format);
  for (let i = 1; i < bytes.length; i++) expect(await read([bytes.subarray(0, i), bytes.subarray(i)], format)).toEqual(whole);
  return whole;
}

describe("csv reader", () => {
  it("types values as pandas does and reads numbers exactly as Number()", () => {
    expect(["1", "-2.5", "1e3", "", "NaN", "inf", "-inf", "True", "false", "abc", " 7 "].map(csvValue)).toEqual([1, -2.5, 1000, null, null, Infinity, -Infinity, true, false, "abc", 7]);
  });

  it("the fast path gives the doubles Number() gives", async () => {
    const values = ["0.1", "-0.0001", "123456789.123456", "9007199254740993", "1.7976931348623157e308", "-0", "007", ".5", "5.", "3.14159265358979", "1e-7", "12345678901234.5"];
    const { rows } = await read([`a\n${values.join("\n")}\n`]);
    expect(rows.map((r) => r.a)).toEqual(values.map(Number));
    expect(Object.is(rows[5]!.a, -0)).toBe(true);
  });

  it("reads quoted fields, doubled quotes, line breaks in quotes, CRLF and a BOM, however the bytes are chunked", async () => {
    const text = '\uFEFFid,"note",x\r\n1,"a, b",2\r\n2,"say ""hé""",3\r\n3,"two\nlines",4\r\n\r\n4,plain,5';
    const { rows, lines } = await everySplit(text);
    expect(rows).toEqual([
      { id: 1, note: "a, b", x: 2 },
      { id: 2, note: 'say "hé"', x: 3 },
      { id: 3, note: "two\nlines", x: 4 },
      { id: 4, note: "plain", x: 5 },
    ]);
    expect(lines).toEqual([2, 3, 4, 7]);
  });

  it("names the line of a malformed record", async () => {
    await expect(read(["a,b\n1,2\n3\n"])).rejects.toThrow(new BatchInputError("Line 3: expected 2 fields (as in the header), found 1"));
    await expect(read(['a,b\n1,"2\n'])).rejects.toThrow(/Line 2: a quoted field is not closed/);
    await expect(read(["a,a\n1,2\n"])).rejects.toThrow(/names column 'a' twice/);
    await expect(read([""])).rejects.toThrow(/empty/);
  });

  it("cuts batches at the requested size and counts bytes", async () => {
    const text = "a\n" + Array.from({ length: 2500 }, (_, i) => `${i}\n`).join("");
    const batches = [];
    const progress = { bytes: 0 };
    for await (const b of readRecordBatches([text], "csv", 1000, progress)) batches.push(b.rows.length);
    expect(batches).toEqual([1000, 1000, 500]);
    expect(progress.bytes).toBe(text.length);
  });
});

describe("json lines reader", () => {
  it("reads one object per line, skipping blank lines, however the bytes are chunked", async () => {
    const { rows, lines } = await everySplit('{"a":1,"b":"é"}\n\n{"a":2,"b":null}\r\n{"a":3}', "jsonl");
    expect(rows).toEqual([{ a: 1, b: "é" }, { a: 2, b: null }, { a: 3 }]);
    expect(lines).toEqual([1, 3, 4]);
  });

  it("names the line of invalid JSON", async () => {
    await expect(read(['{"a":1}\n{"a":\n'], "jsonl")).rejects.toThrow(/^Line 2: invalid JSON/);
  });
});

describe("predictions", () => {
  it("writes one CSV field per prediction", () => {
    expect(csvLines([1.5, [2], null, "x,y", { a: 1 }, [1, 2]])).toBe('1.5\n2\n\n"x,y"\n"{""a"":1}"\n"[1,2]"\n');
  });
});
