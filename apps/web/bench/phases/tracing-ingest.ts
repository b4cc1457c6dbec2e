// bench:tracing ingest: OTLP/HTTP protobuf exports of 100-span batches (10 traces × 10 spans, as a
// BatchSpanProcessor flushes them) from 4 clients, to Modelgate's POST /v1/traces and to the
// parse-only ceiling in the same run, rounds alternating so both see the same machine. Every
// acknowledged span must then be in trace_span.
import { cpuDuring, describeCpu, type CpuSplit } from "../lib/cpu.ts";
import { withPg } from "../lib/database.ts";
import { createExperiment } from "../lib/mlflow-http.ts";
import { OtlpLoad, mergeOtlp, type OtlpLoadResult } from "../lib/otlp-load.ts";
import { fmtInt, fmtMs, type Row } from "../lib/report.ts";
import { quantile } from "../lib/serving-load.ts";
import type { TracingContext, TracingPhase, TracingSizes } from "../lib/tracing-context.ts";

const THREADS = 2;
const CLIENTS = 4;
const TRACES_PER_BODY = 10;
const SPANS_PER_TRACE = 10;
const VARIANTS = 4;
const TARGET = 0.5;

const target = (s: TracingSizes) => ({
  target: `OTLP ingest: spans/s, ${CLIENTS} clients × ${TRACES_PER_BODY * SPANS_PER_TRACE}-span batches (${s.ingestRounds * (s.ingestRoundMs / 1000)} s)`,
  required: `≥ ${TARGET * 100} % of parse-only`,
});

/** The data plane's request histogram for one route, from /metrics: count and sum of seconds. */
async function routeHistogram(serverUrl: string, route: string): Promise<{ count: number; sum: number }> {
  const text = await (await fetch(`${serverUrl}/metrics`)).text();
  const pick = (name: string) => {
    const line = text.split("\n").find((l) => l.startsWith(`modelgate_http_request_duration_seconds_${name}{`) && l.includes(`route="${route}"`) && l.includes('method="POST"'));
    return line ? Number(line.slice(line.lastIndexOf(" ") + 1)) : 0;
  };
  return { count: pick("count"), sum: pick("sum") };
}

async function storedSpans(databaseUrl: string, experimentId: string): Promise<{ spans: number; traces: number; counted: number }> {
  return withPg(databaseUrl, async (c) => {
    const r = await c.query<{ spans: string; traces: string; counted: string }>(
      `SELECT (SELECT count(*) FROM trace_span s JOIN trace t ON t.trace_id = s.trace_id WHERE t.experiment_id = $1) AS spans,
              count(*) AS traces, COALESCE(sum(span_count), 0) AS counted
       FROM trace WHERE experiment_id = $1`,
      [Number(experimentId)],
    );
    const row = r.rows[0]!;
    return { spans: Number(row.spans), traces: Number(row.traces), counted: Number(row.counted) };
  });
}

const rate = (r: OtlpLoadResult) => r.spans / r.seconds;
const lat = (r: OtlpLoadResult) => `p50 ${fmtMs(quantile(r.latencies, 0.5))}, p99 ${fmtMs(quantile(r.latencies, 0.99))}`;

function addCpu(a: CpuSplit | null, b: CpuSplit, wa: number, wb: number): CpuSplit {
  if (!a) return b;
  const w = (x: number, y: number) => (x * wa + y * wb) / (wa + wb);
  return { server: w(a.server, b.server), clients: w(a.clients, b.clients), postgres: w(a.postgres, b.postgres), other: w(a.other, b.other), machineBusy: w(a.machineBusy, b.machineBusy), cores: a.cores };
}

