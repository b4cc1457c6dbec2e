import { describe, expect, it } from "vitest";
import { linearOnnxModel, linearOnnxTensorModel } from "../src/testing.ts";
import { json, load } from "./helpers.ts";

function signatureField(mlmodel: string, field: string): unknown {
  const line = mlmodel.split("\n").find((l) => l.startsWith(`  ${field}: '`));
  return line ? JSON.parse(line.slice(`  ${field}: '`.length, -1)) : undefined;
}

describe("test-model builder", () => {
  it("writes an MLmodel with onnx and python_function flavors and a double-column signature", () => {
    const m = linearOnnxModel({ features: 3 });
    expect(m.mlmodel).toMatch(/^flavors:\n {2}onnx:\n/m);
    expect(m.mlmodel).toContain("    data: model.onnx\n");
    expect(m.mlmodel).toContain("    loader_module: mlflow.onnx\n");
    expect(signatureField(m.mlmodel, "inputs")).toEqual([
      { type: "double", name: "f0", required: true },
      { type: "double", name: "f1", required: true },
      { type: "double", name: "f2", required: true },
    ]);
    expect(signatureField(m.mlmodel, "outputs")).toEqual([{ type: "double", required: true }]);
    expect(JSON.parse(m.inputExample)).toEqual({ columns: ["f0", "f1", "f2"], data: [[0.5, 1, 1.5]] });
  });

  it("scores its own input example to what predict() says", async () => {
    const m = linearOnnxModel({ features: 4, weights: [0.5, -1, 2, 0.25], bias: 1 });
    const loaded = await load(m.bytes, m.view);
    const example = JSON.parse(m.inputExample) as { columns: string[]; data: number[][] };
    const res = await loaded.score(json({ dataframe_split: example }));
    expect((res.predictions as number[])[0]).toBeCloseTo(m.predict(example.data[0]!), 5);
  });

  it("builds float64 and per-column variants", async () => {
    const wide = linearOnnxModel({ features: 3, dtype: "float64", weights: [0.1, 0.2, 0.3], bias: 0 });
    const loaded = await load(wide.bytes, wide.view);
    expect((await loaded.score(json({ inputs: [[1, 1, 1]] }))).predictions).toEqual([0.1 + 0.2 + 0.3]);
    const perColumn = linearOnnxModel({ features: 3, perColumnInputs: true });
    const loadedPer = await load(perColumn.bytes, perColumn.view);
    const res = await loadedPer.score(json({ dataframe_records: [{ f0: 1, f1: 2, f2: 3 }] }));
    expect((res.predictions as number[])[0]).toBeCloseTo(perColumn.predict([1, 2, 3]), 5);
  });

  it("builds a tensor-signature variant with a matching input example", async () => {
    const m = linearOnnxTensorModel({ features: 2, inputName: "float_input" });
    expect(signatureField(m.mlmodel, "inputs")).toEqual([{ type: "tensor", "tensor-spec": { dtype: "float32", shape: [-1, 2] } }]);
    const loaded = await load(m.bytes, m.view);
    const res = await loaded.score(json(JSON.parse(m.inputExample)));
    expect((res.predictions as number[])[0]).toBeCloseTo(m.predict([0.5, 1]), 5);
  });
});
