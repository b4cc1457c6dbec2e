import { Prisma, sqlQuery } from "@modelgate/db";
import { recordAudit, type DbOrTx } from "../audit/record-audit.ts";
import { type Ctx, actorUserId } from "../context.ts";
import { invalid, notFound } from "../errors.ts";
import { experimentLevelAtLeastSql } from "../auth/permissions.ts";
import { assertExperimentActive, loadExperiment } from "./experiments.ts";
import { loadRunViews, RUN_COLUMNS, toRunInfoView, type RunRow } from "./load-runs.ts";
import { assertRunActive, checkRunAccess, findRun, runAccessSql, runNotFound, type AccessRow, type RunRef } from "./run-access.ts";
import { generateRunName, newRunId } from "./run-names.ts";
import { runBodies } from "./run-wire.ts";
import { WireJson } from "../wire-json.ts";
import type { PermissionLevel, RunInfoView, RunStatus, RunView, TagView } from "./types.ts";
import { byKey, dedupeTags, validateKey, validateRunId, validateTag, validateTimestamp, validateValue } from "./validate.ts";

export const RUN_NAME_TAG = "mlflow.runName";
const STATUSES: readonly RunStatus[] = ["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"];

export interface CreateRunInput {
  experiment_id?: string | undefined;
  user_id?: string | undefined;
  run_name?: string | undefined;
  start_time?: number | undefined;
  tags?: TagView[] | undefined;
}

/** The run's name: run_name, else the mlflow.runName tag, else a generated one; both must agree. */
function chooseRunName(runName: string | undefined, tags: TagView[]): string {
  const fromTag = tags.find((t) => t.key === RUN_NAME_TAG)?.value;
  if (runName && fromTag && runName !== fromTag) {
    throw invalid(`Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='${runName}', mlflow.runName='${fromTag}').`);
  }
  return runName || fromTag || generateRunName();
}

/** EDIT on the experiment (default "0") is needed; the experiment must be active. */
export async function createRun(ctx: Ctx, input: CreateRunInput): Promise<RunView> {
  const experimentId = input.experiment_id || "0";
  const exp = await loadExperiment(ctx, experimentId, "EDIT");
  assertExperimentActive(exp);
  const given = dedupeTags(input.tags ?? []);
  given.forEach(validateTag);
  if (input.start_time !== undefined) validateTimestamp("start_time", input.start_time);
  const name = chooseRunName(input.run_name, given);
  validateValue("Run name", name);
  const tags = [...given.filter((t) => t.key !== RUN_NAME_TAG), { key: RUN_NAME_TAG, value: name }];
  const id = newRunId();
  // one statement: the run and its tags land together, and the answer is built from what was written
  const [row] = await sqlQuery<RunRow>(
    ctx.db,
    Prisma.sql`WITH ins_run AS (
        INSERT INTO run AS r (id, experiment_id, name, user_id, owner_id, start_time, artifact_uri)
        VALUES (${id}, ${exp.id}::int, ${name}, ${input.user_id ?? (ctx.actor.kind === "user" ? ctx.actor.username : "")}, ${actorUserId(ctx.actor)}::uuid,
          ${input.start_time ?? 0}::bigint, ${`${exp.artifactLocation.replace(/\/+$/, "")}/${id}/artifacts`})
        RETURNING ${RUN_COLUMNS}),
      ins_tags AS (INSERT INTO run_tag (run_pk, key, value) SELECT ins_run.pk, x.k, x.v FROM ins_run, unnest(${tags.map((t) => t.key)}::text[], ${tags.map((t) => t.value)}::text[]) AS x(k, v))
    SELECT * FROM ins_run`,
    { prepare: true },
  );
  return { info: toRunInfoView(row!), data: { tags: [...tags].sort(byKey) }, inputs: {} };
}

export async function getRun(ctx: Ctx, runId: string): Promise<RunView> {
  const run = await findRun(ctx, runId, "READ");
  const [view] = await loadRunViews(ctx.db, [run.pk]);
  if (!view) throw runNotFound(runId);
  return view;
}

