import { Prisma } from "@modelgate/db";
import type { Ctx } from "../../context.ts";
import { grantSql } from "../../auth/permissions.ts";
import { modelGrantSql, modelLevelAtLeast, resolveModelLevel } from "../../registry/access.ts";
import { bigintArray } from "../load-runs.ts";
import type { TagView } from "../types.ts";
import type { LoggedModelAccessFacts } from "./access.ts";
import { STATUS_TO_WIRE, type LinkedMetricView, type LoggedModelView } from "./types.ts";

// Whole logged models (info, tags, params, metrics, registrations) for a list of keys, in one
// query. Pages are small (at most 50 models), so each model comes back as one JSON row.

interface Row {
  pk: string;
  id: string;
  experiment_id: number;
  name: string;
  artifact_location: string;
  creation_timestamp: bigint;
  last_updated_timestamp: bigint;
  status: string;
  status_message: string;
  model_type: string;
  source_run_id: string;
  tags: TagView[] | null;
  params: TagView[] | null;
  metrics: { key: string; value: number | string; timestamp: number; step: number; run_id: string; dataset_name: string; dataset_digest: string }[] | null;
  registrations: { name: string; version: string; owner_id: string | null; grant_level: string | null }[] | null;
}

/** Number() reads the 'NaN' and '±Infinity' strings PostgreSQL's to_json writes for float8. */
const num = (v: number | string) => (typeof v === "number" ? v : Number(v));

function toMetric(m: NonNullable<Row["metrics"]>[number], modelId: string): LinkedMetricView {
  return {
    key: m.key,
    value: num(m.value),
    timestamp: Number(m.timestamp),
    step: Number(m.step),
    ...(m.dataset_name ? { dataset_name: m.dataset_name } : {}),
    ...(m.dataset_digest ? { dataset_digest: m.dataset_digest } : {}),
    model_id: modelId,
    ...(m.run_id ? { run_id: m.run_id } : {}),
  };
}

/** The view's columns and aggregates over `lm` (one row per model). */
function viewColumns(ctx: Ctx): Prisma.Sql {
  return Prisma.sql`lm.pk::text AS pk, lm.id, lm.experiment_id, lm.name, lm.artifact_location, lm.creation_timestamp, lm.last_updated_timestamp,
      lm.status::text AS status, lm.status_message, lm.model_type, lm.source_run_id,
      (SELECT json_agg(json_build_object('key', t.key, 'value', t.value) ORDER BY t.key) FROM logged_model_tag t WHERE t.model_pk = lm.pk) AS tags,
      (SELECT json_agg(json_build_object('key', p.key, 'value', p.value) ORDER BY p.key) FROM logged_model_param p WHERE p.model_pk = lm.pk) AS params,
      (SELECT json_agg(json_build_object('key', x.key, 'value', x.value, 'timestamp', x.timestamp, 'step', x.step, 'run_id', x.run_id,
          'dataset_name', x.dataset_name, 'dataset_digest', x.dataset_digest) ORDER BY x.key, x.timestamp, x.step, x.dataset_name, x.dataset_digest, x.run_id)
        FROM logged_model_metric x WHERE x.model_pk = lm.pk) AS metrics,
      (SELECT json_agg(json_build_object('name', m.name, 'version', v.version::text, 'owner_id', m.owner_id::text, 'grant_level', ${modelGrantSql(ctx.actor)})
          ORDER BY m.name, v.version)
        FROM model_version v JOIN registered_model m ON m.id = v.model_id
        WHERE v.logged_model_id = lm.id AND v.deleted_timestamp IS NULL) AS registrations`;
}

/** Views for `pks`, in the same order (unknown keys are skipped). No permission check on the models themselves. */
export async function loadLoggedModelViews(ctx: Ctx, pks: readonly bigint[]): Promise<LoggedModelView[]> {
  if (pks.length === 0) return [];
  const rows = await ctx.db.$queryRaw<Row[]>`SELECT ${viewColumns(ctx)} FROM logged_model lm WHERE lm.pk = ANY(${bigintArray(pks)})`;
  const byPk = new Map(rows.map((r) => [r.pk, r]));
  const out: LoggedModelView[] = [];
  for (const pk of pks) {
    const r = byPk.get(String(pk));
    if (r) out.push(toView(ctx, r));
  }
  return out;
}

/**
 * One model's view and the facts that decide access to it, in one round trip (GET
 * logged-models/{id}, which the client calls several times per log_model); null when missing.
 */
export async function loadLoggedModelWithAccess(ctx: Ctx, modelId: string): Promise<{ view: LoggedModelView; facts: LoggedModelAccessFacts } | null> {
  const rows = await ctx.db.$queryRaw<(Row & { lifecycle_stage: string; owner_id: string | null; grant_level: string | null })[]>`
    SELECT ${viewColumns(ctx)}, lm.lifecycle_stage::text AS lifecycle_stage, e.owner_id::text AS owner_id, ${grantSql(ctx.actor, "e")} AS grant_level
    FROM logged_model lm JOIN experiment e ON e.id = lm.experiment_id WHERE lm.id = ${modelId}`;
  const r = rows[0];
  if (!r) return null;
  return { view: toView(ctx, r), facts: { experimentId: r.experiment_id, ownerId: r.owner_id, grant: r.grant_level, lifecycleStage: r.lifecycle_stage } };
}

function toView(ctx: Ctx, r: Row): LoggedModelView {
  const registrations = (r.registrations ?? [])
    .filter((x) => modelLevelAtLeast(resolveModelLevel(ctx.actor, { ownerId: x.owner_id, grant: x.grant_level }), "READ"))
    .map((x) => ({ name: x.name, version: x.version }));
  return {
    info: {
      model_id: r.id,
      experiment_id: String(r.experiment_id),
      name: r.name,
      creation_timestamp_ms: Number(r.creation_timestamp),
      last_updated_timestamp_ms: Number(r.last_updated_timestamp),
      artifact_uri: r.artifact_location,
      status: STATUS_TO_WIRE[r.status] ?? "LOGGED_MODEL_PENDING",
      // MLflow's server always writes these two (as "" when unset)
      model_type: r.model_type,
      source_run_id: r.source_run_id,
      ...(r.status_message ? { status_message: r.status_message } : {}),
      ...(r.tags?.length ? { tags: r.tags } : {}),
      ...(registrations.length ? { registrations } : {}),
    },
    data: {
      ...(r.params?.length ? { params: r.params } : {}),
      ...(r.metrics?.length ? { metrics: r.metrics.map((m) => toMetric(m, r.id)) } : {}),
    },
  };
}
