import { describe, expect, it } from "vitest";
import {
  diffSignatures,
  inputExamplePath,
  parseInputExample,
  parseMlmodel,
  type MlmodelView,
  type SignatureView,
} from "../src/registry/mlmodel.ts";

const SKLEARN = `artifact_path: model
flavors:
  python_function:
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.sklearn
    model_path: model.pkl
    predict_fn: predict
    python_version: 3.11.4
  sklearn:
    code: null
    pickled_model: model.pkl
    serialization_format: cloudpickle
    sklearn_version: 1.3.0
mlflow_version: 2.9.2
model_size_bytes: 1024
model_uuid: 3c5f1f0e2a8b4c55a0c8e2f1d4b6a7c9
run_id: 8a1d2f3e4b5c6d7e8f9a0b1c2d3e4f5a
saved_input_example_info:
  artifact_path: input_example.json
  pandas_orient: split
  type: dataframe
signature:
  inputs: '[{"type": "double", "name": "sepal length (cm)", "required": true}, {"type":
    "long", "name": "x", "required": false}, {"type":"string","name":"s"}]'
  outputs: '[{"type": "long", "required": true}]'
  params: null
utc_time_created: '2024-01-05 10:11:12.123456'
metadata:
  team: vision
  owners: [ana, bo]
some_future_key: ignored
`;

const ONNX = `flavors:
  onnx:
    onnx_version: 1.14.0
    data: model.onnx
    providers: [CUDAExecutionProvider, CPUExecutionProvider]
  python_function:
    loader_module: mlflow.onnx
    data: model.onnx
signature:
  inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}, "name": "input"}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]'
saved_input_example_info:
  artifact_path: input_example.json
  type: ndarray
  format: tf-serving
`;

function parsed(text: string): MlmodelView {
  const r = parseMlmodel(text);
  if (!r.ok) throw new Error(`expected ok, got: ${r.message}`);
  return r.mlmodel;
}

function failure(text: string): string {
  const r = parseMlmodel(text);
  if (r.ok) throw new Error("expected parseMlmodel to fail");
  return r.message;
}

const withSignature = (fields: string) => `flavors:\n  sklearn: {}\nsignature:\n${fields}`;