/** getRun as the REST response itself, `{"run": ...}`, from the run's cached wire JSON. */
export async function getRunWire(ctx: Ctx, runId: string): Promise<WireJson> {
  const run = await findRun(ctx, runId, "READ");
  const [body] = await runBodies(ctx.db, [{ pk: run.pk, version: run.viewVersion }]);
  if (!body) throw runNotFound(runId);
  return new WireJson('{"run":', body, "}");
}

export interface UpdateRunInput {
  run_id: string;
  /** Unknown values are ignored, as MLflow ignores an unknown enum value. */
  status?: string | undefined;
  end_time?: number | undefined;
  run_name?: string | undefined;
}

export async function updateRun(ctx: Ctx, input: UpdateRunInput): Promise<RunInfoView> {
  const status = STATUSES.includes(input.status as RunStatus) ? (input.status as RunStatus) : null;
  if (input.end_time !== undefined) validateTimestamp("end_time", input.end_time);
  const name = input.run_name || null;
  if (name) validateValue("Run name", name);
  // one statement: access, the run's row (status, end time, name) and its name tag
  const { row } = await guardedRunWrites(
    ctx,
    input.run_id,
    "EDIT",
    name ? [tagWrite([{ key: RUN_NAME_TAG, value: name }])] : [],
    Prisma.sql`, status = COALESCE(${status}::"RunStatus", r.status), end_time = COALESCE(${input.end_time ?? null}::bigint, r.end_time)`,
  );
  return toRunInfoView(row);
}

/**
 * Every statement that writes a run's data starts by bumping the run's view_version (the key of
 * its cached wire JSON, see run-wire.ts; triggers would bump it anyway at the end of the statement). Doing it
 * first takes the run row's lock before any child row's, in every writer, so two writers of one
 * run cannot deadlock. The other CTEs read `bump`, which makes PostgreSQL run it first; a rename
 * goes into the same UPDATE (a row cannot be updated twice in one statement).
 */
function bumpCte(runPk: Prisma.Sql | bigint, rename: string | undefined, { set = Prisma.empty, returning = Prisma.sql`r.pk` }: { set?: Prisma.Sql; returning?: Prisma.Sql } = {}): Prisma.Sql {
  const name = rename === undefined ? Prisma.empty : Prisma.sql`, name = ${rename}`;
  return Prisma.sql`bump AS (UPDATE run r SET view_version = r.view_version + 1${name}${set} WHERE r.pk = ${runPk} RETURNING ${returning})`;
}

/** Locks a run's row for a transaction that writes its data in several statements (see bumpCte). */
export async function lockRunForWrite(tx: DbOrTx, runPk: bigint) {
  await tx.$executeRaw`WITH ${bumpCte(runPk, undefined)} SELECT 1`;
}

export interface RunWrite {
  /** Data-modifying CTEs; each reads `bump` (the run's key as `bump.pk`). */
  ctes: Prisma.Sql[];
  /** Setting mlflow.runName renames the run. */
  rename?: string | undefined;
  /** Plain CTEs that must run (PostgreSQL skips an unreferenced SELECT): the statement reads them. */
  checks?: string[];
}

/** Tags as a data-modifying CTE (last write wins; keys sorted so concurrent writers lock rows in the same order). */
export function tagWrite(tags: TagView[]): RunWrite {
  if (!tags.length) return { ctes: [] };
  const latest = dedupeTags(tags).map((t) => [t.key, t.value] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    ctes: [
      Prisma.sql`ins_tags AS (
        INSERT INTO run_tag (run_pk, key, value)
        SELECT bump.pk, k, v FROM bump, unnest(${latest.map(([k]) => k)}::text[], ${latest.map(([, v]) => v)}::text[]) AS x(k, v)
        ON CONFLICT (run_pk, key) DO UPDATE SET value = excluded.value)`,
    ],
    rename: latest.find(([k]) => k === RUN_NAME_TAG)?.[1],
  };
}

