// MLflow 3's logged models (issue #14):
// - logged-models/search over 10,000 models of one experiment, with a metric filter and a metric
//   order (what the 3.x client's search_logged_models sends). One model is created through the
//   API with its metrics, params and tags; the rest are copies made with INSERT ... SELECT
//   generate_series (what the API writes, row for row, metric values drawn anew), because creating
//   10,000 models over HTTP measures creation, not search.
// - the server time of the whole call sequence the 3.6 client sends for
//   `mlflow.sklearn.log_model(..., registered_model_name=...)` inside a run, file uploads excluded:
//   the same sequence sent to the parse-only server in the same run costs the transport alone, and
//   the difference is the server's time.
import { spawn } from "node:child_process";
import type { BenchContext, Phase, Target } from "../lib/context.ts";
import { withPg } from "../lib/database.ts";
import { errorText } from "../lib/harness.ts";
import { createExperiment, createRun, get, post, putArtifact, send, type Endpoint } from "../lib/mlflow-http.ts";
import { fmtInt, fmtMs, median, medianLatency, notMeasured, type Row } from "../lib/report.ts";

const MODELS = 10_000;
const PAGE = 50;
const FILTER = "metrics.accuracy > 0.5";
const ORDER = [{ field_name: "metrics.accuracy", ascending: false }];
const SEQUENCES = 30;

interface LoggedModelJson {
  info: { model_id: string; name: string };
  data?: { metrics?: { key: string; value: number; timestamp: number; step: number; dataset_name?: string }[] };
}

/** A model's latest value of `key` as the search orders by it: latest timestamp, then step, then the higher value. */
function latestOf(m: LoggedModelJson, key: string): number {
  let best: { value: number; timestamp: number; step: number } | null = null;
  for (const x of m.data?.metrics ?? []) {
    if (x.key !== key) continue;
    if (!best || x.timestamp > best.timestamp || (x.timestamp === best.timestamp && (x.step > best.step || (x.step === best.step && x.value > best.value)))) best = x;
  }
  return best?.value ?? NaN;
}

const targets = (): Target[] => [
  { target: `logged-models/search: ${fmtInt(MODELS)} models, metric filter + order`, required: "<= 50 ms median" },
  { target: "log_model call sequence (3.6 client, registered), server time", required: "<= 25 ms median" },
];

async function seedModels(ctx: BenchContext, experimentId: string): Promise<void> {
  const api = ctx.api();
  const runId = await createRun(api, experimentId, "template", Date.now());
  const created = await post<{ model: LoggedModelJson }>(api, "logged-models", {
    experiment_id: experimentId,
    name: "model",
    source_run_id: runId,
    params: [{ key: "alpha", value: "0.1" }, { key: "solver", value: "lbfgs" }, { key: "max_iter", value: "100" }],
    tags: [{ key: "mlflow.user", value: "bench" }, { key: "mlflow.source.name", value: "train.py" }],
  });
  const modelId = created.model.info.model_id;
  const metrics = ["accuracy", "f1", "loss"].flatMap((key, i) =>
    ["test", "train"].map((ds) => ({ key, value: 0.5 + i / 10, timestamp: Date.now(), step: 0, model_id: modelId, dataset_name: ds, dataset_digest: `d-${ds}` })),
  );
  await post(api, "runs/log-batch", { run_id: runId, metrics });
  await send(api, "PATCH", `logged-models/${modelId}`, { status: "LOGGED_MODEL_READY" });
  await withPg(ctx.databaseUrl, async (c) => {
    await c.query("BEGIN");
    const tpl = (await c.query<{ pk: string }>("SELECT pk FROM logged_model WHERE id = $1", [modelId])).rows[0]!.pk;
    await c.query(
      `INSERT INTO logged_model (id, experiment_id, name, artifact_location, creation_timestamp, last_updated_timestamp, status, model_type, source_run_id, owner_id)
       SELECT 'm-' || md5(t.id || ':' || g), t.experiment_id, t.name, replace(t.artifact_location, t.id, 'm-' || md5(t.id || ':' || g)),
              t.creation_timestamp - g, t.last_updated_timestamp - g, t.status, t.model_type, t.source_run_id, t.owner_id
       FROM logged_model t, generate_series(1, $2::int) g WHERE t.pk = $1`,
      [tpl, MODELS - 1],
    );
    const clones = "SELECT pk FROM logged_model WHERE experiment_id = $2 AND pk <> $1";
    await c.query(`INSERT INTO logged_model_param (model_pk, key, value) SELECT m.pk, p.key, p.value FROM (${clones}) m CROSS JOIN logged_model_param p WHERE p.model_pk = $1`, [tpl, Number(experimentId)]);
    await c.query(`INSERT INTO logged_model_tag (model_pk, key, value) SELECT m.pk, t.key, t.value FROM (${clones}) m CROSS JOIN logged_model_tag t WHERE t.model_pk = $1`, [tpl, Number(experimentId)]);
    await c.query(
      `INSERT INTO logged_model_metric (model_pk, experiment_id, key, timestamp, step, value, run_id, dataset_name, dataset_digest)
       SELECT m.pk, x.experiment_id, x.key, x.timestamp, x.step, random(), x.run_id, x.dataset_name, x.dataset_digest
       FROM (${clones}) m CROSS JOIN logged_model_metric x WHERE x.model_pk = $1`,
      [tpl, Number(experimentId)],
    );
    // the latest value per (model, key) that log-batch keeps, for the copies
    await c.query(
      `INSERT INTO logged_model_latest_metric (model_pk, key, experiment_id, value, timestamp, step)
       SELECT DISTINCT ON (x.model_pk, x.key) x.model_pk, x.key, x.experiment_id, x.value, x.timestamp, x.step
       FROM logged_model_metric x WHERE x.experiment_id = $2 AND x.model_pk <> $1 ORDER BY x.model_pk, x.key, x.timestamp DESC, x.step DESC, x.value DESC`,
      [tpl, Number(experimentId)],
    );
    await c.query("COMMIT");
    await c.query("ANALYZE");
  });
}

