import type { Ctx } from "../context.ts";
import { invalid, notFound } from "../errors.ts";
import { recordAudit } from "../audit/record-audit.ts";
import { assertExperimentActive, loadExperiment } from "../tracking/experiments.ts";
import { findRun } from "../tracking/run-access.ts";
import { findTrace } from "./access.ts";
import { checkKey, checkValue } from "./limits.ts";

// Changing traces after the fact: tags, deletion (by ids or by age), links to runs, and the
// experiment's retention, enforced by a background job (purgeExpiredTraces).

export async function setTraceTag(ctx: Ctx, input: { trace_id: string; key: string; value: string }): Promise<void> {
  checkKey("tag", input.key);
  checkValue("tag", input.key, input.value);
  const t = await findTrace(ctx, input.trace_id, "EDIT");
  await ctx.db.$executeRaw`INSERT INTO trace_tag (trace_id, key, value) VALUES (${t.traceId}, ${input.key}, ${input.value})
    ON CONFLICT (trace_id, key) DO UPDATE SET value = EXCLUDED.value`;
}

export async function deleteTraceTag(ctx: Ctx, input: { trace_id: string; key: string }): Promise<void> {
  checkKey("tag", input.key);
  const t = await findTrace(ctx, input.trace_id, "EDIT");
  const n = await ctx.db.$executeRaw`DELETE FROM trace_tag WHERE trace_id = ${t.traceId} AND key = ${input.key}`;
  if (!n) throw notFound(`No trace tag with key '${input.key}' for trace with ID '${t.traceId}'`);
}

export const MAX_DELETE_BY_IDS = 100;

/**
 * DeleteTraces: either the traces named (at most 100) or those older than max_timestamp_millis
 * (the oldest max_traces of them when given), in one experiment (EDIT). Spans, tags, metadata and
 * assessments go with them. Answers how many were deleted.
 */
export async function deleteTraces(
  ctx: Ctx,
  input: { experiment_id: string; max_timestamp_millis?: number | undefined; max_traces?: number | undefined; request_ids?: readonly string[] | undefined },
): Promise<{ traces_deleted: number }> {
  const ids = input.request_ids ?? [];
  const byTime = input.max_timestamp_millis !== undefined;
  if (!byTime && !ids.length) throw invalid("Either `max_timestamp_millis` or `request_ids` must be specified.");
  if (byTime && ids.length) throw invalid("Only one of `max_timestamp_millis` and `request_ids` can be specified.");
  if (ids.length && input.max_traces !== undefined) throw invalid("`max_traces` can't be specified if `request_ids` is specified.");
  if (ids.length > MAX_DELETE_BY_IDS) throw invalid(`At most ${MAX_DELETE_BY_IDS} trace ids can be deleted at once, got ${ids.length}`);
  if (input.max_traces !== undefined && (!Number.isInteger(input.max_traces) || input.max_traces <= 0)) {
    throw invalid(`\`max_traces\` must be a positive integer, received ${input.max_traces}.`);
  }
  const exp = await loadExperiment(ctx, input.experiment_id, "EDIT");
  return ctx.db.$transaction(async (tx) => {
    const deleted = byTime
      ? await tx.$queryRaw<{ trace_id: string; size_bytes: bigint }[]>`
          DELETE FROM trace WHERE trace_id IN (
            SELECT trace_id FROM trace WHERE experiment_id = ${exp.id} AND request_time <= ${input.max_timestamp_millis}
            ORDER BY request_time ASC, trace_id LIMIT ${input.max_traces ?? null})
          RETURNING trace_id, size_bytes`
      : await tx.$queryRaw<{ trace_id: string; size_bytes: bigint }[]>`
          DELETE FROM trace WHERE experiment_id = ${exp.id} AND trace_id = ANY(${ids as string[]}::text[]) RETURNING trace_id, size_bytes`;
    if (deleted.length) {
      await recordAudit(ctx, tx, {
        action: "trace.delete",
        resourceType: "experiment",
        resourceId: String(exp.id),
        before: { traces: deleted.length, bytes: deleted.reduce((s, d) => s + Number(d.size_bytes), 0), ...(byTime ? { max_timestamp_millis: input.max_timestamp_millis, max_traces: input.max_traces ?? null } : { trace_ids: deleted.map((d) => d.trace_id) }) },
      });
    }
    return { traces_deleted: deleted.length };
  });
}

