import { describe, expect, it } from "vitest";
import { ModelLoadError } from "../src/index.ts";
import { invalidOnnxBytes, linearOnnxModel } from "../src/testing.ts";
import { json, memoryRuntime, onnxMlmodel } from "./helpers.ts";

const model = linearOnnxModel({ features: 2, weights: [1, 1], bias: 0 });
const ref = (key: string, mlmodel = model.view) => ({ key, storePath: `store/${key}`, mlmodel });

describe("model runtime", () => {
  it("loads once for concurrent acquires and shares the session", async () => {
    const { runtime, reads } = memoryRuntime({ "store/v1/model.onnx": model.bytes });
    const [a, b, c] = await Promise.all([runtime.acquire(ref("v1")), runtime.acquire(ref("v1")), runtime.acquire(ref("v1"))]);
    expect(reads.get("store/v1/model.onnx")).toBe(1);
    expect(a).toBe(b);
    expect(b).toBe(c);
    expect(runtime.loaded()).toEqual(["v1"]);
  });

  it("keeps the session until the last user releases it", async () => {
    const { runtime, reads } = memoryRuntime({ "store/v1/model.onnx": model.bytes });
    const m = await runtime.acquire(ref("v1"));
    await runtime.acquire(ref("v1"));
    runtime.release("v1");
    expect(runtime.loaded()).toEqual(["v1"]);
    expect((await m.score(json({ inputs: [[1, 2]] }))).predictions).toEqual([3]);
    runtime.release("v1");
    expect(runtime.loaded()).toEqual([]);
    await new Promise((r) => setTimeout(r, 10));
    await expect(m.score(json({ inputs: [[1, 2]] }))).rejects.toThrow("Model v1 has been released");
    // Acquiring again loads a fresh session.
    const again = await runtime.acquire(ref("v1"));
    expect((await again.score(json({ inputs: [[1, 2]] }))).predictions).toEqual([3]);
    expect(reads.get("store/v1/model.onnx")).toBe(2);
  });

  it("lets in-flight requests finish before freeing the session", async () => {
    const { runtime } = memoryRuntime({ "store/v1/model.onnx": model.bytes });
    const m = await runtime.acquire(ref("v1"));
    const pending = Array.from({ length: 20 }, () => m.score(json({ inputs: [[1, 2]] })));
    runtime.release("v1");
    const results = await Promise.all(pending);
    expect(results.every((r) => (r.predictions as number[])[0] === 3)).toBe(true);
  });

  it("ignores releases of unknown keys and extra releases", async () => {
    const { runtime } = memoryRuntime({ "store/v1/model.onnx": model.bytes });
    runtime.release("nope");
    await runtime.acquire(ref("v1"));
    runtime.release("v1");
    runtime.release("v1");
    expect(runtime.loaded()).toEqual([]);
  });

  it("caches one session per key", async () => {
    const { runtime } = memoryRuntime({ "store/v1/model.onnx": model.bytes, "store/v2/model.onnx": model.bytes });
    const [a, b] = await Promise.all([runtime.acquire(ref("v1")), runtime.acquire(ref("v2"))]);
    expect(a).not.toBe(b);
    expect(runtime.loaded().sort()).toEqual(["v1", "v2"]);
    runtime.release("v1");
    expect(runtime.loaded()).toEqual(["v2"]);
  });

  it("reads the file the onnx flavor names", async () => {
    const { runtime, reads } = memoryRuntime({ "store/v1/files/lin.onnx": model.bytes });
    const mlmodel = { ...model.view, flavors: { onnx: { data: "files/lin.onnx" } } };
    await runtime.acquire(ref("v1", mlmodel));
    expect([...reads.keys()]).toEqual(["store/v1/files/lin.onnx"]);
  });
});

describe("load errors", () => {
  const loadError = async (files: Record<string, Uint8Array>, mlmodel = model.view) => {
    const { runtime } = memoryRuntime(files);
    const err = await runtime.acquire(ref("v1", mlmodel)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect(runtime.loaded()).toEqual([]);
    return (err as Error).message;
  };

  it("names the flavors found when there is no onnx flavor", async () => {
    const mlmodel = { flavors: { sklearn: { pickled_model: "model.pkl" }, python_function: {} }, signature: null };
    expect(await loadError({}, mlmodel)).toBe(
      "The model has no 'onnx' flavor (flavors found: sklearn, python_function). Modelgate serves ONNX models: export the model to ONNX (for example with skl2onnx, torch.onnx.export or tf2onnx) and log it with mlflow.onnx.log_model.",
    );
  });

  it("reports an unreadable model file", async () => {
    expect(await loadError({})).toBe("Could not read the ONNX model file 'model.onnx': ENOENT: no such file, open 'store/v1/model.onnx'");
  });

  it("reports an empty model file", async () => {
    expect(await loadError({ "store/v1/model.onnx": new Uint8Array() })).toBe("The ONNX model file 'model.onnx' is empty");
  });

  it("reports an invalid ONNX file", async () => {
    expect(await loadError({ "store/v1/model.onnx": invalidOnnxBytes })).toMatch(/^The ONNX model file 'model.onnx' is not a valid ONNX model: .+/);
  });

  it("refuses a data path outside the model directory", async () => {
    expect(await loadError({}, onnxMlmodelWith("../other/model.onnx"))).toBe(
      "The onnx flavor's 'data' must be a relative path inside the model directory, not \"../other/model.onnx\"",
    );
  });

  it("does not cache a failed load: a later acquire retries", async () => {
    const { runtime, store } = memoryRuntime({});
    await expect(runtime.acquire(ref("v1"))).rejects.toBeInstanceOf(ModelLoadError);
    store.set("store/v1/model.onnx", Buffer.from(model.bytes));
    const m = await runtime.acquire(ref("v1"));
    expect((await m.score(json({ inputs: [[2, 2]] }))).predictions).toEqual([4]);
  });

  it("fails every concurrent acquire of a broken model", async () => {
    const { runtime, reads } = memoryRuntime({ "store/v1/model.onnx": invalidOnnxBytes });
    const results = await Promise.allSettled([runtime.acquire(ref("v1")), runtime.acquire(ref("v1"))]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect(reads.get("store/v1/model.onnx")).toBe(1);
  });
});

function onnxMlmodelWith(data: string) {
  const m = onnxMlmodel();
  return { ...m, flavors: { onnx: { data } } };
}
