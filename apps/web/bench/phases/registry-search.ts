// Search: registered-models/search by name prefix and model-versions/search by run_id over
// 10 000 models x 10 versions. One model (`model-0`) is built through the API (its 10 versions
// from 10 runs, tags, stages, an alias) and cloned with INSERT ... SELECT generate_series into the
// same tables, row for row, each clone's versions pointing at other runs: the runs are one
// API-created run cloned the same way (as phases/search.ts does), because 100 000 registrations
// over HTTP would measure creation, not search. Clones get no audit events.
import type pg from "pg";
import { setPolicy, systemActor } from "@modelgate/core";
import { createDb } from "@modelgate/db";
import { withPg } from "../lib/database.ts";
import { errorText } from "../lib/harness.ts";
import { createExperiment, get, post, type Endpoint } from "../lib/mlflow-http.ts";
import type { Target } from "../lib/context.ts";
import type { RegistryContext, RegistryPhase, RegistrySizes } from "../lib/registry-context.ts";
import { fmtInt, fmtMs, medianLatency, notMeasured, type Row } from "../lib/report.ts";
import { createRunWithUri } from "./registry-create.ts";

const PREFIX = "model-12";
const MODEL_TAGS = [
  { key: "team", value: "bench" },
  { key: "task", value: "classification" },
];
/** Stages of the template's versions: latest_versions then has one per stage. */
const STAGED: Record<number, string> = { 5: "Archived", 9: "Staging", 10: "Production" };
const ALIAS = { alias: "champion", version: 10 };

interface ModelsPage {
  registered_models?: { name: string; latest_versions?: unknown[]; tags?: unknown[] }[];
  next_page_token?: string;
}
interface VersionsPage {
  model_versions?: { name: string; version: string; run_id: string }[];
  next_page_token?: string;
}

const searchModels = (ep: Endpoint) => get<ModelsPage>(ep, "registered-models/search", { filter: `name LIKE '${PREFIX}%'` });
const searchVersions = (ep: Endpoint, runId: string) => get<VersionsPage>(ep, "model-versions/search", { filter: `run_id='${runId}'` });

/**
 * The seed moves a version to Production directly, which the default approval policy refuses: the
 * bench database's registry policy protects nothing (this phase measures search, not approvals).
 */
async function unprotectStages(databaseUrl: string): Promise<void> {
  const db = createDb({ url: databaseUrl, max: 1 });
  try {
    await setPolicy({ db, actor: systemActor("bench") }, { rules: [] });
  } finally {
    await db.$disconnect();
  }
}

/** The template model through the API: version v from the run of rank v-1 (rank = order of creation). */
async function templateModel(ep: Endpoint, runs: { runId: string; artifactUri: string }[], versions: number): Promise<void> {
  await post(ep, "registered-models/create", { name: "model-0", tags: MODEL_TAGS, description: "bench template" });
  for (let v = 1; v <= versions; v++) {
    const run = runs[v - 1]!;
    const tags = [
      { key: "framework", value: "sklearn" },
      { key: "validated", value: String(v % 2 === 0) },
    ];
    await post(ep, "model-versions/create", { name: "model-0", source: `${run.artifactUri}/model`, run_id: run.runId, tags });
    const stage = STAGED[v];
    if (stage) await post(ep, "model-versions/transition-stage", { name: "model-0", version: String(v), stage, archive_existing_versions: false });
  }
  if (ALIAS.version <= versions) await post(ep, "registered-models/alias", { name: "model-0", alias: ALIAS.alias, version: String(ALIAS.version) });
}

/** Copies of one run (run + tags), as phases/search.ts makes them. */
async function cloneRuns(c: pg.Client, templateRunId: string, copies: number) {
  await c.query(
    `INSERT INTO run (id, experiment_id, name, user_id, owner_id, status, start_time, end_time, artifact_uri, lifecycle_stage)
     SELECT md5(t.id || ':' || g), t.experiment_id, 'clone-' || g, t.user_id, t.owner_id, t.status, t.start_time + g, t.end_time,
            replace(t.artifact_uri, t.id, md5(t.id || ':' || g)), t.lifecycle_stage
     FROM run t, generate_series(1, $2::int) g WHERE t.id = $1`,
    [templateRunId, copies],
  );
  await c.query(
    `INSERT INTO run_tag (run_pk, key, value)
     SELECT r.pk, t.key, CASE WHEN t.key = 'mlflow.runName' THEN r.name ELSE t.value END
     FROM run r CROSS JOIN run_tag t JOIN run tr ON tr.pk = t.run_pk
     WHERE tr.id = $1 AND r.experiment_id = tr.experiment_id AND r.name LIKE 'clone-%'`,
    [templateRunId],
  );
}

