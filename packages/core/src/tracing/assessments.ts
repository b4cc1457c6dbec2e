import crypto from "node:crypto";
import { Prisma } from "@modelgate/db";
import { actorUserId, type Ctx } from "../context.ts";
import type { DbOrTx } from "../audit/record-audit.ts";
import { recordAudit } from "../audit/record-audit.ts";
import { invalid, notFound } from "../errors.ts";
import { findTrace } from "./access.ts";
import { noNul, noNulInJson } from "./limits.ts";
import { ASSESSMENT_COLUMNS, assessmentView, type AssessmentRow, type AssessmentView } from "./views.ts";

// Feedback and expectations on a trace or one of its spans (assessments.proto), as
// mlflow.log_feedback / log_expectation / override_feedback send them. Writing needs EDIT on the
// trace's experiment; every change is audited, because approvals count these as evidence.

export const SOURCE_TYPES = ["HUMAN", "LLM_JUDGE", "CODE"] as const;

export interface AssessmentInput {
  assessment_name: string;
  span_id?: string | undefined;
  source: { source_type: string; source_id: string };
  feedback?: { value?: unknown; error?: unknown } | undefined;
  expectation?: { value?: unknown; serialized_value?: { serialization_format?: string; value?: string } } | undefined;
  rationale?: string | undefined;
  metadata?: Record<string, string> | undefined;
  overrides?: string | undefined;
  valid?: boolean | undefined;
}

/** The number an approval gate averages: numbers as they are, booleans and yes/no as 1 and 0. */
export function numericOf(value: unknown): number | null {
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "string") {
    const v = value.trim().toLowerCase();
    if (v === "yes" || v === "true" || v === "pass") return 1;
    if (v === "no" || v === "false" || v === "fail") return 0;
  }
  return null;
}

const newAssessmentId = () => `a-${crypto.randomUUID().replace(/-/g, "")}`;

function checkInput(a: AssessmentInput) {
  if (!a.assessment_name) throw invalid("Missing value for required parameter 'assessment.assessment_name'.");
  noNul("Assessment name", a.assessment_name);
  noNul("Assessment source id", a.source?.source_id);
  noNul("Assessment rationale", a.rationale);
  noNul("Assessment overrides", a.overrides);
  noNulInJson("Assessment value", a.feedback ? [a.feedback.value, a.feedback.error] : [a.expectation?.value, a.expectation?.serialized_value]);
  noNulInJson("Assessment metadata", a.metadata);
  if (a.assessment_name.length > 250) throw invalid("Assessment name exceeds the limit of 250 characters");
  if (!a.source?.source_type || !a.source.source_id) throw invalid("An assessment must have a source with source_type and source_id");
  if (!(SOURCE_TYPES as readonly string[]).includes(a.source.source_type)) {
    throw invalid(`Invalid assessment source type: ${a.source.source_type}. Valid source types: ${SOURCE_TYPES.join(", ")}`);
  }
  if (Boolean(a.feedback) === Boolean(a.expectation)) throw invalid("Exactly one of feedback or expectation must be specified");
  if (a.feedback && a.feedback.value === undefined && !a.feedback.error) throw invalid("Feedback must have either a value or an error");
  if (a.expectation && a.expectation.value === undefined && !a.expectation.serialized_value) throw invalid("Expectation must have a value");
  if (a.span_id !== undefined && a.span_id !== "" && !/^[0-9a-f]{16}$/.test(a.span_id)) throw invalid(`Invalid span_id '${a.span_id}'`);
}

/** Inserts assessments on a trace inside `tx` (also StartTraceV3's, which may carry some). */
export async function insertAssessments(ctx: Ctx, tx: DbOrTx, traceId: string, list: readonly AssessmentInput[]): Promise<AssessmentRow[]> {
  const out: AssessmentRow[] = [];
  for (const a of list) {
    checkInput(a);
    if (a.overrides) {
      const n = await tx.$executeRaw`UPDATE trace_assessment SET valid = false, last_update_time = ${Date.now()} WHERE assessment_id = ${a.overrides} AND trace_id = ${traceId}`;
      if (!n) throw notFound(`Assessment with ID '${a.overrides}' not found for trace '${traceId}'`);
    }
    const kind = a.feedback ? "feedback" : "expectation";
    const value = a.feedback ? a.feedback.value : a.expectation?.value;
    const now = Date.now();
    const json = (v: unknown) => (v === undefined || v === null ? null : JSON.stringify(v));
    const [row] = await tx.$queryRaw<AssessmentRow[]>`
      INSERT INTO trace_assessment (assessment_id, trace_id, span_id, name, kind, value, numeric_value, serialized_value, error, source_type, source_id,
                                    rationale, metadata, overrides, valid, created_by, create_time, last_update_time)
      VALUES (${newAssessmentId()}, ${traceId}, ${a.span_id || null}, ${a.assessment_name}, ${kind}, ${json(value)}::jsonb, ${numericOf(value)},
              ${json(a.expectation?.serialized_value)}::jsonb, ${json(a.feedback?.error)}::jsonb, ${a.source.source_type}, ${a.source.source_id},
              ${a.rationale || null}, ${json(a.metadata && Object.keys(a.metadata).length ? a.metadata : null)}::jsonb, ${a.overrides || null},
              ${a.valid ?? true}, ${actorUserId(ctx.actor)}::uuid, ${now}, ${now})
      RETURNING ${Prisma.raw(ASSESSMENT_COLUMNS.sql.replace(/\ba\./g, ""))}`;
    out.push(row!);
    await recordAudit(ctx, tx, { action: "assessment.create", resourceType: "assessment", resourceId: row!.assessment_id, after: { trace_id: traceId, name: a.assessment_name, kind, value: value ?? null, source: a.source } });
  }
  return out;
}

