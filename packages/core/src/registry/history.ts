import type { Ctx } from "../context.ts";
import { loadModel } from "./models.ts";
import type { Stage } from "./types.ts";
import { parseVersion } from "./validate.ts";

// The registry's memory: every stage change and alias move, per model and per version, and the
// state of the registry at any past instant ("which version was in Production on 1 March?").

export interface StageEventView {
  version: number;
  from_stage: Stage | null;
  to_stage: Stage;
  at: number;
  actor: string;
  system: boolean;
  reason: string | null;
}

export interface AliasEventView {
  alias: string;
  from_version: number | null;
  to_version: number | null;
  at: number;
  actor: string;
  reason: string | null;
}

export interface ModelHistory {
  stages: StageEventView[];
  aliases: AliasEventView[];
}

/** The model's (or one version's) stage and alias history, newest first. */
export async function getModelHistory(ctx: Ctx, input: { name: string; version?: string | undefined }): Promise<ModelHistory> {
  const m = await loadModel(ctx, input.name, "READ");
  const version = input.version === undefined ? undefined : parseVersion(input.version);
  const [stages, aliases] = await Promise.all([
    ctx.db.stageTransition.findMany({
      where: { modelId: m.id, ...(version !== undefined ? { version: { version } } : {}) },
      orderBy: [{ at: "desc" }, { id: "desc" }],
      select: { fromStage: true, toStage: true, at: true, actorName: true, system: true, reason: true, version: { select: { version: true } } },
    }),
    ctx.db.aliasEvent.findMany({
      where: { modelId: m.id, ...(version !== undefined ? { OR: [{ fromVersion: version }, { toVersion: version }] } : {}) },
      orderBy: [{ at: "desc" }, { id: "desc" }],
    }),
  ]);
  return {
    stages: stages.map((s) => ({ version: s.version.version, from_stage: s.fromStage, to_stage: s.toStage, at: Number(s.at), actor: s.actorName, system: s.system, reason: s.reason })),
    aliases: aliases.map((a) => ({ alias: a.alias, from_version: a.fromVersion, to_version: a.toVersion, at: Number(a.at), actor: a.actorName, reason: a.reason })),
  };
}

export interface RegistryStateAt {
  at: number;
  /** Versions per stage at that instant (versions created later, or deleted before, are absent). */
  stages: Record<Stage, number[]>;
  aliases: { alias: string; version: number }[];
}

/** The stages and aliases of a model as they were at `at` (epoch ms), from the history tables. */
export async function getModelStateAt(ctx: Ctx, input: { name: string; at: number }): Promise<RegistryStateAt> {
  const m = await loadModel(ctx, input.name, "READ");
  const at = BigInt(Math.floor(input.at));
  const [stageRows, aliasRows] = await Promise.all([
    ctx.db.$queryRaw<{ version: number; to_stage: Stage }[]>`
      SELECT DISTINCT ON (s.version_pk) v.version, s.to_stage::text AS to_stage
      FROM stage_transition s JOIN model_version v ON v.pk = s.version_pk
      WHERE s.model_id = ${m.id} AND s.at <= ${at} AND (v.deleted_timestamp IS NULL OR v.deleted_timestamp > ${at})
      ORDER BY s.version_pk, s.at DESC, s.id DESC`,
    ctx.db.$queryRaw<{ alias: string; to_version: number | null }[]>`
      SELECT DISTINCT ON (alias) alias, to_version FROM alias_event
      WHERE model_id = ${m.id} AND at <= ${at} ORDER BY alias, at DESC, id DESC`,
  ]);
  const stages: Record<Stage, number[]> = { None: [], Staging: [], Production: [], Archived: [] };
  for (const r of stageRows.sort((a, b) => a.version - b.version)) stages[r.to_stage].push(r.version);
  const aliases = aliasRows.flatMap((r) => (r.to_version === null ? [] : [{ alias: r.alias, version: r.to_version }]));
  return { at: input.at, stages, aliases };
}