/** Models model-1.. copied from model-0 with their versions, tags, stage history and alias. */
async function cloneModels(c: pg.Client, experimentId: number, models: number, runCount: number) {
  const tpl = (await c.query<{ id: number; next_version: number }>("SELECT id, next_version FROM registered_model WHERE name = 'model-0'")).rows[0]!;
  const per = tpl.next_version - 1;
  await c.query(
    `INSERT INTO registered_model (name, description, creation_timestamp, last_updated_timestamp, owner_id, next_version)
     SELECT 'model-' || g, t.description, t.creation_timestamp + g, t.last_updated_timestamp + g, t.owner_id, t.next_version
     FROM registered_model t, generate_series(1, $2::int) g WHERE t.id = $1`,
    [tpl.id, models - 1],
  );
  await c.query(`CREATE TEMP TABLE bench_clone AS SELECT id, substr(name, 7)::int AS g FROM registered_model WHERE name ~ '^model-[0-9]+$' AND id <> $1`, [tpl.id]);
  await c.query(`CREATE TEMP TABLE bench_run AS SELECT id, (row_number() OVER (ORDER BY pk) - 1)::int AS rank FROM run WHERE experiment_id = $1`, [experimentId]);
  await c.query(
    `INSERT INTO model_version (model_id, version, creation_timestamp, last_updated_timestamp, user_id, owner_id, current_stage, description,
       source, storage_location, store_path, run_id, run_link, status, status_message, mlmodel)
     SELECT m.id, v.version, v.creation_timestamp + m.g, v.last_updated_timestamp + m.g, v.user_id, v.owner_id, v.current_stage, v.description,
       replace(v.source, v.run_id, r.id), replace(v.storage_location, v.run_id, r.id), replace(v.store_path, v.run_id, r.id), r.id,
       v.run_link, v.status, v.status_message, v.mlmodel
     FROM bench_clone m JOIN model_version v ON v.model_id = $1 JOIN bench_run r ON r.rank = (m.g * $2::int + v.version - 1) % $3::int`,
    [tpl.id, per, runCount],
  );
  // each clone's version paired with the template's version of the same number
  const pairs = `SELECT c.pk, c.model_id, t.pk AS tpk FROM model_version c JOIN bench_clone m ON m.id = c.model_id JOIN model_version t ON t.model_id = $1 AND t.version = c.version`;
  await c.query(`INSERT INTO model_version_tag (version_pk, key, value) SELECT p.pk, x.key, x.value FROM (${pairs}) p JOIN model_version_tag x ON x.version_pk = p.tpk`, [tpl.id]);
  await c.query(
    `INSERT INTO stage_transition (model_id, version_pk, from_stage, to_stage, at, actor_id, actor_name, system, reason)
     SELECT p.model_id, p.pk, s.from_stage, s.to_stage, s.at, s.actor_id, s.actor_name, s.system, s.reason FROM (${pairs}) p JOIN stage_transition s ON s.version_pk = p.tpk`,
    [tpl.id],
  );
  await c.query(`INSERT INTO registered_model_alias (model_id, alias, version_pk) SELECT p.model_id, a.alias, p.pk FROM (${pairs}) p JOIN registered_model_alias a ON a.version_pk = p.tpk`, [tpl.id]);
  await c.query(
    `INSERT INTO alias_event (model_id, alias, from_version, to_version, at, actor_id, actor_name, reason)
     SELECT m.id, e.alias, e.from_version, e.to_version, e.at, e.actor_id, e.actor_name, e.reason FROM bench_clone m JOIN alias_event e ON e.model_id = $1`,
    [tpl.id],
  );
  await c.query(`INSERT INTO registered_model_tag (model_id, key, value) SELECT m.id, t.key, t.value FROM bench_clone m JOIN registered_model_tag t ON t.model_id = $1`, [tpl.id]);
}

