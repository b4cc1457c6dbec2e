// One bench:tracing exporter thread (see lib/otlp-load.ts): a few clients, each an async loop over
// its own keep-alive socket with one request in flight, sending prepared OTLP protobuf bodies.
import http from "node:http";
import { parentPort } from "node:worker_threads";
import { loadTemplate, renewTraceIds, type BodyTemplate } from "./lib/otlp-payloads.ts";
import type { FromOtlpWorker, OtlpTarget, ToOtlpWorker } from "./lib/otlp-load.ts";

const port = parentPort;
if (!port) throw new Error("otlp-client-worker.ts runs as a worker thread");

const MAX_ERRORS = 20; // past that the figure is meaningless: the client stops

/** Per client, its own bodies (patched in place between its requests: one in flight at a time). */
let bodies: BodyTemplate[][] = [];

function send(agent: http.Agent, url: URL, headers: http.OutgoingHttpHeaders, body: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: "POST", agent, headers: { ...headers, "content-length": body.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: res.statusCode === 200 ? "" : Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function run(target: OtlpTarget, ms: number): Promise<FromOtlpWorker> {
  const url = new URL("/v1/traces", target.url);
  const headers = { authorization: `Bearer ${target.token}`, "content-type": "application/x-protobuf", "x-mlflow-experiment-id": target.experimentId };
  const latencies: number[] = [];
  let requests = 0;
  let spans = 0;
  let errors = 0;
  let firstError: string | undefined;
  const end = performance.now() + ms;
  const client = async (mine: BodyTemplate[]) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const scratch = Buffer.alloc(16 * (mine[0]?.slots.length ?? 0));
    try {
      for (let i = 0; performance.now() < end && errors < MAX_ERRORS; i++) {
        const t = mine[i % mine.length]!;
        renewTraceIds(t, scratch);
        const t0 = performance.now();
        try {
          const r = await send(agent, url, headers, t.body);
          if (r.status !== 200) throw new Error(`HTTP ${r.status} ${r.text.slice(0, 300)}`);
          latencies.push(performance.now() - t0);
          requests++;
          spans += t.spans;
        } catch (e) {
          errors++;
          firstError ??= `POST /v1/traces -> ${e instanceof Error ? e.message : String(e)}`;
        }
      }
    } finally {
      agent.destroy();
    }
  };
  await Promise.all(bodies.map((mine) => client(mine)));
  return { type: "done", requests, spans, errors, latencies: Float64Array.from(latencies), ...(firstError ? { firstError } : {}) };
}

port.on("message", (msg: ToOtlpWorker) => {
  void (async () => {
    if (msg.type === "prepare") {
      bodies = Array.from({ length: msg.clients }, (_, c) => Array.from({ length: msg.variants }, (_, v) => loadTemplate(msg.traces, msg.spansPerTrace, (msg.clientOffset + c) * 100 + v + 1)));
      port.postMessage({ type: "prepared", bytesPerBody: bodies[0]?.[0]?.body.length ?? 0 } satisfies FromOtlpWorker);
    } else {
      const result = await run(msg.target, msg.ms);
      port.postMessage(result, result.type === "done" ? [result.latencies.buffer as ArrayBuffer] : []);
    }
  })();
});
