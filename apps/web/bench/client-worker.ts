// One benchmark client (a worker thread): prepares its log-batch bodies ahead of the clock, then
// sends them one at a time over a keep-alive connection, like one thread of the Python client.
import { parentPort } from "node:worker_threads";
import { createRun, MlflowHttpError, post, type Endpoint } from "./lib/mlflow-http.ts";
import { logBatchBodies, runData, seriesBodies } from "./lib/payloads.ts";
import type { FromWorker, LoadSpec, SeedSpec, ToWorker } from "./lib/worker-protocol.ts";

const port = parentPort;
if (!port) throw new Error("client-worker.ts runs as a worker thread");

let prepared: string[] = [];

function build(spec: LoadSpec): { bodies: string[]; points: number } {
  if (spec.kind === "series") {
    const bodies = spec.runIds.flatMap((runId) => seriesBodies(runId, spec.key, spec.from, spec.to, spec.baseTimestamp));
    return { bodies, points: spec.runIds.length * (spec.to - spec.from) };
  }
  const bodies: string[] = [];
  for (const runId of spec.runIds) {
    const d = runData(spec.shape, spec.baseTimestamp);
    bodies.push(...logBatchBodies(runId, d.metrics, d.params, d.tags));
  }
  return { bodies, points: spec.runIds.length * spec.shape.metricKeys * spec.shape.steps };
}

function failure(e: unknown): { error: string; endpointMissing: boolean } {
  return { error: e instanceof Error ? e.message : String(e), endpointMissing: e instanceof MlflowHttpError && e.endpointMissing };
}

/** Stops at the first failure: the figure is meaningless after one anyway. */
async function send(ep: Endpoint): Promise<FromWorker> {
  let requests = 0;
  try {
    for (const body of prepared) {
      await post(ep, "runs/log-batch", body);
      requests++;
    }
    return { type: "sent", requests };
  } catch (e) {
    return { type: "sent", requests, ...failure(e) };
  }
}

async function seed(ep: Endpoint, spec: SeedSpec): Promise<FromWorker> {
  const runIds: string[] = [];
  try {
    for (let i = 0; i < spec.count; i++) {
      const runId = await createRun(ep, spec.experimentId, `${spec.namePrefix}-${i}`, spec.baseTimestamp + i);
      const d = runData(spec.shape, spec.baseTimestamp);
      for (const body of logBatchBodies(runId, d.metrics, d.params, d.tags)) await post(ep, "runs/log-batch", body);
      runIds.push(runId);
    }
    return { type: "seeded", runIds };
  } catch (e) {
    return { type: "seeded", runIds, ...failure(e) };
  }
}

port.on("message", (msg: ToWorker) => {
  void (async () => {
    let reply: FromWorker;
    if (msg.type === "prepare") {
      const { bodies, points } = build(msg.spec);
      prepared = bodies;
      reply = { type: "prepared", requests: bodies.length, points, bytes: bodies.reduce((n, b) => n + Buffer.byteLength(b), 0) };
    } else if (msg.type === "send") {
      reply = await send({ baseUrl: msg.baseUrl, token: msg.token });
    } else {
      reply = await seed({ baseUrl: msg.baseUrl, token: msg.token }, msg.spec);
    }
    port.postMessage(reply);
  })();
});
