import { describe, expect, it } from "vitest";
import { ScoringInputError, type LoadedModel, type ScoringRequest } from "../src/index.ts";
import { linearOnnxModel, linearOnnxTensorModel } from "../src/testing.ts";
import { columnsSignature, graphBytes, json, load, onnxMlmodel, tensorSignature } from "./helpers.ts";

async function rejects(m: LoadedModel, req: ScoringRequest): Promise<string> {
  const err = await m.score(req).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ScoringInputError);
  expect((err as ScoringInputError).status).toBe(400);
  return (err as Error).message;
}

const records = (...rows: Record<string, unknown>[]) => json({ dataframe_records: rows });

describe("column signature", () => {
  const model = linearOnnxModel({ features: 3, weights: [1, 1, 1], bias: 0 });
  const typed = (cols: [string, string, boolean?][]) => load(model.bytes, onnxMlmodel(columnsSignature(cols)));

  it("names a missing column and its expected type", async () => {
    const m = await load(model.bytes, model.view);
    expect(await rejects(m, records({ f0: 1, f2: 3 }))).toBe("Model is missing inputs ['f1']. Expected f1 (double).");
  });

  it("names every missing column", async () => {
    const m = await load(model.bytes, model.view);
    expect(await rejects(m, records({ f0: 1 }))).toBe("Model is missing inputs ['f1', 'f2']. Expected f1 (double), f2 (double).");
  });

  it("ignores extra columns", async () => {
    const m = await load(model.bytes, model.view);
    expect((await m.score(records({ f0: 1, f1: 2, f2: 3, comment: "extra", f9: true }))).predictions).toEqual([6]);
  });

  it("rejects a string in a double column with the column, expected type and received value", async () => {
    const m = await load(model.bytes, model.view);
    expect(await rejects(m, records({ f0: 1, f1: "two", f2: 3 }))).toBe(
      'Incompatible input types for column f1. Can not safely convert string to double: received "two" at row 0.',
    );
  });

  it("does not treat booleans as numbers", async () => {
    const m = await load(model.bytes, model.view);
    expect(await rejects(m, records({ f0: 1, f1: 2, f2: 3 }, { f0: true, f1: 2, f2: 3 }))).toBe(
      "Incompatible input types for column f0. Can not safely convert boolean to double: received true at row 1.",
    );
  });

  it("rejects nested values in a numeric column", async () => {
    const m = await load(model.bytes, model.view);
    expect(await rejects(m, records({ f0: [1], f1: 2, f2: 3 }))).toBe(
      "Incompatible input types for column f0. Can not safely convert array to double: received [1] at row 0.",
    );
  });

  it("rejects null in a required column", async () => {
    const m = await load(model.bytes, model.view);
    expect(await rejects(m, records({ f0: 1, f1: null, f2: 3 }))).toBe("Column f1 (double) is required, but received null at row 0.");
  });

  it("rejects NaN (from CSV) in a required column", async () => {
    const m = await load(model.bytes, model.view);
    expect(await rejects(m, { body: Buffer.from("f0,f1,f2\n1,NaN,3\n"), contentType: "text/csv" })).toBe(
      "Column f1 (double) is required, but received null at row 0.",
    );
  });

  it("rejects a record that lacks a required column present in other records", async () => {
    const m = await load(model.bytes, model.view);
    expect(await rejects(m, records({ f0: 1, f1: 2, f2: 3 }, { f0: 1, f2: 3 }))).toBe(
      "Column f1 (double) is required, but received no value at row 1.",
    );
  });

  it("fills a missing value of an optional column with NaN", async () => {
    const m = await typed([
      ["f0", "double"],
      ["f1", "double", false],
      ["f2", "double"],
    ]);
    expect((await m.score(records({ f0: 1, f2: 3 }))).predictions).toEqual([NaN]);
    expect((await m.score(records({ f0: 1, f1: 1, f2: 3 }))).predictions).toEqual([5]);
  });

  it("widens integers into long, float and double columns", async () => {
    const m = await typed([
      ["f0", "long"],
      ["f1", "float"],
      ["f2", "double"],
    ]);
    expect((await m.score(records({ f0: 1, f1: 2, f2: 3 }))).predictions).toEqual([6]);
  });

  it("widens integer columns into long and double", async () => {
    const m = await typed([
      ["f0", "integer"],
      ["f1", "integer"],
      ["f2", "long"],
    ]);
    expect((await m.score(records({ f0: -5, f1: 2147483647, f2: 2 ** 40 }))).predictions).toEqual([Math.fround(2147483647 - 5 + 2 ** 40)]);
  });

  it("rejects a fractional value in a long column", async () => {
    const m = await typed([
      ["f0", "long"],
      ["f1", "double"],
      ["f2", "double"],
    ]);
    expect(await rejects(m, records({ f0: 1.5, f1: 2, f2: 3 }))).toBe(
      "Incompatible input types for column f0. Can not safely convert double to long: received 1.5 at row 0.",
    );
  });

  it("rejects a long that does not fit an integer column", async () => {
    const m = await typed([
      ["f0", "integer"],
      ["f1", "double"],
      ["f2", "double"],
    ]);
    expect(await rejects(m, records({ f0: 2 ** 31, f1: 2, f2: 3 }))).toBe(
      "Incompatible input types for column f0. Can not safely convert long to integer: received 2147483648 at row 0.",
    );
  });

  it("rejects numbers in a boolean column and accepts booleans", async () => {
    const m = await typed([
      ["f0", "boolean"],
      ["f1", "double"],
      ["f2", "double"],
    ]);
    expect(await rejects(m, records({ f0: 1, f1: 2, f2: 3 }))).toBe(
      "Incompatible input types for column f0. Can not safely convert long to boolean: received 1 at row 0.",
    );
    expect((await m.score(records({ f0: true, f1: 2, f2: 3 }))).predictions).toEqual([6]);
  });

  it("rejects a string column the float model cannot take, naming the model's type", async () => {
    const m = await typed([
      ["f0", "string"],
      ["f1", "double"],
      ["f2", "double"],
    ]);
    expect(await rejects(m, records({ f0: "a", f1: 2, f2: 3 }))).toBe(
      "Column f0 (string) cannot be fed to the model's float32 input: received \"a\" at row 0.",
    );
  });

  it("refuses to load when the signature's columns do not fit the graph input", async () => {
    const { memoryRuntime } = await import("./helpers.ts");
    const { runtime } = memoryRuntime({ "m/model.onnx": model.bytes });
    const mlmodel = onnxMlmodel(columnsSignature([["a", "double"], ["b", "double"]]));
    await expect(runtime.acquire({ key: "m", storePath: "m", mlmodel })).rejects.toThrow(
      "The signature has 2 input columns, but the ONNX model's input 'x' has shape (-1, 3)",
    );
  });
});

