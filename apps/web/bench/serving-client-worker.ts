// One bench:serving load thread (see lib/serving-load.ts): a few clients, each an async loop over
// its own keep-alive socket with one request in flight, checking every answer.
import http from "node:http";
import { parentPort } from "node:worker_threads";
import type { FromLoadWorker, LoadTarget, ServingLoadSpec, ToLoadWorker } from "./lib/serving-load.ts";

const port = parentPort;
if (!port) throw new Error("serving-client-worker.ts runs as a worker thread");

const FIXED = '{"predictions":[0]}';
const MAX_ERRORS = 50; // past that the figure is meaningless: the client stops

let bodies: Buffer[] = [];
let expected: number[] = [];
let clients = 0;
let clientOffset = 0;

function prepare(spec: ServingLoadSpec, n: number, offset: number) {
  bodies = spec.bodies.map((b) => Buffer.from(b));
  expected = spec.expected;
  clients = n;
  clientOffset = offset;
}

function send(agent: http.Agent, url: URL, headers: http.OutgoingHttpHeaders, body: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: "POST", agent, headers: { ...headers, "content-length": body.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** The single prediction of a one-row answer, whatever its shape: [y], [[y]] or [{"name": y}]. */
function predictionOf(text: string): number {
  const p = (JSON.parse(text) as { predictions?: unknown }).predictions;
  let v: unknown = Array.isArray(p) ? p[0] : p;
  if (Array.isArray(v)) v = v[0];
  if (typeof v === "object" && v !== null) v = Object.values(v)[0];
  return typeof v === "number" ? v : Number.NaN;
}

async function run(target: LoadTarget, ms: number, record: boolean): Promise<FromLoadWorker> {
  const url = new URL(target.url);
  const headers = { authorization: `Bearer ${target.token}`, "content-type": "application/json" };
  const latencies: number[] = [];
  let requests = 0;
  let errors = 0;
  let mismatches = 0;
  let firstError: string | undefined;
  let firstMismatch: string | undefined;
  const end = performance.now() + ms;
  const client = async (c: number) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    // clients start at different rows so the server sees different bodies at once
    let i = ((clientOffset + c) * 7919) % bodies.length;
    try {
      while (performance.now() < end && errors < MAX_ERRORS) {
        const k = i++ % bodies.length;
        const t0 = performance.now();
        try {
          const r = await send(agent, url, headers, bodies[k]!);
          const t = performance.now() - t0;
          if (r.status !== 200) throw new Error(`HTTP ${r.status} ${r.text.slice(0, 300)}`);
          requests++;
          if (record) latencies.push(t);
          if (target.check === "fixed") {
            if (r.text !== FIXED) {
              mismatches++;
              firstMismatch ??= `expected ${FIXED}, got ${r.text.slice(0, 200)}`;
            }
          } else {
            const got = predictionOf(r.text);
            const want = expected[k]!;
            if (!(Math.abs(got - want) <= 1e-5 * Math.max(1, Math.abs(want)))) {
              mismatches++;
              firstMismatch ??= `body ${bodies[k]!.toString("utf8")}: expected ${want} (predict()), got ${r.text.slice(0, 200)}`;
            }
          }
        } catch (e) {
          errors++;
          firstError ??= `POST ${url.pathname} -> ${e instanceof Error ? e.message : String(e)}`;
        }
      }
    } finally {
      agent.destroy();
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, c) => client(c)));
  return {
    type: "done",
    requests,
    errors,
    mismatches,
    latencies: Float64Array.from(latencies),
    ...(firstError ? { firstError } : {}),
    ...(firstMismatch ? { firstMismatch } : {}),
  };
}

port.on("message", (msg: ToLoadWorker) => {
  void (async () => {
    if (msg.type === "prepare") {
      prepare(msg.spec, msg.clients, msg.clientOffset);
      port.postMessage({ type: "prepared" } satisfies FromLoadWorker);
    } else {
      const result = await run(msg.target, msg.ms, msg.record);
      port.postMessage(result, result.type === "done" ? [result.latencies.buffer as ArrayBuffer] : []);
    }
  })();
});
