import { describe, expect, it } from "vitest";
import { ScoringInputError } from "../src/index.ts";
import { linearOnnxModel } from "../src/testing.ts";
import { csv, json, load } from "./helpers.ts";

const model = linearOnnxModel({ features: 3, weights: [1, 2, 3], bias: 0.5 });
const rows = [
  [1, 2, 3],
  [0.5, -1, 4],
];
const expected = rows.map((r) => model.predict(r));
const scorer = () => load(model.bytes, model.view);

describe("scoring request formats", () => {
  it("scores dataframe_split", async () => {
    const m = await scorer();
    const res = await m.score(json({ dataframe_split: { columns: ["f0", "f1", "f2"], data: rows, index: [7, 8] } }));
    expect(res.predictions).toEqual(expected);
  });

  it("scores dataframe_split with columns in another order", async () => {
    const m = await scorer();
    const res = await m.score(json({ dataframe_split: { columns: ["f2", "f0", "f1"], data: rows.map(([a, b, c]) => [c, a, b]) } }));
    expect(res.predictions).toEqual(expected);
  });

  it("scores dataframe_records", async () => {
    const m = await scorer();
    const res = await m.score(json({ dataframe_records: rows.map(([f0, f1, f2]) => ({ f2, f1, f0 })) }));
    expect(res.predictions).toEqual(expected);
  });

  it("scores inputs as a dictionary of columns", async () => {
    const m = await scorer();
    const res = await m.score(json({ inputs: { f0: [1, 0.5], f1: [2, -1], f2: [3, 4] } }));
    expect(res.predictions).toEqual(expected);
  });

  it("scores inputs as a list of rows in signature order", async () => {
    const m = await scorer();
    expect((await m.score(json({ inputs: rows }))).predictions).toEqual(expected);
  });

  it("scores instances as a list of records", async () => {
    const m = await scorer();
    const res = await m.score(json({ instances: [{ f0: 1, f1: 2, f2: 3 }, { f0: 0.5, f1: -1, f2: 4 }] }));
    expect(res.predictions).toEqual(expected);
  });

  it("accepts params and ignores them", async () => {
    const m = await scorer();
    const res = await m.score(json({ dataframe_records: [{ f0: 1, f1: 2, f2: 3 }], params: { threshold: 0.5 } }));
    expect(res.predictions).toEqual([expected[0]]);
  });

  it("scores CSV with a header row", async () => {
    const m = await scorer();
    const res = await m.score(csv("f0,f1,f2\n1,2,3\r\n0.5,-1,4\n"));
    expect(res.predictions).toEqual(expected);
  });

  it("scores CSV with quoted fields and columns in any order", async () => {
    const m = await scorer();
    const res = await m.score(csv('"f2","f1","f0"\n"3",2,1\n'));
    expect(res.predictions).toEqual([expected[0]]);
  });

  it("treats a missing content type as JSON", async () => {
    const m = await scorer();
    const res = await m.score({ body: Buffer.from(JSON.stringify({ inputs: [[1, 2, 3]] })), contentType: undefined });
    expect(res.predictions).toEqual([expected[0]]);
  });

  it("returns an empty list for zero rows", async () => {
    const m = await scorer();
    expect((await m.score(json({ dataframe_split: { columns: ["f0", "f1", "f2"], data: [] } }))).predictions).toEqual([]);
  });
});

describe("malformed requests", () => {
  const fails = async (req: { body: Buffer; contentType: string | undefined }) => {
    const m = await scorer();
    const err = await m.score(req).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScoringInputError);
    return err as ScoringInputError;
  };

  it("rejects malformed JSON with 400", async () => {
    const err = await fails(json("{not json"));
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/^Failed to parse input from JSON\. Ensure that input is a valid JSON formatted string\. Error: '/);
  });

  it("rejects a dictionary without an input field, naming the fields received", async () => {
    const err = await fails(json({ data: [[1, 2, 3]], columns: ["a"] }));
    expect(err.message).toContain(
      "The input must be a JSON dictionary with exactly one of the input fields {'dataframe_split', 'dataframe_records', 'instances', 'inputs'}. Received dictionary with input fields: ['data', 'columns'].",
    );
  });

  it("rejects two input fields at once", async () => {
    const err = await fails(json({ inputs: [[1, 2, 3]], instances: [[1, 2, 3]] }));
    expect(err.message).toContain("Received dictionary with input fields: ['inputs', 'instances']");
  });

  it("rejects a top-level list", async () => {
    const err = await fails(json([[1, 2, 3]]));
    expect(err.message).toContain("exactly one of the input fields");
    expect(err.message).toContain("Received a list.");
  });

  it("rejects params that are not a dictionary", async () => {
    const err = await fails(json({ inputs: [[1, 2, 3]], params: [1] }));
    expect(err.message).toBe("Failed to parse params: 'params' must be a JSON dictionary, not list");
  });

  it("rejects dataframe_split without data", async () => {
    const err = await fails(json({ dataframe_split: { columns: ["f0"] } }));
    expect(err.message).toBe("Failed to parse 'dataframe_split': 'data' must be a list of rows");
  });

  it("rejects dataframe_split rows of the wrong width", async () => {
    const err = await fails(json({ dataframe_split: { columns: ["f0", "f1", "f2"], data: [[1, 2]] } }));
    expect(err.message).toBe("Failed to parse 'dataframe_split': 3 columns passed, but row 0 of 'data' has 2 values");
  });

  it("rejects dataframe_records that are not records", async () => {
    const err = await fails(json({ dataframe_records: [[1, 2, 3]] }));
    expect(err.message).toBe("Failed to parse 'dataframe_records': expected a list of records (JSON dictionaries), one per row");
  });

  it("rejects unsupported content types with 415", async () => {
    const err = await fails({ body: Buffer.from("x"), contentType: "application/xml" });
    expect(err.status).toBe(415);
    expect(err.message).toBe("This predictor only supports the following content types: Types: ['text/csv', 'application/json']. Got 'application/xml'.");
  });

  it("rejects CSV rows of the wrong width", async () => {
    const err = await fails(csv("f0,f1,f2\n1,2\n"));
    expect(err.message).toBe("CSV row 1 has 2 fields, but the header has 3 columns");
  });

  it("rejects empty CSV", async () => {
    const err = await fails(csv(""));
    expect(err.message).toBe("CSV input is empty: expected a header row naming the columns");
  });

  it("rejects CSV with an unterminated quote", async () => {
    const err = await fails(csv('f0,f1,f2\n"1,2,3\n'));
    expect(err.message).toBe("CSV input has an unterminated quoted field");
  });

  it("rejects columns of unequal length in a dictionary of columns", async () => {
    const err = await fails(json({ inputs: { f0: [1, 2], f1: [1], f2: [1, 2] } }));
    expect(err.message).toBe("All input columns must have the same length: column f1 has 1 values, expected 2");
  });
});