/** The checks' counts, as columns named after them. */
const checkColumns = (writes: RunWrite[]) => Prisma.raw(writes.flatMap((w) => w.checks ?? []).map((name) => `, (SELECT count(*) FROM ${name})::int AS ${name}`).join(""));

/**
 * Runs a run's writes as one statement after its bump: atomic on its own, no transaction needed.
 * A run removed since it was found (its experiment purged) is a 404, not a write acknowledged and
 * dropped.
 */
export async function runWrites(db: DbOrTx, run: Pick<RunRef, "pk" | "id">, ...writes: RunWrite[]) {
  const ctes = writes.flatMap((w) => w.ctes);
  if (!ctes.length) return;
  const rename = writes.find((w) => w.rename !== undefined)?.rename;
  // prepared: the text is one of a fixed set (which writes, in which order), the data are parameters
  const [row] = await sqlQuery<{ found: number }>(
    db,
    Prisma.sql`WITH ${Prisma.join([bumpCte(run.pk, rename), ...ctes], ", ")} SELECT (SELECT count(*) FROM bump)::int AS found${checkColumns(writes)}`,
    { prepare: true },
  );
  if (!row?.found) throw runNotFound(run.id);
}

const WRITTEN_COLUMNS = ["pk", "id", "experiment_id", "name", "user_id", "status", "start_time", "end_time", "artifact_uri", "lifecycle_stage"] as const satisfies readonly (keyof RunRow)[];

/** What guardedRunWrites read and wrote: the run, the run's row after the write, the checks' counts. */
export interface GuardedWrite {
  run: RunRef;
  /** The run's row as the write left it (RUN_COLUMNS). */
  row: RunRow;
  counts: Record<string, number>;
}

/**
 * findRun and runWrites in one statement (one round trip for a log call): the `access` CTE reads
 * the run and the actor's grant, the bump happens only where experimentLevelAtLeastSql (the same
 * rule findRun applies) allows `needed` and the run is active, and the writes hang off the bump
 * as always. When nothing was written, the access row explains why with findRun's own errors.
 * `set`: more assignments for the run's row itself (runs/update).
 */
export async function guardedRunWrites(ctx: Ctx, runId: string, needed: PermissionLevel, writes: RunWrite[], set: Prisma.Sql = Prisma.empty): Promise<GuardedWrite> {
  validateRunId(runId);
  const rename = writes.find((w) => w.rename !== undefined)?.rename;
  const allowed = Prisma.sql`(SELECT a.pk FROM access a WHERE a.lifecycle_stage = 'active' AND ${experimentLevelAtLeastSql(ctx.actor, needed, "a")})`;
  const rows = await sqlQuery<AccessRow & Record<`w_${keyof RunRow}`, unknown> & Record<string, number>>(
    ctx.db,
    Prisma.sql`WITH ${Prisma.join([Prisma.sql`access AS (${runAccessSql(ctx, runId)})`, bumpCte(allowed, rename, { set, returning: RUN_COLUMNS }), ...writes.flatMap((w) => w.ctes)], ", ")}
    SELECT a.*, ${Prisma.raw(WRITTEN_COLUMNS.map((c) => `b.${c} AS w_${c}`).join(", "))}${checkColumns(writes)} FROM access a LEFT JOIN bump b ON TRUE`,
    { prepare: true },
  );
  const row = rows[0];
  const run = checkRunAccess(ctx, runId, row, needed);
  assertRunActive(run);
  // allowed and active, yet not written: the run went away in between
  if (row?.w_pk == null) throw runNotFound(runId);
  const written = Object.fromEntries(WRITTEN_COLUMNS.map((c) => [c, row[`w_${c}`]])) as unknown as RunRow;
  const counts: Record<string, number> = {};
  for (const name of writes.flatMap((x) => x.checks ?? [])) counts[name] = Number(row[name]);
  return { run, row: written, counts };
}

