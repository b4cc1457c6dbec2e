import { Prisma } from "@modelgate/db";
import type { DbOrTx } from "../audit/record-audit.ts";
import type { LifecycleStage, RunInfoView, RunStatus, RunView } from "./types.ts";

// Loads whole runs (info, latest metrics, params, tags, dataset inputs) for a list of run keys in
// one query, whatever the number of runs: runs/get and runs/search both come through here.

interface RunRow {
  pk: bigint;
  id: string;
  experiment_id: number;
  name: string;
  user_id: string;
  status: string;
  start_time: bigint;
  end_time: bigint | null;
  artifact_uri: string;
  lifecycle_stage: string;
}

/** A bigint[] parameter, passed as text so the driver never has to guess an array type. */
export const bigintArray = (xs: readonly bigint[]) => Prisma.sql`${xs.map(String)}::text[]::bigint[]`;

export function toRunInfoView(r: RunRow): RunInfoView {
  return {
    run_id: r.id,
    run_uuid: r.id,
    run_name: r.name,
    experiment_id: String(r.experiment_id),
    user_id: r.user_id,
    status: r.status as RunStatus,
    start_time: Number(r.start_time),
    ...(r.end_time === null ? {} : { end_time: Number(r.end_time) }),
    artifact_uri: r.artifact_uri,
    lifecycle_stage: r.lifecycle_stage as LifecycleStage,
  };
}

/** The columns toRunInfoView needs, for queries elsewhere that select a run row. */
export const RUN_COLUMNS = Prisma.sql`r.pk, r.id, r.experiment_id, r.name, r.user_id, r.status::text AS status, r.start_time, r.end_time,
  r.artifact_uri, r.lifecycle_stage::text AS lifecycle_stage`;
export type { RunRow };

/**
 * Run views for `runPks`, in the same order (unknown keys are skipped). No permission check: the
 * caller has already decided which runs this actor may see.
 *
 * One query: PostgreSQL builds each run's JSON (a page of 1000 runs holds ~10 000 child rows, and
 * decoding them row by row through the driver cost several times more than the query itself).
 * json_strip_nulls drops absent optional fields (end_time, empty lists, dataset schema/profile).
 */
export async function loadRunViews(db: DbOrTx, runPks: readonly bigint[]): Promise<RunView[]> {
  if (runPks.length === 0) return [];
  const rows = await db.$queryRaw<{ runs: string | null }[]>`
    SELECT json_agg(json_strip_nulls(json_build_object(
      'info', json_build_object(
        'run_id', r.id, 'run_uuid', r.id, 'run_name', r.name, 'experiment_id', r.experiment_id::text,
        'user_id', r.user_id, 'status', r.status, 'start_time', r.start_time, 'end_time', r.end_time,
        'artifact_uri', r.artifact_uri, 'lifecycle_stage', r.lifecycle_stage),
      'data', json_build_object(
        'metrics', (SELECT json_agg(json_build_object('key', m.key, 'value', m.value, 'timestamp', m.timestamp, 'step', m.step) ORDER BY m.key)
                    FROM latest_metric m WHERE m.run_pk = r.pk),
        'params', (SELECT json_agg(json_build_object('key', p.key, 'value', p.value) ORDER BY p.key) FROM param p WHERE p.run_pk = r.pk),
        'tags', (SELECT json_agg(json_build_object('key', t.key, 'value', t.value) ORDER BY t.key) FROM run_tag t WHERE t.run_pk = r.pk)),
      'inputs', json_build_object(
        'dataset_inputs', (SELECT json_agg(json_build_object(
            'tags', CASE WHEN jsonb_typeof(i.tags) = 'array' AND jsonb_array_length(i.tags) > 0 THEN i.tags END,
            'dataset', json_build_object('name', d.name, 'digest', d.digest, 'source_type', d.source_type, 'source', d.source, 'schema', d.schema, 'profile', d.profile))
            ORDER BY d.pk)
          FROM run_input i JOIN dataset d ON d.pk = i.dataset_pk WHERE i.run_pk = r.pk))
    )) ORDER BY o.ord)::text AS runs
    FROM unnest(${bigintArray(runPks)}) WITH ORDINALITY AS o(pk, ord)
    JOIN run r ON r.pk = o.pk`;
  const runs = JSON.parse(rows[0]?.runs ?? "[]") as RunView[];
  for (const run of runs) {
    // PostgreSQL writes non-finite float8 as the strings "NaN", "Infinity", "-Infinity"
    for (const m of run.data.metrics ?? []) if (typeof m.value === "string") m.value = Number(m.value);
  }
  return runs;
}