describe("one graph input per column", () => {
  const model = linearOnnxModel({ features: 3, weights: [1, 10, 100], bias: 0, perColumnInputs: true });

  it("feeds each column to the input of the same name", async () => {
    const m = await load(model.bytes, model.view);
    expect((await m.score(records({ f2: 3, f0: 1, f1: 2, other: "x" }))).predictions).toEqual([321]);
  });

  it("still names missing columns", async () => {
    const m = await load(model.bytes, model.view);
    expect(await rejects(m, records({ f0: 1, f1: 2 }))).toBe("Model is missing inputs ['f2']. Expected f2 (double).");
  });

  it("casts long columns to an int64 graph input and rejects fractions", async () => {
    const bytes = graphBytes({
      inputs: [
        { name: "a", dtype: "int64", shape: ["N", 1] },
        { name: "b", dtype: "int64", shape: ["N", 1] },
      ],
      outputs: [{ name: "sum", dtype: "int64", shape: ["N", 1] }],
      nodes: [{ opType: "Add", input: ["a", "b"], output: ["sum"] }],
    });
    const m = await load(bytes, onnxMlmodel(columnsSignature([["a", "long"], ["b", "long"]])));
    expect((await m.score(records({ a: 2, b: 40 }, { a: -1, b: 1 }))).predictions).toEqual([42, 0]);
    expect(await rejects(m, records({ a: 2.5, b: 1 }))).toBe(
      "Incompatible input types for column a. Can not safely convert double to long: received 2.5 at row 0.",
    );
  });

  it("feeds string columns to string inputs", async () => {
    const bytes = graphBytes({
      inputs: [{ name: "s", dtype: "string", shape: ["N", 1] }],
      outputs: [{ name: "out", dtype: "string", shape: ["N", 1] }],
      nodes: [{ opType: "Identity", input: ["s"], output: ["out"] }],
    });
    const m = await load(bytes, onnxMlmodel(columnsSignature([["s", "string"]])));
    expect((await m.score(records({ s: "hello" }, { s: "world" }))).predictions).toEqual(["hello", "world"]);
    expect(await rejects(m, records({ s: 5 }))).toBe("Incompatible input types for column s. Can not safely convert long to string: received 5 at row 0.");
  });
});

