// Create: N concurrent clients (async loops, one request in flight each, keep-alive) creating
// versions of ONE registered model through model-versions/create, each version's source inside a
// real API-created run. Core numbers a version with one statement that locks the model's row until
// commit, so the rate is bounded by commit latency: next to it, the same-row UPDATE + commit
// straight through pg, as many connections as the server's pool, is the ceiling. Afterwards the
// numbers must be exactly 1..N (SQL and model-versions/search) with zero errors.
import http from "node:http";
import pg from "pg";
import { cpuDuring, describeCpu } from "../lib/cpu.ts";
import { withPg } from "../lib/database.ts";
import { errorText } from "../lib/harness.ts";
import { createExperiment, get, post, type Endpoint } from "../lib/mlflow-http.ts";
import type { Target } from "../lib/context.ts";
import type { RegistryContext, RegistryPhase, RegistrySizes } from "../lib/registry-context.ts";
import { fmtInt, fmtMs, median, notMeasured, type Row } from "../lib/report.ts";

const TARGET_RATE = 500;
const MAX_ERRORS = 20; // after that the figure is meaningless: stop sending

interface RunInfo {
  runId: string;
  artifactUri: string;
}

export async function createRunWithUri(ep: Endpoint, experimentId: string, runName: string): Promise<RunInfo> {
  const r = await post<{ run: { info: { run_id: string; artifact_uri: string } } }>(ep, "runs/create", { experiment_id: experimentId, run_name: runName, start_time: Date.now(), tags: [] });
  return { runId: r.run.info.run_id, artifactUri: r.run.info.artifact_uri };
}

/**
 * POST over node:http with a keep-alive agent (one socket per client): the clients share the
 * machine with the server and Postgres, and fetch costs them about twice the CPU per request.
 */
