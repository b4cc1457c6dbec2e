// Online scoring: 10 clients (worker threads, one keep-alive socket and one request in flight
// each) send single-row dataframe_split requests to the endpoint, and the same bodies to the
// parse-only server (the ceiling: same parsing, no auth, no routing, no scoring). After a warm-up
// of each, measured rounds alternate between the two so both see the same machine. Every answer
// must be 200; the endpoint's predictions must equal the model's own predict() for the row.
import { cpuDuring, describeCpu, processCpuSeconds, type CpuSplit } from "../lib/cpu.ts";
import type { Target } from "../lib/context.ts";
import { fmtInt, fmtMs, notMeasured, type Row } from "../lib/report.ts";
import type { ServedModel, ServingContext, ServingPhase, ServingSizes } from "../lib/serving-context.ts";
import { mergeLoads, quantile, ServingLoad, type LoadResult, type LoadTarget } from "../lib/serving-load.ts";

const TARGET_RPS = 3000;
const TARGET_P99_MS = 20;
const TARGET_RATIO = 0.5;

const targets = (s: ServingSizes): [Target, Target, Target, Target] => [
  { target: `online: ${s.clients} clients, 1-row requests`, required: `>= ${fmtInt(TARGET_RPS)} requests/s` },
  { target: "online: p99 latency", required: `<= ${TARGET_P99_MS} ms` },
  { target: "online: share of parse-only ceiling", required: `>= ${TARGET_RATIO * 100} %` },
  { target: "online: answers 200, predictions = predict()", required: "all" },
];

/** Single-row bodies with values on a 0.001 grid (exact in JSON), and what the model answers for each. */
function bodies(model: ServedModel, n: number): { bodies: string[]; expected: number[] } {
  let seed = 12345;
  const next = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const out: string[] = [];
  const expected: number[] = [];
  for (let i = 0; i < n; i++) {
    const row = Array.from({ length: model.features }, () => Math.round((next() * 20 - 10) * 1000) / 1000);
    out.push(JSON.stringify({ dataframe_split: { columns: model.columns, data: [row] } }));
    expected.push(model.predict(row));
  }
  return { bodies: out, expected };
}

const addCpu = (a: CpuSplit | null, b: CpuSplit, w: number): CpuSplit =>
  a
    ? { server: a.server + b.server * w, clients: a.clients + b.clients * w, postgres: a.postgres + b.postgres * w, other: a.other + b.other * w, machineBusy: a.machineBusy + b.machineBusy * w, cores: b.cores }
    : { server: b.server * w, clients: b.clients * w, postgres: b.postgres * w, other: b.other * w, machineBusy: b.machineBusy * w, cores: b.cores };

function summary(r: LoadResult) {
  const rps = r.requests / r.seconds;
  return { rps, p50: quantile(r.latencies, 0.5), p99: quantile(r.latencies, 0.99), max: quantile(r.latencies, 1) };
}

const describeLoad = (r: LoadResult) => {
  const s = summary(r);
  return `${fmtInt(r.requests)} requests in ${r.seconds.toFixed(1)} s: ${fmtInt(s.rps)}/s, p50 ${fmtMs(s.p50)}, p99 ${fmtMs(s.p99)}, max ${fmtMs(s.max)}, ${r.errors} errors, ${r.mismatches} wrong answers`;
};