export const upsertTags = (db: DbOrTx, run: Pick<RunRef, "pk" | "id">, tags: TagView[]) => runWrites(db, run, tagWrite(tags));

/** Deleting and restoring runs needs MANAGE (MLflow's can_delete); both are idempotent and audited. */
async function setRunStage(ctx: Ctx, runId: string, stage: "active" | "deleted") {
  const run = await findRun(ctx, runId, "MANAGE");
  if (run.lifecycleStage === stage) return;
  const deletedTime = stage === "deleted" ? BigInt(Date.now()) : null;
  await ctx.db.$transaction(async (tx) => {
    await tx.run.update({ where: { pk: run.pk }, data: { lifecycleStage: stage, deletedTime } });
    await recordAudit(ctx, tx, {
      action: stage === "deleted" ? "run.delete" : "run.restore",
      resourceType: "run",
      resourceId: run.id,
      before: { lifecycle_stage: run.lifecycleStage },
      after: { lifecycle_stage: stage, experiment_id: String(run.experimentId), run_name: run.name },
    });
  });
}

export const deleteRun = (ctx: Ctx, input: { run_id: string }) => setRunStage(ctx, input.run_id, "deleted");
export const restoreRun = (ctx: Ctx, input: { run_id: string }) => setRunStage(ctx, input.run_id, "active");

/** Setting mlflow.runName renames the run. */
export async function setTag(ctx: Ctx, input: { run_id: string; key: string; value: string }): Promise<void> {
  validateTag(input);
  await guardedRunWrites(ctx, input.run_id, "EDIT", [tagWrite([{ key: input.key, value: input.value }])]);
}

export async function deleteTag(ctx: Ctx, input: { run_id: string; key: string }): Promise<void> {
  validateKey("tag", input.key);
  const { counts } = await guardedRunWrites(ctx, input.run_id, "EDIT", [
    { ctes: [Prisma.sql`del AS (DELETE FROM run_tag t USING bump WHERE t.run_pk = bump.pk AND t.key = ${input.key} RETURNING 1)`], checks: ["del"] },
  ]);
  if (!counts.del) throw notFound(`No tag with name: ${input.key} in run with id ${input.run_id}`);
}

export const LOG_MODEL_HISTORY_TAG = "mlflow.log-model.history";

/**
 * runs/log-model: what `Model.log` records after writing a model's artifacts. Appends the model's
 * metadata to the run's `mlflow.log-model.history` tag (a JSON list), as MLflow's stores do. The
 * run row is locked first, so concurrent calls cannot lose an entry.
 */
export async function logModel(ctx: Ctx, input: { run_id: string; model_json: string }): Promise<void> {
  let model: unknown;
  try {
    model = JSON.parse(input.model_json);
  } catch {
    throw invalid("Argument 'model_json' should be valid JSON");
  }
  if (typeof model !== "object" || model === null || Array.isArray(model)) throw invalid("Argument 'model_json' should be a JSON object");
  const run = await findRun(ctx, input.run_id, "EDIT");
  assertRunActive(run);
  await ctx.db.$transaction(async (tx) => {
    await lockRunForWrite(tx, run.pk);
    const rows = await tx.$queryRaw<{ value: string }[]>`SELECT value FROM run_tag WHERE run_pk = ${run.pk} AND key = ${LOG_MODEL_HISTORY_TAG}`;
    const history = parseHistory(rows[0]?.value);
    history.push(model);
    const value = JSON.stringify(history);
    validateValue("Tag value", value);
    await upsertTags(tx, run, [{ key: LOG_MODEL_HISTORY_TAG, value }]);
  });
}

function parseHistory(raw: string | undefined): unknown[] {
  if (!raw) return [];
  try {
    const parsed: unknown = JSON.parse(raw);
    return Array.isArray(parsed) ? parsed : [];
  } catch {
    return []; // a user overwrote the tag with something else: start a new history
  }
}
