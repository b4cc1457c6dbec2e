import { Prisma } from "@modelgate/db";
import type { DbOrTx } from "../audit/record-audit.ts";
import type { DatasetInputView, LifecycleStage, MetricView, RunInfoView, RunStatus, RunView, TagView } from "./types.ts";

// Loads whole runs (info, latest metrics, params, tags, dataset inputs) for a list of run keys in
// a fixed number of queries, one per table, whatever the number of runs: runs/get and runs/search
// both come through here.

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
interface KeyValueRow {
  run_pk: bigint;
  key: string;
  value: string;
}
interface MetricRow {
  run_pk: bigint;
  key: string;
  value: number;
  timestamp: bigint;
  step: bigint;
}
interface InputRow {
  run_pk: bigint;
  tags: unknown;
  name: string;
  digest: string;
  source_type: string;
  source: string;
  schema: string | null;
  profile: string | null;
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

function groupBy<T extends { run_pk: bigint }>(rows: T[]): Map<bigint, T[]> {
  const m = new Map<bigint, T[]>();
  for (const r of rows) {
    const list = m.get(r.run_pk);
    if (list) list.push(r);
    else m.set(r.run_pk, [r]);
  }
  return m;
}

const nonEmpty = <T>(xs: T[] | undefined): T[] | undefined => (xs && xs.length ? xs : undefined);

function toTags(raw: unknown): TagView[] | undefined {
  if (!Array.isArray(raw)) return undefined;
  const tags = raw.filter((t): t is TagView => typeof t === "object" && t !== null && "key" in t && "value" in t).map((t) => ({ key: String(t.key), value: String(t.value) }));
  return nonEmpty(tags);
}

function toDatasetInput(r: InputRow): DatasetInputView {
  const tags = toTags(r.tags);
  return {
    ...(tags ? { tags } : {}),
    dataset: {
      name: r.name,
      digest: r.digest,
      source_type: r.source_type,
      source: r.source,
      ...(r.schema === null ? {} : { schema: r.schema }),
      ...(r.profile === null ? {} : { profile: r.profile }),
    },
  };
}

/**
 * Run views for `runPks`, in the same order (unknown keys are skipped). No permission check: the
 * caller has already decided which runs this actor may see.
 */
export async function loadRunViews(db: DbOrTx, runPks: readonly bigint[]): Promise<RunView[]> {
  if (runPks.length === 0) return [];
  const pks = bigintArray(runPks);
  const [runs, params, tags, metrics, inputs] = await Promise.all([
    db.$queryRaw<RunRow[]>`SELECT ${RUN_COLUMNS} FROM run r WHERE r.pk = ANY(${pks})`,
    db.$queryRaw<KeyValueRow[]>`SELECT run_pk, key, value FROM param WHERE run_pk = ANY(${pks}) ORDER BY run_pk, key`,
    db.$queryRaw<KeyValueRow[]>`SELECT run_pk, key, value FROM run_tag WHERE run_pk = ANY(${pks}) ORDER BY run_pk, key`,
    db.$queryRaw<MetricRow[]>`SELECT run_pk, key, value, timestamp, step FROM latest_metric WHERE run_pk = ANY(${pks}) ORDER BY run_pk, key`,
    db.$queryRaw<InputRow[]>`SELECT i.run_pk, i.tags, d.name, d.digest, d.source_type, d.source, d.schema, d.profile
      FROM run_input i JOIN dataset d ON d.pk = i.dataset_pk WHERE i.run_pk = ANY(${pks}) ORDER BY i.run_pk, d.pk`,
  ]);
  const byPk = new Map(runs.map((r) => [r.pk, r]));
  const paramsOf = groupBy(params);
  const tagsOf = groupBy(tags);
  const metricsOf = groupBy(metrics);
  const inputsOf = groupBy(inputs);
  const out: RunView[] = [];
  for (const pk of runPks) {
    const run = byPk.get(pk);
    if (!run) continue;
    const m = nonEmpty(metricsOf.get(pk)?.map((x): MetricView => ({ key: x.key, value: x.value, timestamp: Number(x.timestamp), step: Number(x.step) })));
    const p = nonEmpty(paramsOf.get(pk)?.map((x) => ({ key: x.key, value: x.value })));
    const t = nonEmpty(tagsOf.get(pk)?.map((x) => ({ key: x.key, value: x.value })));
    const d = nonEmpty(inputsOf.get(pk)?.map(toDatasetInput));
    out.push({
      info: toRunInfoView(run),
      data: { ...(m ? { metrics: m } : {}), ...(p ? { params: p } : {}), ...(t ? { tags: t } : {}) },
      inputs: d ? { dataset_inputs: d } : {},
    });
  }
  return out;
}