async function run(ctx: ServingContext): Promise<Row[]> {
  const { sizes, model, api, log } = ctx;
  const [rpsT, p99T, ratioT, okT] = targets(sizes);
  if (!ctx.ceiling) throw new Error("the online phase needs the parse-only server");
  const real: LoadTarget = { url: `${api.baseUrl}/serving-endpoints/${model.endpointName}/invocations`, token: api.token, check: "model" };
  const ceiling: LoadTarget = { url: `${ctx.ceiling.url}/serving-endpoints/${model.endpointName}/invocations`, token: api.token, check: "fixed" };
  const load = new ServingLoad(sizes.clientThreads, sizes.clients);
  try {
    const spec = bodies(model, sizes.distinctRows);
    await load.prepare(spec);
    log(`${sizes.clients} clients on ${sizes.clientThreads} worker threads; ${spec.bodies.length} distinct bodies of ${Buffer.byteLength(spec.bodies[0]!)} bytes, e.g. ${spec.bodies[0]}`);
    const warmReal = await load.run(real, sizes.warmupMs, false);
    log(`warm-up, endpoint: ${fmtInt(warmReal.requests / warmReal.seconds)}/s, ${warmReal.errors} errors`);
    if (warmReal.errors && warmReal.requests === 0) {
      const why = warmReal.firstError ?? "no answer";
      return [notMeasured(rpsT, why), notMeasured(p99T, why), notMeasured(ratioT, why), notMeasured(okT, why)];
    }
    const warmCeil = await load.run(ceiling, Math.min(sizes.warmupMs, 2000), false);
    log(`warm-up, parse-only: ${fmtInt(warmCeil.requests / warmCeil.seconds)}/s, ${warmCeil.errors} errors`);

    let r: LoadResult | null = null;
    let c: LoadResult | null = null;
    let rCpu: CpuSplit | null = null;
    let cCpu: CpuSplit | null = null;
    const serverCpu0 = processCpuSeconds(ctx.serverPid);
    for (let i = 0; i < sizes.rounds; i++) {
      const a = await cpuDuring(ctx.serverPid, () => load.run(real, sizes.roundMs));
      log(`round ${i + 1}, endpoint: ${describeLoad(a.result)}`);
      r = mergeLoads(r, a.result);
      rCpu = addCpu(rCpu, a.cpu, 1 / sizes.rounds);
      const b = await cpuDuring(ctx.ceiling.pid, () => load.run(ceiling, sizes.roundMs));
      log(`round ${i + 1}, parse-only: ${describeLoad(b.result)}`);
      c = mergeLoads(c, b.result);
      cCpu = addCpu(cCpu, b.cpu, 1 / sizes.rounds);
    }
    const real1 = summary(r!);
    const ceil1 = summary(c!);
    const serverMsPerRequest = ((processCpuSeconds(ctx.serverPid) - serverCpu0) * 1000) / Math.max(1, r!.requests);
    const realCpu = `endpoint rounds: ${describeCpu(rCpu!)}`;
    const ceilCpu = `parse-only rounds (its server counted as "server"): ${describeCpu(cCpu!)}`;
    log(realCpu);
    log(ceilCpu);
    const ratio = real1.rps / ceil1.rps;
    const allOk = r!.errors === 0 && r!.mismatches === 0 && c!.errors === 0 && c!.mismatches === 0 && r!.requests > 0;
    const measuredFor = `${sizes.rounds} rounds x ${sizes.roundMs / 1000} s per target (${r!.seconds.toFixed(1)} s endpoint, ${c!.seconds.toFixed(1)} s parse-only), alternating, after ${sizes.warmupMs / 1000} s warm-up`;
    return [
      {
        ...rpsT,
        measured: `${fmtInt(real1.rps)} requests/s`,
        ceiling: `${fmtInt(ceil1.rps)} requests/s`,
        ratio: `${(ratio * 100).toFixed(1)} %`,
        pass: real1.rps >= TARGET_RPS && allOk,
        note: `${fmtInt(r!.requests)} requests, ${measuredFor}; ${sizes.clients} clients on ${sizes.clientThreads} worker threads, node:http keep-alive, one in flight each; ${realCpu}; server CPU ${serverMsPerRequest.toFixed(3)} ms per request`,
      },
      {
        ...p99T,
        measured: `p99 ${fmtMs(real1.p99)} (p50 ${fmtMs(real1.p50)})`,
        ceiling: `p99 ${fmtMs(ceil1.p99)} (p50 ${fmtMs(ceil1.p50)})`,
        ratio: "-",
        pass: real1.p99 <= TARGET_P99_MS && allOk,
        note: `client-side, request written to answer read; max ${fmtMs(real1.max)} (parse-only max ${fmtMs(ceil1.max)})`,
      },
      {
        ...ratioT,
        measured: `${(ratio * 100).toFixed(1)} %`,
        ceiling: `${fmtInt(ceil1.rps)} requests/s`,
        ratio: `${(ratio * 100).toFixed(1)} %`,
        pass: ratio >= TARGET_RATIO && allOk,
        note: `the ceiling is serving-parse-only-server.ts (own process, node:http, parseScoringRequest from @modelgate/serving, fixed {"predictions":[0]}), same clients and bodies; ${ceilCpu}`,
      },
      {
        ...okT,
        measured: allOk ? `${fmtInt(r!.requests)} checked` : `${r!.errors} errors, ${r!.mismatches} wrong`,
        ceiling: `${c!.errors} errors`,
        ratio: "-",
        pass: allOk,
        note: [
          `every endpoint answer's prediction compared with linearOnnxModel's predict() for its row (relative 1e-5)`,
          r!.firstError ? `first error: ${r!.firstError}` : "",
          r!.firstMismatch ? `first wrong answer: ${r!.firstMismatch}` : "",
          c!.firstError ? `parse-only first error: ${c!.firstError}` : "",
        ]
          .filter(Boolean)
          .join("; "),
      },
    ];
  } finally {
    await load.close();
  }
}

export const servingOnlinePhase: ServingPhase = { targets, run };
