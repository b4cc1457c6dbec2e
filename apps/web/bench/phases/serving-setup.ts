// bench:serving's set-up, all through the API as a user would: an experiment and a run, the
// 10-feature linear ONNX model (MLmodel, model.onnx, input_example.json) PUT into the run's
// artifacts through the artifact proxy, registered as a version, and an endpoint serving it.
import http from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { linearOnnxModel } from "@modelgate/serving/testing";
import { createExperiment, errorOf, post, type Endpoint } from "../lib/mlflow-http.ts";
import type { ServedModel } from "../lib/serving-context.ts";

const FEATURES = 10;

/** A JSON call outside /api/2.0/mlflow (serving endpoints and jobs). */
export async function callApi<T>(ep: Endpoint, method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${ep.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${ep.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw await errorOf(res, `${method} ${path}`);
  return (await res.json()) as T;
}

/** `mlflow-artifacts:/1/abc/artifacts` → the proxy URL of `<that>/<rel>`. */
export function artifactUrl(ep: Endpoint, artifactUri: string, rel: string): string {
  const storePath = artifactUri.replace(/^mlflow-artifacts:(\/\/[^/]+)?\/+/, "");
  return `${ep.baseUrl}/api/2.0/mlflow-artifacts/artifacts/${storePath}/${rel}`;
}

/** PUTs a body through the artifact proxy: bytes, or a stream of chunks (sent chunked, never held whole). */
export async function putArtifact(ep: Endpoint, url: string, body: Uint8Array | string | AsyncIterable<string | Buffer>): Promise<void> {
  const u = new URL(url);
  const fixed = typeof body === "string" || body instanceof Uint8Array;
  const headers: http.OutgoingHttpHeaders = { authorization: `Bearer ${ep.token}`, "content-type": "application/octet-stream", ...(fixed ? { "content-length": Buffer.byteLength(body) } : {}) };
  await new Promise<void>((resolve, reject) => {
    const req = http.request(u, { method: "PUT", headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => (res.statusCode === 200 ? resolve() : reject(new Error(`PUT ${u.pathname}: HTTP ${res.statusCode} ${Buffer.concat(chunks).toString("utf8").slice(0, 300)}`))));
      res.on("error", reject);
    });
    req.on("error", reject);
    if (fixed) req.end(body);
    else pipeline(Readable.from(body), req).catch(reject);
  });
}

async function waitHealthy(ep: Endpoint, name: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    const res = await fetch(`${ep.baseUrl}/serving-endpoints/${name}/health`, { headers: { authorization: `Bearer ${ep.token}` } });
    last = `HTTP ${res.status} ${(await res.text()).slice(0, 300)}`;
    if (res.ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`GET /serving-endpoints/${name}/health never answered 200 within ${timeoutMs / 1000} s: last ${last}`);
}

export async function setUpServedModel(ep: Endpoint, stamp: string, log: (line: string) => void): Promise<ServedModel> {
  const model = linearOnnxModel({ features: FEATURES });
  const experimentId = await createExperiment(ep, `bench-serving-${stamp}`);
  const r = await post<{ run: { info: { run_id: string; artifact_uri: string } } }>(ep, "runs/create", { experiment_id: experimentId, run_name: "linear-onnx", start_time: Date.now(), tags: [] });
  const { run_id: runId, artifact_uri: artifactUri } = r.run.info;
  await putArtifact(ep, artifactUrl(ep, artifactUri, "model/MLmodel"), model.mlmodel);
  await putArtifact(ep, artifactUrl(ep, artifactUri, "model/model.onnx"), model.bytes);
  await putArtifact(ep, artifactUrl(ep, artifactUri, "model/input_example.json"), model.inputExample);
  const modelName = `bench-linear-${stamp}`;
  await post(ep, "registered-models/create", { name: modelName });
  const mv = await post<{ model_version: { version: string } }>(ep, "model-versions/create", { name: modelName, source: `${artifactUri}/model`, run_id: runId });
  const version = mv.model_version.version;
  const endpointName = `bench-linear-${stamp}`;
  await callApi(ep, "POST", "/api/2.0/serving-endpoints", { name: endpointName, config: { served_entities: [{ entity_name: modelName, entity_version: version }] } });
  await waitHealthy(ep, endpointName);
  log(`set up through the API: experiment ${experimentId}, run ${runId} with model/{MLmodel, model.onnx (${model.bytes.length} bytes), input_example.json}, ${modelName} version ${version}, endpoint ${endpointName} healthy`);
  return { features: FEATURES, columns: model.columns, predict: (row) => model.predict(row), experimentId, runId, artifactUri, modelName, version, endpointName };
}