describe("tensor signature", () => {
  const model = linearOnnxTensorModel({ features: 4, weights: [1, 1, 1, 1], bias: 0 });

  it("scores a matching tensor", async () => {
    const m = await load(model.bytes, model.view);
    expect((await m.score(json({ inputs: [[1, 2, 3, 4], [0, 0, 0, 1]] }))).predictions).toEqual([10, 1]);
    expect((await m.score(json({ instances: [[1, 2, 3, 4]] }))).predictions).toEqual([10]);
  });

  it("accepts a single named tensor in a dictionary", async () => {
    const m = await load(model.bytes, model.view);
    expect((await m.score(json({ inputs: { x: [[1, 2, 3, 4]] } }))).predictions).toEqual([10]);
  });

  it("rejects a wrong shape as MLflow words it", async () => {
    const m = await load(model.bytes, model.view);
    expect(
      await rejects(
        m,
        json({
          inputs: [
            [1, 2, 3, 4, 5],
            [1, 2, 3, 4, 5],
          ],
        }),
      ),
    ).toBe("Shape of input (2, 5) does not match expected shape (-1, 4)");
  });

  it("rejects a wrong rank", async () => {
    const m = await load(model.bytes, model.view);
    expect(await rejects(m, json({ inputs: [1, 2, 3, 4] }))).toBe("Shape of input (4,) does not match expected shape (-1, 4)");
  });

  it("rejects ragged lists", async () => {
    const m = await load(model.bytes, model.view);
    expect(await rejects(m, json({ inputs: [[1, 2, 3, 4], [1, 2, 3]] }))).toBe(
      "Input tensor is ragged: expected a list of 4 at depth 1, found a list of 3",
    );
  });

  it("rejects a wrong dtype", async () => {
    const m = await load(model.bytes, model.view);
    expect(await rejects(m, json({ inputs: [["a", "b", "c", "d"]] }))).toBe("dtype of input str does not match expected dtype float32");
    expect(await rejects(m, json({ inputs: [[true, false, true, false]] }))).toBe("dtype of input bool does not match expected dtype float32");
  });

  it("checks integer tensors for fractions and range", async () => {
    const bytes = graphBytes({
      inputs: [{ name: "i", dtype: "int32", shape: ["N", 2] }],
      outputs: [{ name: "o", dtype: "int32", shape: ["N", 2] }],
      nodes: [{ opType: "Identity", input: ["i"], output: ["o"] }],
    });
    const m = await load(bytes, onnxMlmodel(tensorSignature([{ dtype: "int32", shape: [-1, 2] }])));
    expect((await m.score(json({ inputs: [[1, -2]] }))).predictions).toEqual([[1, -2]]);
    expect(await rejects(m, json({ inputs: [[1.5, 2]] }))).toBe("dtype of input float64 does not match expected dtype int32");
    expect(await rejects(m, json({ inputs: [[2 ** 40, 2]] }))).toBe("dtype of input int64 does not match expected dtype int32");
  });

  it("scores a dataframe against a single tensor spec", async () => {
    const m = await load(model.bytes, model.view);
    const res = await m.score(json({ dataframe_split: { columns: ["a", "b", "c", "d"], data: [[1, 2, 3, 4]] } }));
    expect(res.predictions).toEqual([10]);
  });

  it("matches named tensor specs to graph inputs and names missing ones", async () => {
    const bytes = graphBytes({
      inputs: [
        { name: "a", dtype: "float32", shape: ["N", 2] },
        { name: "b", dtype: "float32", shape: ["N", 2] },
      ],
      outputs: [{ name: "s", dtype: "float32", shape: ["N", 2] }],
      nodes: [{ opType: "Add", input: ["a", "b"], output: ["s"] }],
    });
    const sig = tensorSignature([
      { name: "b", dtype: "float32", shape: [-1, 2] },
      { name: "a", dtype: "float32", shape: [-1, 2] },
    ]);
    const m = await load(bytes, onnxMlmodel(sig));
    expect((await m.score(json({ inputs: { a: [[1, 2]], b: [[10, 20]] } }))).predictions).toEqual([[11, 22]]);
    expect(await rejects(m, json({ inputs: { a: [[1, 2]] } }))).toBe("Model is missing inputs ['b']. Received inputs ['a'].");
    expect(await rejects(m, json({ inputs: { a: [[1, 2]], b: [[1, 2, 3]] } }))).toBe(
      "Shape of input (1, 3) does not match expected shape (-1, 2) for input 'b'",
    );
    expect(await rejects(m, json({ inputs: [[1, 2]] }))).toBe(
      "The model has several inputs ['b', 'a']: send them as a dictionary of named tensors",
    );
  });
});

describe("no signature", () => {
  const model = linearOnnxModel({ features: 3, weights: [1, 1, 1], bias: 0, signature: "none" });

  it("feeds a tensor by the graph's input type and checks the graph's shape", async () => {
    const m = await load(model.bytes, model.view);
    expect((await m.score(json({ inputs: [[1, 2, 3]] }))).predictions).toEqual([6]);
    expect(await rejects(m, json({ inputs: [[1, 2]] }))).toBe("Shape of input (1, 2) does not match expected shape (-1, 3)");
  });

  it("packs dataframe columns in input order", async () => {
    const m = await load(model.bytes, model.view);
    expect((await m.score(json({ dataframe_split: { columns: ["a", "b", "c"], data: [[1, 2, 3]] } }))).predictions).toEqual([6]);
    expect(await rejects(m, json({ dataframe_split: { columns: ["a", "b"], data: [[1, 2]] } }))).toBe(
      "Shape of input (1, 2) does not match expected shape (-1, 3)",
    );
  });

  it("feeds per-column graphs by input name", async () => {
    const perColumn = linearOnnxModel({ features: 2, weights: [1, 10], bias: 0, perColumnInputs: true, signature: "none" });
    const m = await load(perColumn.bytes, perColumn.view);
    expect((await m.score(json({ dataframe_records: [{ f1: 2, f0: 1 }] }))).predictions).toEqual([21]);
    expect(await rejects(m, json({ dataframe_records: [{ f0: 1 }] }))).toBe("Model is missing inputs ['f1']. Expected f1 (any).");
  });
});