async function seed(ctx: RegistryContext): Promise<{ runId: string; seconds: number }> {
  const { api, sizes } = ctx;
  const experimentId = await createExperiment(api, `bench-registry-search-${ctx.stamp}`);
  const template = await createRunWithUri(api, experimentId, "template");
  const t0 = performance.now();
  await withPg(ctx.databaseUrl, async (c) => {
    await c.query("BEGIN");
    await cloneRuns(c, template.runId, sizes.searchRuns - 1);
    await c.query("COMMIT");
  });
  const runs = await withPg(ctx.databaseUrl, async (c) =>
    (await c.query<{ id: string; artifact_uri: string }>("SELECT id, artifact_uri FROM run WHERE experiment_id = $1 ORDER BY pk LIMIT $2", [Number(experimentId), sizes.versionsPerModel])).rows,
  );
  await unprotectStages(ctx.databaseUrl);
  await templateModel(
    api,
    runs.map((r) => ({ runId: r.id, artifactUri: r.artifact_uri })),
    sizes.versionsPerModel,
  );
  await withPg(ctx.databaseUrl, async (c) => {
    await c.query("BEGIN");
    await cloneModels(c, Number(experimentId), sizes.searchModels, sizes.searchRuns);
    await c.query("COMMIT");
    await c.query("ANALYZE");
  });
  // a run in the middle of the set (about versions x models / runs versions point at it)
  const runId = await withPg(ctx.databaseUrl, async (c) => (await c.query<{ id: string }>("SELECT id FROM run WHERE experiment_id = $1 ORDER BY pk OFFSET $2 LIMIT 1", [Number(experimentId), Math.floor(sizes.searchRuns * 0.617)])).rows[0]!.id);
  return { runId, seconds: (performance.now() - t0) / 1000 };
}

interface Expected {
  models: number;
  versions: number;
  matchingModels: number;
  runVersions: number;
  latestPerModel: number;
}

async function expected(ctx: RegistryContext, runId: string): Promise<Expected> {
  return withPg(ctx.databaseUrl, async (c) => {
    const n = async (sql: string, params: unknown[] = []) => Number((await c.query<{ n: string }>(sql, params)).rows[0]?.n ?? 0);
    return {
      models: await n("SELECT count(*) AS n FROM registered_model WHERE name ~ '^model-[0-9]+$'"),
      versions: await n("SELECT count(*) AS n FROM model_version v JOIN registered_model m ON m.id = v.model_id WHERE m.name ~ '^model-[0-9]+$'"),
      matchingModels: await n("SELECT count(*) AS n FROM registered_model WHERE name LIKE $1", [`${PREFIX}%`]),
      runVersions: await n("SELECT count(*) AS n FROM model_version WHERE run_id = $1 AND deleted_timestamp IS NULL", [runId]),
      latestPerModel: await n("SELECT count(DISTINCT current_stage) AS n FROM model_version v JOIN registered_model m ON m.id = v.model_id WHERE m.name = 'model-0' AND v.status = 'READY'"),
    };
  });
}

/**
 * The plan of the version search as core builds it for a run_id filter (searchModelVersions with
 * the default order and limit, reconstructed here): which index it walks, and how long it takes.
 */
async function explainRunIdSearch(ctx: RegistryContext, runId: string): Promise<string> {
  return withPg(ctx.databaseUrl, async (c) => {
    const plan = await c.query<{ "QUERY PLAN": string }>(
      `EXPLAIN (ANALYZE, COSTS OFF) SELECT v.pk FROM model_version v JOIN registered_model m ON m.id = v.model_id
       WHERE v.deleted_timestamp IS NULL AND TRUE AND v.run_id = $1
       ORDER BY v.last_updated_timestamp DESC, m.name ASC, v.version DESC LIMIT 200001 OFFSET 0`,
      [runId],
    );
    const lines = plan.rows.map((r) => r["QUERY PLAN"]);
    ctx.log(`EXPLAIN ANALYZE of the version search (reconstructed from core):\n${lines.map((l) => `    ${l}`).join("\n")}`);
    const index = lines.some((l) => l.includes("model_version_run_id_idx")) ? "plan uses model_version_run_id_idx" : "plan does NOT use model_version_run_id_idx";
    const time = lines.find((l) => l.startsWith("Execution Time"));
    return `${index}${time ? ` (${time.toLowerCase()})` : ""}`;
  });
}