/** The page the search should return: model ids by latest accuracy (any dataset) among models with a point above 0.5. */
async function expectedFirst(ctx: BenchContext, experimentId: string): Promise<{ count: number; first: number[] }> {
  return withPg(ctx.databaseUrl, async (c) => {
    const count = Number(
      (await c.query<{ n: string }>(
        `SELECT count(*) AS n FROM logged_model m WHERE m.experiment_id = $1 AND EXISTS (SELECT 1 FROM logged_model_metric x WHERE x.model_pk = m.pk AND x.key = 'accuracy' AND x.value > 0.5)`,
        [Number(experimentId)],
      )).rows[0]?.n ?? 0,
    );
    const first = (
      await c.query<{ v: number }>(
        `SELECT (SELECT x.value FROM logged_model_metric x WHERE x.model_pk = m.pk AND x.key = 'accuracy' ORDER BY x.timestamp DESC, x.step DESC, x.value DESC LIMIT 1) AS v
         FROM logged_model m WHERE m.experiment_id = $1 AND EXISTS (SELECT 1 FROM logged_model_metric x WHERE x.model_pk = m.pk AND x.key = 'accuracy' AND x.value > 0.5)
         ORDER BY v DESC NULLS LAST LIMIT 5`,
        [Number(experimentId)],
      )
    ).rows.map((r) => r.v);
    return { count, first };
  });
}

const searchBody = (experimentId: string) => ({ experiment_ids: [experimentId], filter: FILTER, order_by: ORDER, max_results: PAGE });