export const MAX_LINK_TRACES = 100;

/** LinkTracesToRun: EDIT on the run, READ on each trace; linking twice is harmless. */
export async function linkTracesToRun(ctx: Ctx, input: { trace_ids: readonly string[]; run_id: string }): Promise<void> {
  if (input.trace_ids.length > MAX_LINK_TRACES) throw invalid(`Cannot link more than ${MAX_LINK_TRACES} traces to a run in a single request. Provided ${input.trace_ids.length} traces.`);
  const run = await findRun(ctx, input.run_id, "EDIT");
  for (const id of input.trace_ids) await findTrace(ctx, id, "READ");
  if (!input.trace_ids.length) return;
  await ctx.db.$executeRaw`INSERT INTO trace_run_link (trace_id, run_id) SELECT unnest(${input.trace_ids as string[]}::text[]), ${run.id} ON CONFLICT DO NOTHING`;
}

// ---- retention ----

export const MAX_RETENTION_DAYS = 3650;

/** Sets how many days an experiment keeps its traces (MANAGE); null keeps them forever. */
export async function setTraceRetention(ctx: Ctx, input: { experiment_id: string; days: number | null }): Promise<void> {
  if (input.days !== null && (!Number.isInteger(input.days) || input.days < 1 || input.days > MAX_RETENTION_DAYS)) {
    throw invalid(`Trace retention must be a whole number of days from 1 to ${MAX_RETENTION_DAYS}, or none`);
  }
  const exp = await loadExperiment(ctx, input.experiment_id, "MANAGE");
  assertExperimentActive(exp);
  await ctx.db.$transaction(async (tx) => {
    const [before] = await tx.$queryRaw<{ days: number | null }[]>`SELECT trace_retention_days AS days FROM experiment WHERE id = ${exp.id} FOR UPDATE`;
    await tx.$executeRaw`UPDATE experiment SET trace_retention_days = ${input.days} WHERE id = ${exp.id}`;
    await recordAudit(ctx, tx, { action: "trace.retention_set", resourceType: "experiment", resourceId: String(exp.id), before: { days: before?.days ?? null }, after: { days: input.days } });
  });
}

export interface PurgeResult {
  experiments: number;
  traces: number;
  bytes: number;
}

/**
 * Deletes traces older than their experiment's retention, at most `batch` per experiment per
 * statement so a large backlog does not hold long locks; called by the retention job. Each
 * experiment's purge is audited once (as the system).
 */
export async function purgeExpiredTraces(ctx: Ctx, opts: { now?: number; batch?: number } = {}): Promise<PurgeResult> {
  const now = opts.now ?? Date.now();
  const batch = opts.batch ?? 5000;
  const exps = await ctx.db.$queryRaw<{ id: number; days: number }[]>`SELECT id, trace_retention_days AS days FROM experiment WHERE trace_retention_days IS NOT NULL ORDER BY id`;
  const out: PurgeResult = { experiments: 0, traces: 0, bytes: 0 };
  for (const e of exps) {
    const cutoff = now - e.days * 86_400_000;
    let traces = 0;
    let bytes = 0;
    for (;;) {
      const rows = await ctx.db.$queryRaw<{ n: number; bytes: number }[]>`
        WITH d AS (DELETE FROM trace WHERE trace_id IN (
          SELECT trace_id FROM trace WHERE experiment_id = ${e.id} AND request_time < ${cutoff} ORDER BY request_time LIMIT ${batch})
          RETURNING size_bytes)
        SELECT count(*)::int AS n, COALESCE(sum(size_bytes), 0)::float8 AS bytes FROM d`;
      const r = rows[0]!;
      traces += r.n;
      bytes += r.bytes;
      if (r.n < batch) break;
    }
    if (traces) {
      out.experiments++;
      out.traces += traces;
      out.bytes += bytes;
      await recordAudit(ctx, ctx.db, { action: "trace.retention_purge", resourceType: "experiment", resourceId: String(e.id), before: { traces, bytes, older_than: new Date(cutoff).toISOString(), days: e.days } });
    }
  }
  return out;
}