function postJson(agent: http.Agent, ep: Endpoint, path: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${ep.baseUrl}/api/2.0/mlflow/${path}`, { method: "POST", agent, headers: { authorization: `Bearer ${ep.token}`, "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

interface LoadOutcome {
  created: number;
  seconds: number;
  versions: number[];
  latencies: number[];
  errors: number;
  firstError?: string;
  timedOut: boolean;
}

async function createConcurrently(ep: Endpoint, model: string, run: RunInfo, clients: number, count: number, maxMs: number): Promise<LoadOutcome> {
  const body = JSON.stringify({ name: model, source: `${run.artifactUri}/model`, run_id: run.runId });
  let issued = 0;
  let errors = 0;
  let firstError: string | undefined;
  const versions: number[] = [];
  const latencies: number[] = [];
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const t0 = performance.now();
  const deadline = t0 + maxMs;
  const client = async () => {
    while (issued < count && errors < MAX_ERRORS && performance.now() < deadline) {
      issued++;
      const s = performance.now();
      try {
        const r = await postJson(agent, ep, "model-versions/create", body);
        if (r.status !== 200) throw new Error(`HTTP ${r.status} ${r.text.slice(0, 300)}`);
        latencies.push(performance.now() - s);
        versions.push(Number((JSON.parse(r.text) as { model_version?: { version?: string } }).model_version?.version));
      } catch (e) {
        errors++;
        firstError ??= `POST /api/2.0/mlflow/model-versions/create ${body} -> ${errorText(e)}`;
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  const seconds = (performance.now() - t0) / 1000;
  agent.destroy();
  return { created: versions.length, seconds, versions, latencies, errors, ...(firstError ? { firstError } : {}), timedOut: issued < count && errors < MAX_ERRORS };
}

/** xact_commit of the bench database: how many transactions the server commits per version. */
async function committedTransactions(ctx: RegistryContext): Promise<number> {
  return withPg(ctx.databaseUrl, async (c) => Number((await c.query<{ n: string }>("SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()")).rows[0]?.n ?? 0));
}

/** What the tables and the API say about the model's numbers; null when they are exactly 1..n. */
async function verify(ctx: RegistryContext, model: string, created: number[]): Promise<{ problem: string | null; detail: string }> {
  const n = created.length;
  const sql = await withPg(ctx.databaseUrl, async (c) => {
    const r = await c.query<{ n: string; d: string; lo: number | null; hi: number | null; next: number; st: string }>(
      `SELECT count(v.pk) AS n, count(DISTINCT v.version) AS d, min(v.version) AS lo, max(v.version) AS hi, m.next_version AS next,
              (SELECT count(*) FROM stage_transition s WHERE s.model_id = m.id) AS st
       FROM registered_model m LEFT JOIN model_version v ON v.model_id = m.id WHERE m.name = $1 GROUP BY m.id`,
      [model],
    );
    return r.rows[0]!;
  });
  const page = await get<{ model_versions?: { version: string }[]; next_page_token?: string }>(ctx.api, "model-versions/search", { filter: `name='${model}'`, max_results: 200_000 });
  const listed = (page.model_versions ?? []).map((v) => Number(v.version)).sort((a, b) => a - b);
  const problems: string[] = [];
  const exact = (xs: number[]) => xs.length === n && [...xs].sort((a, b) => a - b).every((v, i) => v === i + 1);
  if (!exact(created)) problems.push(`responses carried ${new Set(created).size} distinct numbers for ${n} versions, not 1..${n}`);
  if (Number(sql.n) !== n || Number(sql.d) !== n || (n > 0 && (sql.lo !== 1 || sql.hi !== n))) problems.push(`SQL: ${sql.n} rows, ${sql.d} distinct, ${sql.lo}..${sql.hi}`);
  if (sql.next !== n + 1) problems.push(`next_version ${sql.next}, expected ${n + 1}`);
  if (!exact(listed) || page.next_page_token) problems.push(`model-versions/search listed ${listed.length} versions${listed.length ? ` (${listed[0]}..${listed.at(-1)})` : ""}`);
  if (Number(sql.st) !== n) problems.push(`${sql.st} stage events for ${n} versions`);
  return {
    problem: problems.length ? problems.join("; ") : null,
    detail: `SQL ${sql.n} rows/${sql.d} distinct ${sql.lo}..${sql.hi}, next_version ${sql.next}, ${sql.st} stage events; model-versions/search ${listed.length} versions`,
  };
}

/** The lock-bound ceiling: the same row's counter bumped and committed from `connections` pg clients. */
async function rowLockCeiling(ctx: RegistryContext, modelName: string, connections: number, ms: number): Promise<number> {
  const clients = await Promise.all(
    Array.from({ length: connections }, async () => {
      const c = new pg.Client({ connectionString: ctx.databaseUrl });
      await c.connect();
      return c;
    }),
  );
  try {
    const id = (await clients[0]!.query<{ id: number }>("SELECT id FROM registered_model WHERE name = $1", [modelName])).rows[0]!.id;
    let done = 0;
    const t0 = performance.now();
    const end = t0 + ms;
    await Promise.all(
      clients.map(async (c) => {
        while (performance.now() < end) {
          await c.query("UPDATE registered_model SET next_version = next_version + 1, last_updated_timestamp = $2 WHERE id = $1 RETURNING next_version", [id, Date.now()]);
          done++;
        }
      }),
    );
    return done / ((performance.now() - t0) / 1000);
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
}

const targets = (s: RegistrySizes): [Target, Target] => [
  { target: `create: ${s.createClients} clients, ${fmtInt(s.createVersions)} versions, 1 model`, required: `>= ${TARGET_RATE} versions/s` },
  { target: "create: numbers gap-free 1..N, no errors", required: "exactly 1..N, 0 errors" },
];

async function run(ctx: RegistryContext): Promise<Row[]> {
  const { sizes, api } = ctx;
  const [rateT, gapT] = targets(sizes);
  const experimentId = await createExperiment(api, `bench-registry-create-${ctx.stamp}`);
  const modelRun = await createRunWithUri(api, experimentId, "model-run");
  const model = `bench-create-${ctx.stamp}`;
  const warmModel = `bench-create-warmup-${ctx.stamp}`;
  const ceilingModel = `bench-lock-ceiling-${ctx.stamp}`;
  for (const name of [model, warmModel, ceilingModel]) await post(api, "registered-models/create", { name });

  // warm the server (JIT, pool, keep-alive sockets) on another model
  const warm = await createConcurrently(api, warmModel, modelRun, sizes.createClients, Math.min(500, sizes.createVersions), 30_000);
  if (warm.errors) return [notMeasured(rateT, warm.firstError!), notMeasured(gapT, warm.firstError!)];

  const xacts0 = await committedTransactions(ctx);
  const { result: load, cpu: split } = await cpuDuring(ctx.serverPid, () => createConcurrently(api, model, modelRun, sizes.createClients, sizes.createVersions, sizes.createMaxMs));
  const perVersionMs = (cores: number) => ((cores * load.seconds) / Math.max(1, load.created)) * 1000;
  const cpu = `${describeCpu(split)}; CPU per version: server ${perVersionMs(split.server).toFixed(2)} ms, Postgres ${perVersionMs(split.postgres).toFixed(2)} ms, clients ${perVersionMs(split.clients).toFixed(2)} ms (${TARGET_RATE}/s on ${split.cores} cores leaves ${((split.cores * 1000) / TARGET_RATE).toFixed(1)} ms for all three)`;
  ctx.log(cpu);
  const rate = load.created / load.seconds;
  ctx.log(`created ${fmtInt(load.created)} versions in ${load.seconds.toFixed(2)} s: ${fmtInt(rate)} versions/s, ${load.errors} errors${load.timedOut ? " (stopped at the time cap)" : ""}`);
  if (load.firstError) ctx.log(`first error: ${load.firstError}`);
  await new Promise((r) => setTimeout(r, 1500)); // backends flush their statistics at most once a second
  const perVersion = ((await committedTransactions(ctx)) - xacts0) / Math.max(1, load.created + load.errors);
  ctx.log(`${perVersion.toFixed(1)} committed transactions (statements outside BEGIN count one each) per version, from pg_stat_database`);
  const { problem, detail } = await verify(ctx, model, load.versions);
  const ceiling = await rowLockCeiling(ctx, ceilingModel, ctx.serverPoolSize, 3000);
  ctx.log(`row-lock ceiling: ${fmtInt(ceiling)} same-row UPDATE commits/s over ${ctx.serverPoolSize} pg connections`);

  const sorted = [...load.latencies].sort((a, b) => a - b);
  const p99 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0;
  const errorText = load.errors ? `${load.errors} error(s), first: ${load.firstError}` : "0 errors";
  return [
    {
      ...rateT,
      measured: `${fmtInt(rate)} versions/s`,
      ceiling: "-",
      ratio: "-",
      pass: rate >= TARGET_RATE && load.errors === 0 && problem === null && !load.timedOut,
      note: `${fmtInt(load.created)} versions in ${load.seconds.toFixed(2)} s${load.timedOut ? ` (stopped at the ${sizes.createMaxMs / 1000} s cap)` : ""}, ${sizes.createClients} async clients with one request in flight each; latency median ${fmtMs(median(sorted.length ? sorted : [0]))}, p99 ${fmtMs(p99)}; ${cpu}; ${perVersion.toFixed(1)} committed transactions per version (pg_stat_database); ${errorText}; source mlflow-artifacts:/ inside an API-created run, with run_id (a real MLflow 2.12 server does about 90/s per the issue)`,
    },
    { ...gapT, measured: problem ?? `1..${fmtInt(load.created)}, ${load.errors} errors`, ceiling: "-", ratio: "-", pass: problem === null && load.errors === 0 && load.created > 0, note: detail },
    {
      target: "create: same-row UPDATE + commit via SQL",
      required: "-",
      measured: `${fmtInt(ceiling)} commits/s`,
      ceiling: "-",
      ratio: `${((rate / ceiling) * 100).toFixed(0)} %`,
      pass: null,
      note: `the lock-bound ceiling: ${ctx.serverPoolSize} pg connections (the server's pool size) bumping one registered_model row's counter, autocommit, 3 s; the version rate is bounded by it since the row lock is held until commit; ratio = versions/s over it`,
    },
  ];
}

export const registryCreatePhase: RegistryPhase = { targets, run };