const targets = (s: RegistrySizes): [Target, Target] => [
  { target: `search: ${fmtInt(s.searchModels)} models, name LIKE '${PREFIX}%'`, required: "<= 50 ms median" },
  { target: `search: ${fmtInt(s.searchModels * s.versionsPerModel)} versions, run_id = one run`, required: "<= 20 ms median" },
];

async function run(ctx: RegistryContext): Promise<Row[]> {
  const [modelsT, versionsT] = targets(ctx.sizes);
  const { runId, seconds } = await seed(ctx);
  const want = await expected(ctx, runId);
  const origin = `model-0 (${ctx.sizes.versionsPerModel} versions, 2 tags each, stages ${Object.values(STAGED).join("/")}, alias, 2 model tags) made through the API and cloned with INSERT ... SELECT generate_series; ${fmtInt(ctx.sizes.searchRuns)} runs (1 via the API, cloned with SQL)`;
  ctx.log(`seeded ${fmtInt(want.models)} models / ${fmtInt(want.versions)} versions over ${fmtInt(ctx.sizes.searchRuns)} runs in ${seconds.toFixed(1)} s (${origin})`);
  const rows: Row[] = [];

  try {
    const first = await searchModels(ctx.api);
    const got = first.registered_models ?? [];
    const page = Math.min(100, want.matchingModels);
    const problems: string[] = [];
    if (got.length !== page) problems.push(`returned ${got.length} models, expected ${page}`);
    if (got.some((m) => !m.name.startsWith(PREFIX))) problems.push("a name outside the prefix");
    if (got.some((m) => (m.latest_versions?.length ?? 0) !== want.latestPerModel)) problems.push(`latest_versions not ${want.latestPerModel} per model`);
    if (Boolean(first.next_page_token) !== want.matchingModels > page) problems.push(`next_page_token ${first.next_page_token ? "present" : "absent"} with ${want.matchingModels} matches`);
    const { ms, samples } = await medianLatency(() => searchModels(ctx.api), ctx.sizes.repeats);
    const latest = got.reduce((n, m) => n + (m.latest_versions?.length ?? 0), 0);
    rows.push({
      ...modelsT,
      measured: fmtMs(ms),
      ceiling: "-",
      ratio: "-",
      pass: ms <= 50 && problems.length === 0,
      note: `GET registered-models/search?filter=name LIKE '${PREFIX}%' (default max_results 100): ${got.length} of ${want.matchingModels} matching models on the first page, ${latest} latest_versions in all; median of ${samples}; ${origin}${problems.length ? `; WRONG RESULT: ${problems.join("; ")}` : ""}`,
    });
  } catch (e) {
    rows.push(notMeasured(modelsT, errorText(e)));
  }

  try {
    const first = await searchVersions(ctx.api, runId);
    const got = first.model_versions ?? [];
    const problems: string[] = [];
    if (got.length !== want.runVersions) problems.push(`returned ${got.length} versions, expected ${want.runVersions}`);
    if (got.some((v) => v.run_id !== runId)) problems.push("a version of another run");
    const { ms, samples } = await medianLatency(() => searchVersions(ctx.api, runId), ctx.sizes.repeats);
    const indexNote = await explainRunIdSearch(ctx, runId);
    rows.push({
      ...versionsT,
      measured: fmtMs(ms),
      ceiling: "-",
      ratio: "-",
      pass: ms <= 20 && problems.length === 0,
      note: `GET model-versions/search?filter=run_id='<one run>': ${got.length} versions returned (of ${fmtInt(want.versions)}); median of ${samples}; ${indexNote}${problems.length ? `; WRONG RESULT: ${problems.join("; ")}` : ""}`,
    });
  } catch (e) {
    rows.push(notMeasured(versionsT, errorText(e)));
  }
  return rows;
}

export const registrySearchPhase: RegistryPhase = { targets, run };
