import { Prisma, sqlQuery } from "@modelgate/db";
import type { DbOrTx } from "../audit/record-audit.ts";
import type { ModelVersionStatus, ModelVersionView, RegisteredModelView, RegistryTagView, Stage } from "./types.ts";
import { STAGES } from "./types.ts";

// Wire views of models and versions, each loaded in one round trip for a whole page: search pages,
// latest_versions and single gets all go through here, so every edge prints the same shape.

interface VersionRow {
  pk: bigint;
  model_id: number;
  name: string;
  version: number;
  creation_timestamp: bigint;
  last_updated_timestamp: bigint;
  user_id: string;
  current_stage: Stage;
  description: string;
  source: string;
  run_id: string;
  run_link: string;
  status: ModelVersionStatus;
  status_message: string;
  tags: RegistryTagView[] | null;
  aliases: string[] | null;
  logged_model_id: string | null;
}

export function toVersionView(r: VersionRow): ModelVersionView {
  return {
    name: r.name,
    version: String(r.version),
    creation_timestamp: Number(r.creation_timestamp),
    last_updated_timestamp: Number(r.last_updated_timestamp),
    user_id: r.user_id,
    current_stage: r.current_stage,
    description: r.description,
    source: r.source,
    run_id: r.run_id,
    status: r.status,
    status_message: r.status_message,
    ...(r.tags?.length ? { tags: r.tags } : {}),
    run_link: r.run_link,
    ...(r.aliases?.length ? { aliases: r.aliases } : {}),
    ...(r.logged_model_id ? { model_id: r.logged_model_id } : {}),
  };
}

const versionSelect = Prisma.sql`
  SELECT v.pk, v.model_id, m.name, v.version, v.creation_timestamp, v.last_updated_timestamp, v.user_id,
    v.current_stage::text AS current_stage, v.description, v.source, v.run_id, v.run_link, v.status::text AS status, v.status_message, v.logged_model_id,
    (SELECT json_agg(json_build_object('key', t.key, 'value', t.value) ORDER BY t.key COLLATE "C") FROM model_version_tag t WHERE t.version_pk = v.pk) AS tags,
    (SELECT array_agg(a.alias ORDER BY a.alias COLLATE "C") FROM registered_model_alias a WHERE a.version_pk = v.pk) AS aliases
  FROM model_version v JOIN registered_model m ON m.id = v.model_id`;

/** Views of the given versions, in the order of `pks` (missing ones skipped). */
export async function loadVersionViews(db: DbOrTx, pks: readonly bigint[]): Promise<ModelVersionView[]> {
  if (pks.length === 0) return [];
  const rows = await sqlQuery<VersionRow>(db, Prisma.sql`${versionSelect} WHERE v.pk = ANY(${pks.map(String)}::bigint[])`, { prepare: true });
  const byPk = new Map(rows.map((r) => [r.pk, r]));
  return pks.flatMap((pk) => {
    const r = byPk.get(pk);
    return r ? [toVersionView(r)] : [];
  });
}

/**
 * The highest READY, non-deleted version in each stage of each model (MLflow's latest_versions and
 * get-latest-versions), in stage order None, Staging, Production, Archived.
 */
export async function latestVersionViews(db: DbOrTx, modelIds: readonly number[], stages: readonly Stage[] = STAGES): Promise<Map<number, ModelVersionView[]>> {
  const out = new Map<number, ModelVersionView[]>();
  if (modelIds.length === 0 || stages.length === 0) return out;
  const rows = await sqlQuery<VersionRow>(
    db,
    Prisma.sql`${versionSelect}
    WHERE v.pk IN (
      SELECT DISTINCT ON (x.model_id, x.current_stage) x.pk FROM model_version x
      WHERE x.model_id = ANY(${[...modelIds]}::int[]) AND x.deleted_timestamp IS NULL AND x.status = 'READY'
        AND x.current_stage::text = ANY(${[...stages]}::text[])
      ORDER BY x.model_id, x.current_stage, x.version DESC)
    ORDER BY v.model_id, v.current_stage`,
    { prepare: true },
  );
  for (const r of rows) {
    const list = out.get(r.model_id) ?? [];
    list.push(toVersionView(r));
    out.set(r.model_id, list);
  }
  return out;
}

interface ModelRow {
  id: number;
  name: string;
  description: string;
  creation_timestamp: bigint;
  last_updated_timestamp: bigint;
  tags: RegistryTagView[] | null;
  aliases: { alias: string; version: string }[] | null;
}

/** Views of the given models, in the order of `ids`, with latest_versions, tags and aliases. */
export async function loadModelViews(db: DbOrTx, ids: readonly number[]): Promise<RegisteredModelView[]> {
  if (ids.length === 0) return [];
  const [rows, latest] = await Promise.all([
    sqlQuery<ModelRow>(
      db,
      Prisma.sql`
      SELECT m.id, m.name, m.description, m.creation_timestamp, m.last_updated_timestamp,
        (SELECT json_agg(json_build_object('key', t.key, 'value', t.value) ORDER BY t.key COLLATE "C") FROM registered_model_tag t WHERE t.model_id = m.id) AS tags,
        (SELECT json_agg(json_build_object('alias', a.alias, 'version', v.version::text) ORDER BY a.alias COLLATE "C")
           FROM registered_model_alias a JOIN model_version v ON v.pk = a.version_pk WHERE a.model_id = m.id) AS aliases
      FROM registered_model m WHERE m.id = ANY(${[...ids]}::int[])`,
      { prepare: true },
    ),
    latestVersionViews(db, ids),
  ]);
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.flatMap((id) => {
    const r = byId.get(id);
    if (!r) return [];
    const latestVersions = latest.get(id);
    const view: RegisteredModelView = {
      name: r.name,
      creation_timestamp: Number(r.creation_timestamp),
      last_updated_timestamp: Number(r.last_updated_timestamp),
      description: r.description,
      ...(latestVersions?.length ? { latest_versions: latestVersions } : {}),
      ...(r.tags?.length ? { tags: r.tags } : {}),
      ...(r.aliases?.length ? { aliases: r.aliases } : {}),
    };
    return [view];
  });
}