describe("parseMlmodel: realistic files", () => {
  it("reads an sklearn MLmodel with a column signature and input example info", () => {
    const m = parsed(SKLEARN);
    expect(m.artifact_path).toBe("model");
    expect(m.flavor_names).toEqual(["python_function", "sklearn"]);
    expect(m.flavors.python_function).toEqual({
      env: { conda: "conda.yaml", virtualenv: "python_env.yaml" },
      loader_module: "mlflow.sklearn",
      model_path: "model.pkl",
      predict_fn: "predict",
      python_version: "3.11.4",
    });
    expect(m.flavors.sklearn).toEqual({
      code: null,
      pickled_model: "model.pkl",
      serialization_format: "cloudpickle",
      sklearn_version: "1.3.0",
    });
    expect(m.mlflow_version).toBe("2.9.2");
    expect(m.model_size_bytes).toBe(1024);
    expect(m.model_uuid).toBe("3c5f1f0e2a8b4c55a0c8e2f1d4b6a7c9");
    expect(m.run_id).toBe("8a1d2f3e4b5c6d7e8f9a0b1c2d3e4f5a");
    expect(m.utc_time_created).toBe("2024-01-05 10:11:12.123456");
    expect(m.saved_input_example_info).toEqual({ artifact_path: "input_example.json", pandas_orient: "split", type: "dataframe" });
    expect(m.metadata).toEqual({ team: "vision", owners: ["ana", "bo"] });
    expect(m.signature).toEqual({
      inputs: {
        kind: "columns",
        specs: [
          { kind: "column", name: "sepal length (cm)", type: "double", required: true },
          { kind: "column", name: "x", type: "long", required: false },
          { kind: "column", name: "s", type: "string", required: true },
        ],
      },
      outputs: { kind: "columns", specs: [{ kind: "column", name: null, type: "long", required: true }] },
      params: null,
    });
    expect(inputExamplePath(m)).toBe("input_example.json");
    expect(m).not.toHaveProperty("some_future_key");
  });

  it("keeps the view JSON-safe (round-trips through JSON unchanged)", () => {
    const m = parsed(SKLEARN);
    expect(JSON.parse(JSON.stringify(m))).toEqual(m);
  });

  it("reads an onnx MLmodel with a tensor signature", () => {
    const m = parsed(ONNX);
    expect(m.flavor_names).toEqual(["onnx", "python_function"]);
    expect(m.flavors.onnx).toEqual({
      onnx_version: "1.14.0",
      data: "model.onnx",
      providers: ["CUDAExecutionProvider", "CPUExecutionProvider"],
    });
    expect(m.signature?.inputs).toEqual({
      kind: "tensors",
      specs: [{ kind: "tensor", name: "input", dtype: "float32", shape: [-1, 4] }],
    });
    expect(m.signature?.outputs).toEqual({ kind: "tensors", specs: [{ kind: "tensor", name: null, dtype: "int64", shape: [-1] }] });
    expect(m.signature?.params).toBeNull();
    expect(m.saved_input_example_info).toEqual({ artifact_path: "input_example.json", type: "ndarray", format: "tf-serving" });
    expect(m.artifact_path).toBeNull();
    expect(m.model_size_bytes).toBeNull();
    expect(m.metadata).toBeNull();
  });

  it("reads a params schema", () => {
    const m = parsed(
      withSignature(
        `  inputs: '[{"type": "string", "name": "prompt"}]'\n  outputs: null\n  params: '[{"name": "temperature", "type": "float", "default": 0.5, "shape": null}, {"name": "stop", "type": "string", "default": ["a", "b"], "shape": [-1]}]'\n`,
      ),
    );
    expect(m.signature).toEqual({
      inputs: { kind: "columns", specs: [{ kind: "column", name: "prompt", type: "string", required: true }] },
      outputs: null,
      params: [
        { name: "temperature", type: "float", default: 0.5, shape: null },
        { name: "stop", type: "string", default: ["a", "b"], shape: [-1] },
      ],
    });
  });

  it("keeps nested items/properties/values of array, object and map columns as detail", () => {
    const m = parsed(
      withSignature(
        `  inputs: '[{"type": "array", "items": {"type": "string"}, "name": "tags"}, {"type": "object", "properties": {"a": {"type": "long", "required": true}}, "name": "o"}, {"type": "map", "values": {"type": "double"}, "name": "m"}]'\n`,
      ),
    );
    expect(m.signature?.inputs?.specs).toEqual([
      { kind: "column", name: "tags", type: "array", required: true, detail: { type: "string" } },
      { kind: "column", name: "o", type: "object", required: true, detail: { a: { type: "long", required: true } } },
      { kind: "column", name: "m", type: "map", required: true, detail: { type: "double" } },
    ]);
  });

  it("treats a flavor with a null config as an empty mapping", () => {
    const m = parsed("flavors:\n  python_function:\n  custom: null\n");
    expect(m.flavors).toEqual({ python_function: {}, custom: {} });
    expect(m.signature).toBeNull();
  });

  it("keeps timestamps as strings and never stores Date objects", () => {
    const m = parsed(
      "flavors: {sklearn: {}}\nutc_time_created: 2024-01-05 10:11:12.123456\nmetadata:\n  trained_on: 2024-01-05\n  tagged: !!timestamp 2024-02-01T10:00:00Z\n",
    );
    expect(m.utc_time_created).toBe("2024-01-05 10:11:12.123456");
    expect(m.metadata).toEqual({ trained_on: "2024-01-05", tagged: "2024-02-01T10:00:00Z" });
    expect(JSON.parse(JSON.stringify(m))).toEqual(m);
  });

  it("turns non-finite numbers into null and odd keys into strings", () => {
    const m = parsed("flavors: {sklearn: {}}\nmetadata: {big: .inf, nan: .nan, 1: one, [a, b]: pair}\n");
    expect(m.metadata).toEqual({ big: null, nan: null, "1": "one", '["a","b"]': "pair" });
  });

  it("stores a __proto__ key as data, not as a prototype", () => {
    const m = parsed("flavors: {sklearn: {}}\nmetadata:\n  __proto__: {polluted: true}\n");
    expect(Object.getPrototypeOf(m.metadata)).toBe(Object.prototype);
    expect(Object.keys(m.metadata ?? {})).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("parseMlmodel: errors are results with a specific message", () => {
  it("invalid YAML reports the reason and line", () => {
    const msg = failure("flavors:\n  sklearn: [1, 2\nrun_id: x\n");
    expect(msg).toMatch(/^MLmodel is not valid YAML: /);
    expect(msg).toContain("(line 3)");
  });

  it("duplicate keys are invalid YAML", () => {
    expect(failure("flavors: {a: {}}\nrun_id: x\nrun_id: y\n")).toMatch(/^MLmodel is not valid YAML: Map keys must be unique \(line 3\)$/);
  });

  it("a circular alias is refused", () => {
    expect(failure("flavors: {a: {}}\nmetadata: &m [*m]\n")).toContain("circular");
  });

  it("an empty file is refused", () => {
    expect(failure("")).toBe("MLmodel is empty");
  });

  it.each([
    ["- a\n- b\n", "a list"],
    ["just text\n", "a string"],
  ])("a top level that is not a mapping is refused (%j)", (text, what) => {
    expect(failure(text)).toBe(`MLmodel top level must be a mapping, not ${what}`);
  });

  it("missing flavors is refused", () => {
    expect(failure("run_id: abc\n")).toBe("MLmodel has no 'flavors' mapping");
    expect(failure("flavors:\n")).toBe("MLmodel has no 'flavors' mapping");
  });

  it("empty flavors is refused", () => {
    expect(failure("flavors: {}\n")).toContain("'flavors' mapping is empty");
  });

  it("non-mapping flavors is refused", () => {
    expect(failure("flavors: [sklearn]\n")).toBe("MLmodel 'flavors' must be a mapping of flavor name to config, not a list");
  });

  it("a flavor config that is not a mapping is refused", () => {
    expect(failure("flavors:\n  sklearn: model.pkl\n")).toBe("MLmodel flavor 'sklearn' config must be a mapping, not a string");
  });

  it("a signature that is not a mapping is refused", () => {
    expect(failure("flavors: {a: {}}\nsignature: [x]\n")).toBe("MLmodel 'signature' must be a mapping, not a list");
  });

  it("a signature field that is not a string is refused", () => {
    expect(failure(withSignature("  inputs:\n    - {type: double}\n"))).toBe("MLmodel signature 'inputs' must be a JSON string, not a list");
  });

  it("a signature field that is not valid JSON is refused", () => {
    expect(failure(withSignature("  outputs: '[{\"type\": '\n"))).toMatch(/^MLmodel signature 'outputs' is not valid JSON: /);
  });

  it("a signature field whose JSON is not a list is refused", () => {
    expect(failure(withSignature(`  inputs: '{"type": "double"}'\n`))).toBe(
      "MLmodel signature 'inputs' must be a list of column or tensor specs",
    );
    expect(failure(withSignature(`  params: '{"name": "t"}'\n`))).toBe("MLmodel signature 'params' must be a list of param specs");
  });

  it("a list entry that is not an object is refused", () => {
    expect(failure(withSignature(`  inputs: '["double"]'\n`))).toContain("must be a list of column or tensor specs (spec 1 is a string)");
  });

  it("a tensor spec without dtype is refused", () => {
    expect(failure(withSignature(`  inputs: '[{"type": "tensor", "tensor-spec": {"shape": [-1, 4]}}]'\n`))).toBe(
      "MLmodel signature 'inputs' spec 1 tensor-spec has no 'dtype'",
    );
  });

  it("a tensor spec without shape is refused", () => {
    expect(failure(withSignature(`  inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32"}}]'\n`))).toBe(
      "MLmodel signature 'inputs' spec 1 tensor-spec has no valid 'shape' (a list of integers)",
    );
  });

  it("a tensor without a tensor-spec is refused", () => {
    expect(failure(withSignature(`  outputs: '[{"type": "tensor", "name": "y"}]'\n`))).toBe(
      "MLmodel signature 'outputs' spec 1 is a tensor without a 'tensor-spec'",
    );
  });

  it("mixing column and tensor specs is refused", () => {
    expect(
      failure(withSignature(`  inputs: '[{"type": "double", "name": "a"}, {"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1]}}]'\n`)),
    ).toBe("MLmodel signature 'inputs' mixes column and tensor specs");
  });

  it("a column without a type is refused", () => {
    expect(failure(withSignature(`  inputs: '[{"name": "a"}]'\n`))).toBe("MLmodel signature 'inputs' spec 1 has no 'type'");
  });

  it("a param without a name is refused", () => {
    expect(failure(withSignature(`  params: '[{"type": "float", "default": 1}]'\n`))).toBe("MLmodel signature 'params' spec 1 has no 'name'");
  });

  it("a file over 1 MiB is refused without parsing", () => {
    const text = `flavors: {a: {}}\nmetadata: {pad: "${"x".repeat(1024 * 1024)}"}\n`;
    expect(failure(text)).toBe("MLmodel is too large (over 1048576 bytes)");
  });

  it("never throws on non-string input", () => {
    expect(parseMlmodel(undefined as unknown as string)).toEqual({ ok: false, message: "MLmodel is not text" });
  });
});

describe("inputExamplePath", () => {
  const view = (artifact_path: unknown): MlmodelView => ({
    ...parsed("flavors: {a: {}}\n"),
    saved_input_example_info: { artifact_path, type: "json_object" },
  });

  it("returns a relative path inside the model directory", () => {
    expect(inputExamplePath(view("input_example.json"))).toBe("input_example.json");
    expect(inputExamplePath(view("./examples/input.json"))).toBe("examples/input.json");
  });

  it.each(["../x.json", "a/../../x.json", "/etc/x", "a\\b.json", "C:/x.json", "", "."])("refuses %j", (p) => {
    expect(inputExamplePath(view(p))).toBeNull();
  });

  it("is null without info or a string path", () => {
    expect(inputExamplePath(parsed("flavors: {a: {}}\n"))).toBeNull();
    expect(inputExamplePath(view(42))).toBeNull();
  });
});

describe("parseInputExample", () => {
  it("parses a dataframe split example", () => {
    expect(parseInputExample('{"columns": ["a", "b"], "data": [[1, 2.5]]}')).toEqual({
      ok: true,
      value: { columns: ["a", "b"], data: [[1, 2.5]] },
    });
  });

  it("parses tf-serving inputs and record lists", () => {
    expect(parseInputExample('{"inputs": [[1, 2, 3, 4]]}')).toEqual({ ok: true, value: { inputs: [[1, 2, 3, 4]] } });
    expect(parseInputExample('[{"a": 1}, {"a": 2}]')).toEqual({ ok: true, value: [{ a: 1 }, { a: 2 }] });
  });

  it("refuses invalid JSON", () => {
    const r = parseInputExample("{not json");
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toMatch(/^Input example is not valid JSON: /);
  });

  it("refuses an example over 64 KiB as too large to keep", () => {
    const big = JSON.stringify({ data: "x".repeat(64 * 1024) });
    expect(parseInputExample(big)).toEqual({ ok: false, message: "Input example is too large to keep (over 65536 bytes)" });
  });

  it("counts bytes, not characters", () => {
    const text = JSON.stringify("é".repeat(40 * 1024)); // 40k characters, 80 KiB of UTF-8
    const r = parseInputExample(text);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toContain("too large to keep");
  });
});

describe("diffSignatures", () => {
  const sig = (text: string): SignatureView => {
    const s = parsed(withSignature(text)).signature;
    if (!s) throw new Error("no signature");
    return s;
  };

  it("reports added, removed, changed and unchanged columns", () => {
    const left = sig(
      `  inputs: '[{"type": "double", "name": "a"}, {"type": "long", "name": "b"}, {"type": "string", "name": "gone"}]'\n  outputs: '[{"type": "long"}]'\n`,
    );
    const right = sig(
      `  inputs: '[{"type": "double", "name": "a"}, {"type": "long", "name": "b", "required": false}, {"type": "boolean", "name": "new"}]'\n  outputs: '[{"type": "double"}]'\n`,
    );
    expect(diffSignatures(left, right)).toEqual([
      { section: "inputs", name: "a", left: "double", right: "double", changed: false },
      { section: "inputs", name: "b", left: "long", right: "long (optional)", changed: true },
      { section: "inputs", name: "gone", left: "string", right: null, changed: true },
      { section: "inputs", name: "new", left: null, right: "boolean", changed: true },
      { section: "outputs", name: "[0]", left: "long", right: "double", changed: true },
    ]);
  });

  it("labels tensors and params", () => {
    const left = sig(
      `  inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}, "name": "input"}]'\n  params: '[{"name": "temperature", "type": "float", "default": 0.5, "shape": null}]'\n`,
    );
    const right = sig(
      `  inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 4]}, "name": "input"}]'\n  params: '[{"name": "temperature", "type": "float", "default": 0.7, "shape": null}]'\n`,
    );
    expect(diffSignatures(left, right)).toEqual([
      { section: "inputs", name: "input", left: "tensor float32 [-1, 4]", right: "tensor float64 [-1, 4]", changed: true },
      { section: "params", name: "temperature", left: "float (default 0.5)", right: "float (default 0.7)", changed: true },
    ]);
  });

  it("labels nested array, map and object types", () => {
    const left = sig(
      `  inputs: '[{"type": "array", "items": {"type": "string"}, "name": "t"}, {"type": "map", "values": {"type": "array", "items": {"type": "long"}}, "name": "m"}, {"type": "object", "properties": {"a": {"type": "long"}, "b": {"type": "string", "required": false}}, "name": "o", "required": false}]'\n`,
    );
    expect(diffSignatures(left, null).map((r) => r.left)).toEqual([
      "array<string>",
      "map<array<long>>",
      "object{a: long, b?: string} (optional)",
    ]);
  });

  it("compares against a missing signature", () => {
    const right = sig(`  inputs: '[{"type": "double", "name": "a"}]'\n`);
    expect(diffSignatures(null, right)).toEqual([{ section: "inputs", name: "a", left: null, right: "double", changed: true }]);
    expect(diffSignatures(null, null)).toEqual([]);
  });
});
