import { Prisma, sqlQuery } from "@modelgate/db";
import type { DbOrTx } from "../audit/record-audit.ts";
import type { DatasetInputView, LifecycleStage, MetricView, RunInfoView, RunStatus, RunView } from "./types.ts";
import { byKey } from "./validate.ts";

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
 * One round trip (a big page may ask for five in parallel). A page of 1000 runs holds ~10 000 child rows: decoding them row by row through
 * the driver, or building JSON objects in PostgreSQL, each cost several times more than the reads.
 * So each table comes back as one text value, a line per row and tab-separated fields; free text
 * is JSON-encoded by PostgreSQL (to_json), so it never contains a raw tab or newline.
 */
export async function loadRunViews(db: DbOrTx, runPks: readonly bigint[], opts: { parallel?: boolean } = {}): Promise<RunView[]> {
  const byPk = await loadRunViewsByPk(db, runPks, opts);
  const out: RunView[] = [];
  for (const pk of runPks) {
    const run = byPk.get(String(pk));
    if (run) out.push(run);
  }
  return out;
}

/** The same views, by run key (as a decimal string). */
export async function loadRunViewsByPk(db: DbOrTx, runPks: readonly bigint[], opts: { parallel?: boolean } = {}): Promise<Map<string, RunView>> {
  const byPk = new Map<string, RunView>();
  if (runPks.length === 0) return byPk;
  const pks = bigintArray(runPks);
  // keys are validated (no tab, newline or quote: validateKey), so they travel raw; free text is to_json'd
  const parts = {
    runs: Prisma.sql`SELECT string_agg(concat_ws(E'\t', r.pk, r.id, r.experiment_id, r.status, r.start_time, coalesce(r.end_time::text, ''),
        r.lifecycle_stage, to_json(r.name), to_json(r.user_id), to_json(r.artifact_uri)), E'\n')
      FROM run r WHERE r.pk = ANY(${pks})`,
    // model and dataset (MLflow 3) only when the point had them: a JSON tail, so most lines stay short
    metrics: Prisma.sql`SELECT string_agg(concat_ws(E'\t', m.run_pk, m.key, m.value, m.timestamp, m.step,
        CASE WHEN m.model_id IS NOT NULL OR m.dataset_name IS NOT NULL OR m.dataset_digest IS NOT NULL
          THEN json_strip_nulls(json_build_object('model_id', m.model_id, 'dataset_name', m.dataset_name, 'dataset_digest', m.dataset_digest))::text END), E'\n')
      FROM latest_metric m WHERE m.run_pk = ANY(${pks})`,
    params: Prisma.sql`SELECT string_agg(concat_ws(E'\t', p.run_pk, p.key, to_json(p.value)), E'\n')
      FROM param p WHERE p.run_pk = ANY(${pks})`,
    tags: Prisma.sql`SELECT string_agg(concat_ws(E'\t', t.run_pk, t.key, to_json(t.value)), E'\n')
      FROM run_tag t WHERE t.run_pk = ANY(${pks})`,
    inputs: Prisma.sql`SELECT json_agg(json_build_object('run_pk', i.run_pk::text, 'input', json_strip_nulls(json_build_object(
          'tags', CASE WHEN jsonb_typeof(i.tags) = 'array' AND jsonb_array_length(i.tags) > 0 THEN i.tags END,
          'dataset', json_build_object('name', d.name, 'digest', d.digest, 'source_type', d.source_type, 'source', d.source,
            'schema', d.schema, 'profile', d.profile)))) ORDER BY i.run_pk, d.pk)::text
        FROM run_input i JOIN dataset d ON d.pk = i.dataset_pk WHERE i.run_pk = ANY(${pks})`,
    // MLflow 3: the models a run used and produced (model ids are validated: no tab or newline)
    models: Prisma.sql`SELECT string_agg(x.line, E'\n' ORDER BY x.line) FROM (
        SELECT concat_ws(E'\t', 'i', i.run_pk, i.model_id) AS line FROM run_model_input i WHERE i.run_pk = ANY(${pks})
        UNION ALL
        SELECT concat_ws(E'\t', 'o', o.run_pk, lm.id, o.step) FROM run_output o JOIN logged_model lm ON lm.pk = o.model_pk WHERE o.run_pk = ANY(${pks})) x`,
  };
  type Texts = Record<keyof typeof parts, string | null>;
  let texts: Texts;
  if (opts.parallel) {
    // a big page: the five aggregates run on separate pool connections, so PostgreSQL works on
    // them at once instead of one after another
    const names = Object.keys(parts) as (keyof typeof parts)[];
    const values = await Promise.all(names.map((n) => db.$queryRaw<{ v: string | null }[]>`SELECT (${parts[n]}) AS v`.then((r) => r[0]?.v ?? null)));
    texts = Object.fromEntries(names.map((n, i) => [n, values[i]!])) as Texts;
  } else {
    // prepared (the keys are one array parameter): runs/get and small pages plan it once per connection
    const rows = await sqlQuery<Texts>(
      db,
      Prisma.sql`SELECT (${parts.runs}) AS runs, (${parts.metrics}) AS metrics, (${parts.params}) AS params, (${parts.tags}) AS tags, (${parts.inputs}) AS inputs,
        (${parts.models}) AS models`,
      { prepare: true },
    );
    texts = rows[0] ?? { runs: null, metrics: null, params: null, tags: null, inputs: null, models: null };
  }
  const row = texts;
  for (const line of lines(row?.runs)) {
    const f = line.split("\t");
    const info: RunInfoView = {
      run_id: f[1]!,
      run_uuid: f[1]!,
      run_name: JSON.parse(f[7]!) as string,
      experiment_id: f[2]!,
      user_id: JSON.parse(f[8]!) as string,
      status: f[3] as RunStatus,
      start_time: Number(f[4]),
      ...(f[5] ? { end_time: Number(f[5]) } : {}),
      artifact_uri: JSON.parse(f[9]!) as string,
      lifecycle_stage: f[6] as LifecycleStage,
    };
    byPk.set(f[0]!, { info, data: {}, inputs: {} });
  }
  for (const line of lines(row?.metrics)) {
    const f = line.split("\t");
    const run = byPk.get(f[0]!);
    // Number() reads PostgreSQL's 'NaN', 'Infinity' and '-Infinity' too
    if (!run) continue;
    const metric: MetricView = { key: f[1]!, value: Number(f[2]), timestamp: Number(f[3]), step: Number(f[4]) };
    (run.data.metrics ??= []).push(f[5] ? Object.assign(metric, JSON.parse(f[5]) as Partial<MetricView>) : metric);
  }
  for (const [text, field] of [[row?.params, "params"], [row?.tags, "tags"]] as const) {
    for (const line of lines(text)) {
      const a = line.indexOf("\t");
      const b = line.indexOf("\t", a + 1);
      const run = byPk.get(line.slice(0, a));
      if (run) (run.data[field] ??= []).push({ key: line.slice(a + 1, b), value: JSON.parse(line.slice(b + 1)) as string });
    }
  }
  for (const { run_pk, input } of JSON.parse(row?.inputs ?? "[]") as { run_pk: string; input: DatasetInputView }[]) {
    const run = byPk.get(run_pk);
    if (run) (run.inputs.dataset_inputs ??= []).push(input);
  }
  for (const line of lines(row?.models)) {
    const [kind, runPk, modelId, step] = line.split("\t");
    const run = byPk.get(runPk!);
    if (!run) continue;
    if (kind === "i") (run.inputs.model_inputs ??= []).push({ model_id: modelId! });
    else (run.outputs ??= { model_outputs: [] }).model_outputs.push({ model_id: modelId!, step: Number(step) });
  }
  // each run's metrics, params and tags in key order (code point order, as the old ORDER BY … COLLATE did not guarantee)
  for (const run of byPk.values()) {
    run.data.metrics?.sort(byKey);
    run.data.params?.sort(byKey);
    run.data.tags?.sort(byKey);
  }
  return byPk;
}


function lines(text: string | null | undefined): string[] {
  return text ? text.split("\n") : [];
}
