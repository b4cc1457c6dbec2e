// Batch scoring: a CSV of N rows x 10 feature columns, generated as a stream and PUT as a run
// artifact (chunked, never one string), scored by a job created through
// /api/2.0/serving-jobs/create and polled through /get until it ends. The rate is rows over the
// job's own started_at..finished_at (read input, score, write predictions.csv), next to the wall
// clock from create to the poll that saw it end. predictions.csv is then downloaded: it must have
// a header and exactly N rows, and sampled rows must equal the model's predict().
import { cpuDuring, describeCpu } from "../lib/cpu.ts";
import type { Target } from "../lib/context.ts";
import { fmtInt, fmtMb, notMeasured, type Row } from "../lib/report.ts";
import type { ServedModel, ServingContext, ServingPhase, ServingSizes } from "../lib/serving-context.ts";
import { artifactUrl, callApi, putArtifact } from "./serving-setup.ts";

const TARGET_ROWS_PER_S = 200_000;
const CHUNK_ROWS = 10_000;
const SAMPLE_EVERY = 997;

interface JobView {
  id: string;
  status: "QUEUED" | "RUNNING" | "SUCCEEDED" | "FAILED" | "CANCELLED";
  rows_done: number;
  rows_total: number | null;
  error: string | null;
  output_path: string | null;
  run_id: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
}

const targets = (s: ServingSizes): [Target, Target] => [
  { target: `batch: ${fmtInt(s.batchRows)} rows x 10 columns, CSV`, required: `>= ${fmtInt(TARGET_ROWS_PER_S)} rows/s` },
  { target: "batch: predictions.csv complete and right", required: `${fmtInt(s.batchRows)} rows` },
];

/** Row r's values: a cheap deterministic function on a 0.001 grid, so any row can be recomputed to check its prediction. */
function rowValues(r: number, features: number): number[] {
  const out = new Array<number>(features);
  for (let j = 0; j < features; j++) out[j] = (((((r + 1) * 2654435761 + j * 40503) >>> 0) % 20001) - 10000) / 1000;
  return out;
}

async function* csvChunks(rows: number, model: ServedModel, bytes: { n: number }): AsyncGenerator<string> {
  const header = `${model.columns.join(",")}\n`;
  bytes.n += header.length;
  yield header;
  for (let start = 0; start < rows; start += CHUNK_ROWS) {
    let s = "";
    for (let r = start; r < Math.min(rows, start + CHUNK_ROWS); r++) s += `${rowValues(r, model.features).join(",")}\n`;
    bytes.n += s.length;
    yield s;
  }
}

/** Streams predictions.csv: counts rows, checks the header and every SAMPLE_EVERY-th prediction. */
async function verifyOutput(ctx: ServingContext, outputPath: string, rows: number): Promise<{ problem: string | null; detail: string }> {
  const res = await fetch(`${ctx.api.baseUrl}/api/2.0/mlflow-artifacts/artifacts/${outputPath}`, { headers: { authorization: `Bearer ${ctx.api.token}` } });
  if (!res.ok || !res.body) return { problem: `GET ${outputPath}: HTTP ${res.status}`, detail: "" };
  const decoder = new TextDecoder();
  let partial = "";
  let line = -1; // -1: the header
  let header = "";
  let checked = 0;
  let firstWrong: string | null = null;
  let bytes = 0;
  const take = (text: string) => {
    if (line === -1) header = text;
    else if (line % SAMPLE_EVERY === 0 || line === rows - 1) {
      checked++;
      const want = ctx.model.predict(rowValues(line, ctx.model.features));
      const got = Number(text);
      if (!(Math.abs(got - want) <= 1e-5 * Math.max(1, Math.abs(want)))) firstWrong ??= `row ${line}: expected ${want}, got '${text}'`;
    }
    line++;
  };
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.length;
    const text = partial + decoder.decode(chunk, { stream: true });
    let at = 0;
    for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", at)) {
      take(text.slice(at, nl));
      at = nl + 1;
    }
    partial = text.slice(at);
  }
  if (partial) take(partial);
  const problems: string[] = [];
  if (header !== "prediction") problems.push(`header '${header.slice(0, 50)}', expected 'prediction'`);
  if (line !== rows) problems.push(`${fmtInt(line)} prediction rows for ${fmtInt(rows)} input rows`);
  if (firstWrong) problems.push(firstWrong);
  return { problem: problems.length ? problems.join("; ") : null, detail: `${outputPath}: ${fmtMb(bytes)}, ${fmtInt(line)} rows after the header, ${checked} sampled rows equal predict()` };
}

