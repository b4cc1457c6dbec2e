import { Prisma } from "@modelgate/db";
import type { Ctx } from "../context.ts";
import type { DbOrTx } from "../audit/record-audit.ts";
import { readableExperimentsSql } from "../auth/permissions.ts";

// Assessments as promotion evidence: over the traces produced with a logged model active
// (metadata mlflow.modelId), the valid feedback of one name that has a numeric reading (numbers,
// booleans, yes/no). Each trace counts once, with the mean of its readings.

export interface AssessmentAggregate {
  name: string;
  /** Traces of the model with at least one numeric valid reading of this feedback. */
  traces: number;
  mean: number | null;
  min: number | null;
  max: number | null;
  /** Traces whose reading is ≥ 0.5 (pass for yes/no and true/false feedback). */
  passing: number;
}

/**
 * Only the traces in experiments `viewer` may read (the portal's logged-model card); without one,
 * all of the model's traces (approval gates and the request page: evidence about the version).
 */
const readableBy = (viewer: Pick<Ctx, "actor"> | undefined) =>
  viewer ? Prisma.sql`AND EXISTS (SELECT 1 FROM experiment e WHERE e.id = t.experiment_id AND ${readableExperimentsSql(viewer)})` : Prisma.empty;

/** Per feedback name (all names when none given) over the logged model's traces. */
export async function assessmentAggregates(db: DbOrTx, modelId: string, names?: readonly string[], viewer?: Pick<Ctx, "actor">): Promise<AssessmentAggregate[]> {
  const rows = await db.$queryRaw<{ name: string; traces: number; mean: number | null; min: number | null; max: number | null; passing: number }[]>`
    WITH per_trace AS (
      SELECT a.name, a.trace_id, avg(a.numeric_value) AS v
      FROM trace t JOIN trace_assessment a ON a.trace_id = t.trace_id
      WHERE t.model_id = ${modelId} ${readableBy(viewer)} AND a.kind = 'feedback' AND a.valid AND a.numeric_value IS NOT NULL
        AND (${names ? (names as string[]) : null}::text[] IS NULL OR a.name = ANY(${names ? (names as string[]) : null}::text[]))
      GROUP BY a.name, a.trace_id
    )
    SELECT name, count(*)::int AS traces, avg(v)::float8 AS mean, min(v)::float8 AS min, max(v)::float8 AS max, count(*) FILTER (WHERE v >= 0.5)::int AS passing
    FROM per_trace GROUP BY name ORDER BY name`;
  const byName = new Map(rows.map((r) => [r.name, r]));
  const wanted = names ?? rows.map((r) => r.name);
  return wanted.map((name) => byName.get(name) ?? { name, traces: 0, mean: null, min: null, max: null, passing: 0 });
}

/** How many traces a logged model has, and how many carry any valid assessment. */
export async function modelTraceCounts(db: DbOrTx, modelId: string, viewer?: Pick<Ctx, "actor">): Promise<{ traces: number; assessed: number }> {
  const [r] = await db.$queryRaw<{ traces: number; assessed: number }[]>`
    SELECT count(*)::int AS traces, count(*) FILTER (WHERE EXISTS (SELECT 1 FROM trace_assessment a WHERE a.trace_id = t.trace_id AND a.valid))::int AS assessed
    FROM trace t WHERE t.model_id = ${modelId} ${readableBy(viewer)}`;
  return r ?? { traces: 0, assessed: 0 };
}
