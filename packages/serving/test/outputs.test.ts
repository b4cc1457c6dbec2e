import { describe, expect, it } from "vitest";
import { shortestFloat32 } from "../src/outputs.ts";
import { linearOnnxModel } from "../src/testing.ts";
import { graphBytes, json, load, onnxMlmodel } from "./helpers.ts";

const identity = (dtype: "float32" | "float64" | "int64" | "bool", shape: (number | string)[]) =>
  graphBytes({
    inputs: [{ name: "x", dtype, shape }],
    outputs: [{ name: "y", dtype, shape }],
    nodes: [{ opType: "Identity", input: ["x"], output: ["y"] }],
  });

describe("predictions", () => {
  it("returns a flat list for one [N, 1] output", async () => {
    const m = await load(identity("float64", ["N", 1]), onnxMlmodel());
    expect((await m.score(json({ inputs: [[1.5], [2.5]] }))).predictions).toEqual([1.5, 2.5]);
  });

  it("returns a flat list for one [N] output", async () => {
    const m = await load(identity("float64", ["N"]), onnxMlmodel());
    expect((await m.score(json({ inputs: [1, 2, 3] }))).predictions).toEqual([1, 2, 3]);
  });

  it("returns a list of lists for one [N, k] output", async () => {
    const m = await load(identity("float64", ["N", 2]), onnxMlmodel());
    expect((await m.score(json({ inputs: [[1, 2], [3, 4]] }))).predictions).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it("nests higher-rank outputs", async () => {
    const m = await load(identity("float64", ["N", 2, 2]), onnxMlmodel());
    const value = [
      [
        [1, 2],
        [3, 4],
      ],
    ];
    expect((await m.score(json({ inputs: value }))).predictions).toEqual(value);
  });

  it("returns a dictionary of name → list for several outputs", async () => {
    const bytes = graphBytes({
      inputs: [{ name: "x", dtype: "float32", shape: ["N", 2] }],
      outputs: [
        { name: "same", dtype: "float32", shape: ["N", 2] },
        { name: "total", dtype: "float32", shape: ["N", 1] },
      ],
      nodes: [
        { opType: "Identity", input: ["x"], output: ["same"] },
        { opType: "ReduceSum", input: ["x"], output: ["total"], attribute: [{ name: "keepdims", type: 2, i: 1 }] },
      ],
    });
    const m = await load(bytes, onnxMlmodel());
    expect((await m.score(json({ inputs: [[0.1, 0.2]] }))).predictions).toEqual({ same: [[0.1, 0.2]], total: [0.3] });
    expect(await m.predictRecords([{ a: 1, b: 2 }])).toEqual([{ same: [1, 2], total: 3 }]);
  });

  it("converts int64 and bool outputs to JSON numbers and booleans", async () => {
    const ints = await load(identity("int64", ["N", 1]), onnxMlmodel());
    expect((await ints.score(json({ inputs: [[7], [-3]] }))).predictions).toEqual([7, -3]);
    const bools = await load(identity("bool", ["N", 1]), onnxMlmodel());
    expect((await bools.score(json({ inputs: [[true], [false]] }))).predictions).toEqual([true, false]);
  });

  it("writes float32 values as the shortest decimal that reads back the same", async () => {
    const m = await load(identity("float32", ["N", 1]), onnxMlmodel());
    const values = [0.1, 1.2345678, 3.3333333, 1e-7, 123456.79, -2.5];
    const res = (await m.score(json({ inputs: values.map((v) => [v]) }))).predictions as number[];
    expect(res).toEqual([0.1, 1.2345678, 3.3333333, 1e-7, 123456.79, -2.5]);
    res.forEach((v, i) => expect(Math.fround(v)).toBe(Math.fround(values[i]!)));
  });

  it("shortestFloat32 round-trips every value", () => {
    for (let i = 0; i < 2000; i++) {
      const x = Math.fround((Math.random() - 0.5) * 10 ** ((i % 20) - 10));
      expect(Math.fround(shortestFloat32(x))).toBe(x);
    }
    expect(shortestFloat32(Math.fround(0.1))).toBe(0.1);
  });
});

describe("predictRecords", () => {
  it("scores many rows in one run, one prediction per row", async () => {
    const model = linearOnnxModel({ features: 10 });
    const m = await load(model.bytes, model.view);
    const rows = Array.from({ length: 5000 }, (_, r) => model.columns.map((_, i) => ((r * 7 + i * 3) % 11) / 4));
    const records = rows.map((row) => Object.fromEntries(model.columns.map((c, i) => [c, row[i]])));
    const predictions = (await m.predictRecords(records)) as number[];
    expect(predictions).toHaveLength(5000);
    predictions.forEach((p, r) => expect(p).toBeCloseTo(model.predict(rows[r]!), 4));
  });

  it("enforces the signature per row", async () => {
    const model = linearOnnxModel({ features: 2 });
    const m = await load(model.bytes, model.view);
    const err = await m.predictRecords([{ f0: 1, f1: 2 }, { f0: "x", f1: 2 }]).catch((e: unknown) => e);
    expect(err).toMatchObject({
      message: 'Incompatible input types for column f0. Can not safely convert string to double: received "x" at row 1.',
      row: 1,
    });
    const missing = await m.predictRecords([{ f0: 1, f1: 2 }, { f0: 1, f1: 2 }, { f0: 1 }]).catch((e: unknown) => e);
    expect(missing).toMatchObject({ message: "Column f1 (double) is required, but received no value at row 2.", row: 2 });
  });

  it("returns nothing for no rows", async () => {
    const model = linearOnnxModel({ features: 2 });
    const m = await load(model.bytes, model.view);
    expect(await m.predictRecords([])).toEqual([]);
  });
});