async function run(ctx: ServingContext): Promise<Row[]> {
  const { sizes, model, api, log } = ctx;
  const [rateT, outT] = targets(sizes);
  const inputRel = "batch-input/rows.csv";
  const bytes = { n: 0 };
  const u0 = performance.now();
  await putArtifact(api, artifactUrl(api, model.artifactUri, inputRel), csvChunks(sizes.batchRows, model, bytes));
  const uploadS = (performance.now() - u0) / 1000;
  log(`uploaded ${inputRel}: ${fmtInt(sizes.batchRows)} rows, ${fmtMb(bytes.n)} in ${uploadS.toFixed(1)} s (streamed, chunked)`);

  const w0 = performance.now();
  const { result: job, cpu } = await cpuDuring(ctx.serverPid, async () => {
    const created = await callApi<{ job: JobView }>(api, "POST", "/api/2.0/serving-jobs/create", {
      model_name: model.modelName,
      version: model.version,
      experiment_id: model.experimentId,
      input: { run_id: model.runId, path: inputRel },
      run_name: "bench batch scoring",
    });
    let j = created.job;
    let lastLog = performance.now();
    const deadline = performance.now() + sizes.batchTimeoutMs;
    while (j.status === "QUEUED" || j.status === "RUNNING") {
      if (performance.now() > deadline) throw new Error(`job ${j.id} still ${j.status} after ${sizes.batchTimeoutMs / 1000} s (${fmtInt(j.rows_done)} rows done)`);
      await new Promise((r) => setTimeout(r, 100));
      j = (await callApi<{ job: JobView }>(api, "GET", `/api/2.0/serving-jobs/get?id=${encodeURIComponent(j.id)}`)).job;
      if (performance.now() - lastLog > 2000) {
        lastLog = performance.now();
        log(`job ${j.id}: ${j.status}, ${fmtInt(j.rows_done)} rows done`);
      }
    }
    return j;
  });
  const wallS = (performance.now() - w0) / 1000;
  if (job.status !== "SUCCEEDED") {
    const why = `job ${job.id} ended ${job.status}: ${job.error ?? "no error given"}`;
    return [notMeasured(rateT, why), notMeasured(outT, why)];
  }
  const jobS = (job.finished_at! - job.started_at!) / 1000;
  const rate = job.rows_done / jobS;
  const queuedS = (job.started_at! - job.created_at) / 1000;
  log(`job ${job.id}: ${fmtInt(job.rows_done)} rows in ${jobS.toFixed(2)} s (started_at..finished_at): ${fmtInt(rate)} rows/s; ${queuedS.toFixed(2)} s queued; wall clock from create to seen done ${wallS.toFixed(2)} s`);
  log(`during the job: ${describeCpu(cpu)}`);
  const { problem, detail } = await verifyOutput(ctx, job.output_path!, sizes.batchRows);
  log(`output: ${problem ?? detail}`);
  const countOk = job.rows_done === sizes.batchRows;
  return [
    {
      ...rateT,
      measured: `${fmtInt(rate)} rows/s`,
      ceiling: "-",
      ratio: "-",
      pass: rate >= TARGET_ROWS_PER_S && countOk && problem === null,
      note: `${fmtInt(job.rows_done)} rows in ${jobS.toFixed(2)} s between the job's started_at and finished_at (stream the input from the local artifact store, parse CSV, score in chunks, stream predictions.csv back); wall clock from serving-jobs/create to the poll (every 100 ms) that saw SUCCEEDED: ${wallS.toFixed(2)} s = ${fmtInt(sizes.batchRows / wallS)} rows/s, of which ${queuedS.toFixed(2)} s queued; input ${fmtMb(bytes.n)} uploaded in ${uploadS.toFixed(1)} s through the artifact proxy (not timed); ${describeCpu(cpu)}`,
    },
    { ...outT, measured: problem ?? `${fmtInt(job.rows_done)} rows`, ceiling: "-", ratio: "-", pass: problem === null && countOk, note: `job rows_done ${fmtInt(job.rows_done)}, rows_total ${job.rows_total === null ? "null" : fmtInt(job.rows_total)}; ${detail}` },
  ];
}

export const servingBatchPhase: ServingPhase = { targets, run };