async function searchRow(ctx: BenchContext, t: Target): Promise<Row> {
  const experimentId = await createExperiment(ctx.api(), `bench-logged-models-${ctx.stamp}`);
  const t0 = performance.now();
  await seedModels(ctx, experimentId);
  ctx.log(`logged models: ${fmtInt(MODELS)} models seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const want = await expectedFirst(ctx, experimentId);
  const page = await post<{ models?: LoggedModelJson[]; next_page_token?: string }>(ctx.api(), "logged-models/search", searchBody(experimentId));
  const accuracy = (page.models ?? []).map((m) => latestOf(m, "accuracy"));
  let problem: string | null = null;
  if ((page.models?.length ?? 0) !== Math.min(PAGE, want.count)) problem = `returned ${page.models?.length ?? 0} models, expected ${Math.min(PAGE, want.count)}`;
  else if (want.count > PAGE && !page.next_page_token) problem = "no next_page_token";
  else if (accuracy.some((v, i) => i > 0 && v > accuracy[i - 1]!)) problem = "not ordered by the latest accuracy, descending";
  else if (want.first.some((v, i) => accuracy[i] !== v)) problem = `first values ${accuracy.slice(0, 3).join(", ")} differ from the database's ${want.first.slice(0, 3).join(", ")}`;
  const { ms, samples } = await medianLatency(() => post(ctx.api(), "logged-models/search", searchBody(experimentId)), ctx.sizes.repeats);
  const ceiling = await medianLatency(() => post(ctx.ceiling, "logged-models/search", searchBody(experimentId)), ctx.sizes.repeats);
  // with the dataset narrowing the 3.x client can send, as an information note
  const dataset = await medianLatency(
    () => post(ctx.api(), "logged-models/search", { ...searchBody(experimentId), datasets: [{ dataset_name: "test" }], order_by: [{ ...ORDER[0], dataset_name: "test" }] }),
    ctx.sizes.repeats,
  );
  return {
    ...t,
    measured: fmtMs(ms),
    ceiling: `${fmtMs(ceiling.ms)} / request`,
    ratio: "-",
    pass: ms <= 50 && !problem,
    note: `1 model through the API (3 metrics x 2 datasets, 3 params, 2 tags), ${fmtInt(MODELS - 1)} copies by SQL; filter "${FILTER}", order metrics.accuracy DESC, max_results ${PAGE}: ${page.models?.length ?? 0} of ${fmtInt(want.count)} matches on the first page, database's first values ${want.first.slice(0, 2).map((v) => v.toFixed(4)).join(", ")} (page's ${accuracy.slice(0, 2).map((v) => v.toFixed(4)).join(", ")}); median of ${samples}; with datasets=[test] and a dataset-qualified order: ${fmtMs(dataset.ms)}${problem ? `; WRONG RESULT: ${problem}` : ""}`,
  };
}

const MLMODEL = `artifact_path: model
flavors:
  python_function:
    loader_module: mlflow.sklearn
    model_path: model.pkl
    python_version: 3.11.2
  sklearn:
    pickled_model: model.pkl
    serialization_format: cloudpickle
    sklearn_version: 1.2.1
mlflow_version: 3.6.1.dev0
model_size_bytes: 800
signature:
  inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 2]}}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]'
  params: null
`;

/**
 * One log_model as the 3.6 client sends it (see the trace in shared/design/mlflow3-compat.md):
 * each call's wall time is added up, except the file uploads, which are made between calls and
 * not counted. Against the parse-only server the same calls (answers ignored) cost the transport.
 */
async function logModelSequence(ep: Endpoint, experimentId: string, registeredName: string, upload: boolean, perCall?: Map<string, number[]>): Promise<number> {
  let spent = 0;
  let n = 0;
  const timed = async <T>(f: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const call = n++;
    try {
      return await f();
    } finally {
      const ms = performance.now() - t0;
      spent += ms;
      if (perCall) {
        const name = CALLS[call] ?? `call ${call}`;
        perCall.set(name, [...(perCall.get(name) ?? []), ms]);
      }
    }
  };
  const runId = upload ? await createRun(ep, experimentId, "seq", Date.now()) : "0".repeat(32);
  if (upload) await post(ep, "runs/log-batch", { run_id: runId, metrics: [{ key: "acc", value: 0.9, timestamp: Date.now(), step: 0 }], params: [{ key: "alpha", value: "0.1" }] });
  const runQuery = { run_uuid: runId, run_id: runId };
  await timed(() => get(ep, "runs/get", runQuery));
  const created = await timed(() =>
    post<{ model?: LoggedModelJson }>(ep, "logged-models", {
      experiment_id: experimentId,
      name: "model",
      source_run_id: runId,
      params: [{ key: "alpha", value: "0.1" }],
      tags: [{ key: "mlflow.user", value: "bench" }, { key: "mlflow.source.name", value: "train.py" }, { key: "mlflow.source.type", value: "LOCAL" }],
    }),
  );
  const modelId = created.model?.info.model_id ?? `m-${"0".repeat(32)}`;
  await timed(() => post(ep, "runs/outputs", { run_id: runId, models: [{ model_id: modelId, step: 0 }] }));
  await timed(() => get(ep, "runs/get", runQuery));
  const history = await timed(() => get<{ metrics?: { key: string; value: number; timestamp: number; step: number }[] }>(ep, "metrics/get-history", { ...runQuery, metric_key: "acc", max_results: 25000 }));
  const resent = (history.metrics ?? [{ key: "acc", value: 0.9, timestamp: 1, step: 0 }]).filter((m) => m.step === 0).map((m) => ({ ...m, model_id: modelId }));
  await timed(() => post(ep, "runs/log-batch", { run_id: runId, metrics: resent }));
  await timed(() => get(ep, `logged-models/${modelId}`, {}));
  if (upload) {
    // the files, not counted: MLmodel (read at registration) and a stand-in for the pickle
    await putArtifact(ep, `${experimentId}/models/${modelId}/artifacts/MLmodel`, MLMODEL);
    await putArtifact(ep, `${experimentId}/models/${modelId}/artifacts/model.pkl`, Buffer.alloc(800));
  }
  await timed(() => send(ep, "PATCH", `logged-models/${modelId}`, { model_id: modelId, status: "LOGGED_MODEL_READY" }));
  await timed(() => post(ep, "registered-models/create", { name: registeredName }).catch(() => undefined)); // exists after the first: 400, as the client expects
  const version = await timed(() => post<{ model_version?: { version: string } }>(ep, "model-versions/create", { name: registeredName, source: `models:/${modelId}`, model_id: modelId }));
  await timed(() => get(ep, `logged-models/${modelId}`, {}));
  const model = await timed(() => get<{ model?: { info: { tags?: { key: string; value: string }[] } } }>(ep, `logged-models/${modelId}`, {}));
  const tag = model.model?.info.tags?.find((t) => t.key === "mlflow.modelVersions")?.value ?? "[]";
  const entries = [...(JSON.parse(tag) as unknown[]), { name: registeredName, version: version.model_version?.version ?? "1" }];
  await timed(() => send(ep, "PATCH", `logged-models/${modelId}/tags`, { tags: [{ key: "mlflow.modelVersions", value: JSON.stringify(entries) }] }));
  await timed(() => get(ep, "runs/get", runQuery));
  return spent;
}

/** The 14 timed calls, in order (for the per-call medians in the note). */
const CALLS = ["runs/get", "logged-models create", "runs/outputs", "runs/get 2", "get-history", "log-batch (model_id)", "logged-models get", "finalize", "registered-models/create", "model-versions/create", "logged-models get 2", "logged-models get 3", "tags", "runs/get 3"];

/** The floor of any 14 calls here: 14 authenticated runs/get of an unchanged run (a token check, the run's lookup, its cached JSON). */
async function floorMs(ep: Endpoint, runId: string): Promise<number> {
  let spent = 0;
  for (let i = 0; i < CALLS.length; i++) {
    const t0 = performance.now();
    await get(ep, "runs/get", { run_id: runId });
    spent += performance.now() - t0;
  }
  return spent;
}

async function sequenceRow(ctx: BenchContext, t: Target): Promise<Row> {
  const experimentId = await createExperiment(ctx.api(), `bench-log-model-${ctx.stamp}`);
  const name = `bench-log-model-${ctx.stamp}`;
  // warm-up (first registration creates the model, first calls compile plans)
  for (let i = 0; i < 3; i++) await logModelSequence(ctx.api(), experimentId, name, true);
  const wall: number[] = [];
  const perCall = new Map<string, number[]>();
  for (let i = 0; i < SEQUENCES; i++) wall.push(await logModelSequence(ctx.api(), experimentId, name, true, perCall));
  const transport: number[] = [];
  for (let i = 0; i < SEQUENCES; i++) transport.push(await logModelSequence(ctx.ceiling, experimentId, name, false));
  const floorRun = await createRun(ctx.api(), experimentId, "floor", Date.now());
  const floors: number[] = [];
  for (let i = 0; i < SEQUENCES; i++) floors.push(await floorMs(ctx.api(), floorRun));
  const breakdown = [...perCall].map(([call, ms]) => `${call} ${median(ms).toFixed(1)}`).join(", ");
  const versions = await withPg(ctx.databaseUrl, async (c) =>
    (await c.query<{ n: string; ready: string }>(
      `SELECT count(*) AS n, count(*) FILTER (WHERE v.status = 'READY' AND v.mlmodel ? 'signature') AS ready FROM model_version v JOIN registered_model m ON m.id = v.model_id WHERE m.name = $1`,
      [name],
    )).rows[0]!,
  );
  const serverMs = median(wall) - median(transport);
  const problem = Number(versions.ready) !== SEQUENCES + 3 ? `${versions.ready} of ${SEQUENCES + 3} versions READY with the MLmodel's signature` : null;
  return {
    ...t,
    measured: fmtMs(serverMs),
    ceiling: `${fmtMs(median(transport))} / sequence`,
    ratio: "-",
    pass: serverMs <= 25 && !problem,
    note: `14 calls per log_model, file uploads not counted; median wall time ${fmtMs(median(wall))} minus the same calls to the parse-only server; ${SEQUENCES} sequences; per call (ms, wall): ${breakdown}; the floor of 14 calls here (14 authenticated runs/get of an unchanged run: token check, run lookup, cached JSON): ${fmtMs(median(floors) - median(transport))} server time${problem ? `; WRONG RESULT: ${problem}` : ""}`,
  };
}

/**
 * The same sequence from the client users run: mlflow 3.x's own log_model with registration, its
 * server time read from the server's request-duration histogram (an information row; it runs only
 * when BENCH_MLFLOW_PYTHONPATH points at an mlflow 3.x client, see shared/tools/mlflow-client).
 */
async function realClientRow(ctx: BenchContext): Promise<Row> {
  const t = { target: "log_model, real mlflow 3.x client, server time", required: "-" };
  const pythonPath = process.env.BENCH_MLFLOW_PYTHONPATH;
  if (!pythonPath) return { ...t, measured: "not measured: set BENCH_MLFLOW_PYTHONPATH to an mlflow 3.x client", ceiling: "-", ratio: "-", pass: null };
  const script = new URL("../mlflow-log-model.py", import.meta.url).pathname;
  const env = { ...process.env, PYTHONPATH: pythonPath, MLFLOW_DISABLE_TELEMETRY: "true", MLFLOW_TRACKING_URI: ctx.api().baseUrl, MLFLOW_TRACKING_TOKEN: ctx.api().token };
  const out = await new Promise<string>((resolve, reject) => {
    const p = spawn(process.env.BENCH_MLFLOW_PYTHON ?? "/usr/bin/python3", [script], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    p.on("error", reject);
    p.on("close", (code) => (code === 0 ? resolve(stdout) : reject(new Error(`mlflow-log-model.py exited ${code}: ${stderr.slice(-500)}`))));
  });
  const r = JSON.parse(out.trim().split("\n").pop() ?? "{}") as { server_ms: number[]; calls: number[]; wall_ms: number[]; version: string };
  return {
    ...t,
    measured: fmtMs(median(r.server_ms)),
    ceiling: "-",
    ratio: "-",
    pass: null,
    note: `mlflow ${r.version}: mlflow.sklearn.log_model(..., registered_model_name=...) in a run, ${median(r.calls)} calls besides the uploads; server time from the server's own request histogram (/metrics), median of ${r.server_ms.length}; the client's wall time for the call, uploads and its own work included: ${fmtMs(median(r.wall_ms))}`,
  };
}

async function run(ctx: BenchContext): Promise<Row[]> {
  const [searchT, sequenceT] = targets();
  const rows: Row[] = [];
  try {
    rows.push(await searchRow(ctx, searchT!));
  } catch (e) {
    rows.push(notMeasured(searchT!, errorText(e)));
  }
  try {
    rows.push(await sequenceRow(ctx, sequenceT!));
  } catch (e) {
    rows.push(notMeasured(sequenceT!, errorText(e)));
  }
  try {
    rows.push(await realClientRow(ctx));
  } catch (e) {
    rows.push({ target: "log_model, real mlflow 3.x client, server time", required: "-", measured: "not measured: error", ceiling: "-", ratio: "-", pass: null, note: errorText(e) });
  }
  return rows;
}

export const loggedModelsPhase: Phase = { targets, run };