export async function createAssessment(ctx: Ctx, traceId: string, input: AssessmentInput): Promise<AssessmentView> {
  checkInput(input);
  const t = await findTrace(ctx, traceId, "EDIT");
  const [row] = await ctx.db.$transaction((tx) => insertAssessments(ctx, tx, t.traceId, [input]));
  return assessmentView(row!);
}

async function loadAssessment(db: DbOrTx, traceId: string, assessmentId: string): Promise<AssessmentRow> {
  const [row] = await db.$queryRaw<AssessmentRow[]>`SELECT ${ASSESSMENT_COLUMNS} FROM trace_assessment a WHERE a.assessment_id = ${assessmentId} AND a.trace_id = ${traceId}`;
  if (!row) throw notFound(`Assessment with ID '${assessmentId}' not found for trace '${traceId}'`);
  return row;
}

export async function getAssessment(ctx: Ctx, traceId: string, assessmentId: string): Promise<AssessmentView> {
  const t = await findTrace(ctx, traceId, "READ");
  return assessmentView(await loadAssessment(ctx.db, t.traceId, assessmentId));
}

export type AssessmentField = "assessment_name" | "feedback" | "expectation" | "rationale" | "metadata" | "valid";
const FIELDS: readonly AssessmentField[] = ["assessment_name", "feedback", "expectation", "rationale", "metadata", "valid"];

/** UpdateAssessment: the fields named in update_mask take the given values (EDIT). */
export async function updateAssessment(
  ctx: Ctx,
  input: { trace_id: string; assessment_id: string; assessment: Partial<AssessmentInput>; paths: readonly string[] },
): Promise<AssessmentView> {
  for (const p of input.paths) if (!(FIELDS as readonly string[]).includes(p)) throw invalid(`Invalid update_mask path '${p}'. Valid paths are ${FIELDS.join(", ")}`);
  if (!input.paths.length) throw invalid("update_mask must name at least one field");
  noNul("Assessment name", input.assessment.assessment_name);
  noNul("Assessment rationale", input.assessment.rationale);
  noNulInJson("Assessment value", [input.assessment.feedback?.value, input.assessment.feedback?.error, input.assessment.expectation?.value]);
  noNulInJson("Assessment metadata", input.assessment.metadata);
  const t = await findTrace(ctx, input.trace_id, "EDIT");
  const a = input.assessment;
  const row = await ctx.db.$transaction(async (tx) => {
    const before = await loadAssessment(tx, t.traceId, input.assessment_id);
    const set: Prisma.Sql[] = [Prisma.sql`last_update_time = ${Date.now()}`];
    for (const p of input.paths) {
      if (p === "assessment_name") {
        if (!a.assessment_name) throw invalid("assessment_name must not be empty");
        set.push(Prisma.sql`name = ${a.assessment_name}`);
      } else if (p === "feedback" || p === "expectation") {
        if (before.kind !== p) throw invalid(`Cannot update the value of a ${before.kind} assessment with a ${p}`);
        const v = p === "feedback" ? a.feedback?.value : a.expectation?.value;
        set.push(Prisma.sql`value = ${v === undefined ? null : JSON.stringify(v)}::jsonb, numeric_value = ${numericOf(v)}`);
        if (p === "feedback") set.push(Prisma.sql`error = ${a.feedback?.error ? JSON.stringify(a.feedback.error) : null}::jsonb`);
      } else if (p === "rationale") set.push(Prisma.sql`rationale = ${a.rationale || null}`);
      else if (p === "metadata") set.push(Prisma.sql`metadata = ${a.metadata && Object.keys(a.metadata).length ? JSON.stringify(a.metadata) : null}::jsonb`);
      else if (p === "valid") set.push(Prisma.sql`valid = ${a.valid ?? true}`);
    }
    await tx.$executeRaw`UPDATE trace_assessment SET ${Prisma.join(set, ", ")} WHERE assessment_id = ${input.assessment_id}`;
    const after = await loadAssessment(tx, t.traceId, input.assessment_id);
    await recordAudit(ctx, tx, { action: "assessment.update", resourceType: "assessment", resourceId: input.assessment_id, before: { name: before.name, value: before.value, rationale: before.rationale, valid: before.valid }, after: { name: after.name, value: after.value, rationale: after.rationale, valid: after.valid } });
    return after;
  });
  return assessmentView(row);
}

/** Deletes an assessment (EDIT); the one it overrode becomes valid again. */
export async function deleteAssessment(ctx: Ctx, traceId: string, assessmentId: string): Promise<void> {
  const t = await findTrace(ctx, traceId, "EDIT");
  await ctx.db.$transaction(async (tx) => {
    const before = await loadAssessment(tx, t.traceId, assessmentId);
    await tx.$executeRaw`DELETE FROM trace_assessment WHERE assessment_id = ${assessmentId}`;
    if (before.overrides) await tx.$executeRaw`UPDATE trace_assessment SET valid = true WHERE assessment_id = ${before.overrides} AND trace_id = ${t.traceId}`;
    await recordAudit(ctx, tx, { action: "assessment.delete", resourceType: "assessment", resourceId: assessmentId, before: { trace_id: t.traceId, name: before.name, kind: before.kind, value: before.value } });
  });
}