async function run(ctx: TracingContext): Promise<Row[]> {
  const { sizes, api } = ctx;
  const ceiling = ctx.ceiling;
  if (!ceiling) throw new Error("the parse-only server is not running");
  const experimentId = await createExperiment(api, `bench-otlp-${ctx.stamp}`);
  const load = new OtlpLoad(THREADS, CLIENTS);
  try {
    await load.prepare(TRACES_PER_BODY, SPANS_PER_TRACE, VARIANTS);
    const kb = (load.bytesPerBody / 1024).toFixed(0);
    ctx.log(`ingest: ${CLIENTS} clients on ${THREADS} threads, bodies of ${TRACES_PER_BODY} traces × ${SPANS_PER_TRACE} spans (${kb} KB of protobuf each) to experiment ${experimentId}`);
    const mg = { url: api.baseUrl, token: api.token, experimentId };
    const pc = { url: ceiling.url, token: api.token, experimentId };

    // warm-up of both (JIT, connections, the pool); Modelgate's spans are kept and counted
    let acked = 0;
    const warmC = await load.run(pc, sizes.warmupMs);
    const warmM = await load.run(mg, sizes.warmupMs);
    for (const w of [warmC, warmM]) if (w.errors) throw new Error(`warm-up: ${w.errors} failed requests: ${w.firstError}`);
    acked += warmM.spans;
    ctx.log(`warm-up: parse-only ${fmtInt(rate(warmC))} spans/s, Modelgate ${fmtInt(rate(warmM))} spans/s`);

    let c: OtlpLoadResult | null = null;
    let m: OtlpLoadResult | null = null;
    let cCpu: CpuSplit | null = null;
    let mCpu: CpuSplit | null = null;
    const h0 = await routeHistogram(api.baseUrl, "/v1/traces");
    for (let round = 0; round < sizes.ingestRounds; round++) {
      const rc = await cpuDuring(ceiling.pid, () => load.run(pc, sizes.ceilingRoundMs));
      cCpu = addCpu(cCpu, rc.cpu, c?.seconds ?? 0, rc.result.seconds);
      c = mergeOtlp(c, rc.result);
      const rm = await cpuDuring(ctx.server.pid, () => load.run(mg, sizes.ingestRoundMs));
      mCpu = addCpu(mCpu, rm.cpu, m?.seconds ?? 0, rm.result.seconds);
      m = mergeOtlp(m, rm.result);
      acked += rm.result.spans;
      ctx.log(`round ${round + 1}: parse-only ${fmtInt(rate(rc.result))} spans/s, Modelgate ${fmtInt(rate(rm.result))} spans/s (${lat(rm.result)})`);
    }
    const h1 = await routeHistogram(api.baseUrl, "/v1/traces");
    if (!c || !m || !cCpu || !mCpu) throw new Error("no rounds");
    const stored = await storedSpans(ctx.databaseUrl, experimentId);
    const ceilingSeen = (await (await fetch(`${ceiling.url}/__bench/spans`)).json()) as { spans: number };
    const ceilingAcked = warmC.spans + c.spans;
    const ratio = rate(m) / rate(c);
    const intact = stored.spans === acked && stored.counted === acked && stored.traces * SPANS_PER_TRACE === acked;
    const serverMs = h1.count > h0.count ? ((h1.sum - h0.sum) / (h1.count - h0.count)) * 1000 : NaN;
    ctx.log(`stored ${fmtInt(stored.spans)} spans in ${fmtInt(stored.traces)} traces; acknowledged ${fmtInt(acked)}; server-side mean ${fmtMs(serverMs)} per request (/metrics)`);


    const rows: Row[] = [
      {
        ...target(sizes),
        measured: `${fmtInt(rate(m))} spans/s`,
        ceiling: `${fmtInt(rate(c))} spans/s`,
        ratio: `${(ratio * 100).toFixed(0)} %`,
        pass: ratio >= TARGET && m.errors === 0 && c.errors === 0 && intact,
        note:
          `Modelgate (${ctx.mode === "full" ? "node apps/web/dist/server.mjs" : "bench/data-plane-server.ts"}, fresh database, fsync on) ${fmtInt(m.requests)} requests in ${m.seconds.toFixed(1)} s, ${lat(m)}, ${m.errors} errors${m.firstError ? ` (${m.firstError})` : ""}; ` +
          `parse-only (node:http + the server's decodeProtobuf) ${fmtInt(c.requests)} requests in ${c.seconds.toFixed(1)} s, ${lat(c)}, ${c.errors} errors. ` +
          `Each body: ${TRACES_PER_BODY} traces × ${SPANS_PER_TRACE} spans (agent tree: AGENT root, CHAIN, CHAT_MODEL, RETRIEVER, EMBEDDING, TOOL, LLM, PARSER), ${(load.bytesPerBody / 1024).toFixed(0)} KB; attributes mlflow.traceRequestId, spanType, spanFunctionName, spanInputs (JSON text ~300 B), spanOutputs (JSON text, or a kvlist on LLM spans); new trace ids per request. ` +
          `${sizes.ingestRounds} rounds of ${sizes.ingestRoundMs / 1000} s on Modelgate alternating with ${sizes.ceilingRoundMs / 1000} s on parse-only, after ${sizes.warmupMs / 1000} s warm-up each. ` +
          `Stored: ${fmtInt(stored.spans)} spans (trace_span), ${fmtInt(stored.traces)} traces, span_count total ${fmtInt(stored.counted)}; acknowledged ${fmtInt(acked)} (warm-up included)${intact ? " — all stored" : " — MISMATCH"}. Parse-only decoded ${fmtInt(ceilingSeen.spans)} of ${fmtInt(ceilingAcked)} acknowledged.`,
      },
      {
        target: "OTLP ingest: where the time goes (information)",
        required: "-",
        measured: `server ${fmtMs(serverMs)}/request`,
        ceiling: "-",
        ratio: "-",
        pass: null,
        note:
          `Modelgate rounds: ${describeCpu(mCpu)}; per 100-span request: server CPU ${((mCpu.server / (rate(m) / 100)) * 1000).toFixed(1)} ms, Postgres CPU ${((mCpu.postgres / (rate(m) / 100)) * 1000).toFixed(1)} ms, clients ${((mCpu.clients / (rate(m) / 100)) * 1000).toFixed(1)} ms. ` +
          `Parse-only rounds: ${describeCpu(cCpu)}; its CPU ${((cCpu.server / (rate(c) / 100)) * 1000).toFixed(1)} ms per request. ` +
          `Server-side mean from the server's own /metrics histogram (route /v1/traces: auth, decode, logSpans' one statement, reply): ${fmtMs(serverMs)} vs client-side p50 ${fmtMs(quantile(m.latencies, 0.5))}.`,
      },
    ];
    return rows;
  } finally {
    await load.close();
  }
}

export const tracingIngestPhase: TracingPhase = { targets: (s) => [target(s)], run };
