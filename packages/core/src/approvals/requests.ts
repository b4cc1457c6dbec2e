import { assessmentAggregates, modelTraceCounts, type AssessmentAggregate } from "../tracing/evidence.ts";
import { Prisma, isUniqueViolation } from "@modelgate/db";
import { type Ctx, actorName, actorUserId } from "../context.ts";
import { recordAudit } from "../audit/record-audit.ts";
import { isAdmin } from "../auth/permissions.ts";
import { denied, DomainError, invalid, notFound, alreadyExists } from "../errors.ts";
import { modelLevelAtLeast, transitionLevel, readableModelsSql, resolveModelLevel, modelGrantSql, versionResourceId } from "../registry/access.ts";
import { applyAliasMove } from "../registry/aliases.ts";
import { applyTransition, assertArchiveTarget } from "../registry/stages.ts";
import type { ModelPermissionLevel, Stage } from "../registry/types.ts";
import { canonicalStage, parseVersion, validateAlias } from "../registry/validate.ts";
import { loadVersion } from "../registry/versions.ts";
import type { VersionRef } from "../registry/types.ts";
import { emitRegistryEvent } from "../webhooks/events.ts";
import { stageEvent } from "../webhooks/event-types.ts";
import { closeRequest, closeStale, openKeyOf, type ApprovalStatus } from "./close.ts";
import { recordActivity, recordTransitionActivities, toActivityView, type ActivityType, type ActivityView } from "./activities.ts";
import { evaluateGates, failedGates, type GateResult } from "./gates.ts";
import { effectiveRule, loadPolicies, targetColumns, targetLabel, type PolicyRule, type Target } from "./policy.ts";

// Approval requests: a version into a stage or an alias. Created by anyone who may read the model;
// approved or rejected by the approvers the policy names (never the requester, unless the policy
// says so); cancelled by the requester or a model manager. When the approvals are in, the move is
// applied in the same transaction through the registry's one transition (or alias) function.
// Every write locks the model row first, so approvals, transitions and alias moves on one model
// are serialised: concurrent approvals apply a move once, and a racing transition is seen.

export type RequestAction = "APPROVE_TRANSITION_REQUEST" | "REJECT_TRANSITION_REQUEST" | "CANCEL_TRANSITION_REQUEST";

export interface DecisionView {
  user: string;
  decision: "APPROVE" | "REJECT";
  comment: string;
  at: number;
}

export interface RequestView {
  id: string;
  model_name: string;
  version: string;
  target: string;
  target_kind: "STAGE" | "ALIAS";
  to_stage?: Stage;
  alias?: string;
  archive_existing_versions: boolean;
  requester: string;
  comment: string;
  status: ApprovalStatus;
  created_at: number;
  updated_at: number;
  closed_at?: number;
  closed_reason?: string;
  /** Approvals needed (1 when the target is not protected). */
  required_approvals: number;
  approvals: number;
  decisions: DecisionView[];
  gate_results: GateResult[];
  /** Where the rule came from ("the default approval policy", …), or "not protected". */
  policy: string;
  /** Who may approve, in words. */
  approvers: string;
  /** What the viewer may do now (Databricks' available_actions). */
  available_actions: RequestAction[];
  /** Why the viewer may not approve, when they may not. */
  approve_blocked_reason?: string;
  /** The version's current stage. */
  current_stage: Stage;
  /**
   * GenAI evidence (the request page only): the traces produced with the version's logged model
   * active and the valid feedback on them, per assessment name.
   */
  trace_evidence?: { logged_model_id: string; experiment_id: string; traces: number; assessed: number; aggregates: AssessmentAggregate[] };
}

const targetOf = (r: { targetKind: string; toStage: Stage | null; alias: string | null }): Target =>
  r.targetKind === "STAGE" ? { kind: "stage", stage: r.toStage! } : { kind: "alias", alias: r.alias! };


/** The rule for a target; an unprotected target gets the rule of a direct move (those who could do it may approve). */
function ruleFor(policies: Awaited<ReturnType<typeof loadPolicies>>, target: Target, modelName: string, fromStage: Stage): { rule: PolicyRule; source: string } {
  const e = effectiveRule(policies, target, modelName);
  if (e) return e;
  const level: ModelPermissionLevel = target.kind === "stage" ? transitionLevel(fromStage, target.stage) : "EDIT";
  return {
    rule: {
      target: target.kind === "stage" ? { kind: "stage", stage: target.stage } : { kind: "alias", pattern: target.alias },
      protected: false,
      required_approvals: 1,
      approver_level: level,
      approver_groups: [],
      allow_self_approval: true,
      gates: { require_ready: false, require_signature: false, metric_filter: "", required_tags: [] },
    },
    source: "not protected",
  };
}

function approversText(rule: PolicyRule): string {
  const who = [...(rule.approver_level ? [`holders of ${rule.approver_level}`] : []), ...rule.approver_groups.map((g) => `members of group '${g}'`)].join(" or ");
  return `${rule.required_approvals} approval${rule.required_approvals > 1 ? "s" : ""} from ${who}${rule.allow_self_approval ? "" : ", not the requester"}`;
}

async function groupsOf(ctx: Ctx): Promise<Set<string>> {
  if (ctx.actor.kind !== "user") return new Set();
  const rows = await ctx.db.groupMember.findMany({ where: { userId: ctx.actor.userId }, select: { group: { select: { name: true } } } });
  return new Set(rows.map((r) => r.group.name));
}

const isRequester = (ctx: Ctx, r: { requesterId: string | null }) => ctx.actor.kind === "user" && r.requesterId === ctx.actor.userId;

/** Whether the actor may approve or reject under `rule`; the reason when not. */
function approverCheck(ctx: Ctx, level: ModelPermissionLevel | null, groups: Set<string>, rule: PolicyRule, r: { requesterId: string | null }): string | null {
  if (isRequester(ctx, r) && !rule.allow_self_approval) return "The requester cannot approve or reject their own request (four-eyes rule).";
  if (rule.approver_level && modelLevelAtLeast(level, rule.approver_level)) return null;
  if (rule.approver_groups.some((g) => groups.has(g))) return null;
  return `Permission denied: approving needs ${approversText(rule)}.`;
}

type RequestRow = Prisma.ApprovalRequestGetPayload<{ include: { decisions: true; version: { select: { version: true; currentStage: true } }; model: { select: { name: true } } } }>;
const requestInclude = { decisions: { orderBy: { at: "asc" as const } }, version: { select: { version: true, currentStage: true, loggedModelId: true } }, model: { select: { name: true } } };

async function toRequestView(ctx: Ctx, r: RequestRow, level: ModelPermissionLevel | null, groups: Set<string>, policies: Awaited<ReturnType<typeof loadPolicies>>): Promise<RequestView> {
  const target = targetOf(r);
  const { rule, source } = ruleFor(policies, target, r.model.name, r.version.currentStage);
  const approvals = r.decisions.filter((d) => d.decision === "APPROVE").length;
  const actions: RequestAction[] = [];
  let blocked: string | undefined;
  if (r.status === "OPEN") {
    const already = ctx.actor.kind === "user" && r.decisions.some((d) => d.userId === (ctx.actor as { userId: string }).userId);
    const reason = already ? "You have already decided on this request." : approverCheck(ctx, level, groups, rule, r);
    if (reason === null) actions.push("APPROVE_TRANSITION_REQUEST", "REJECT_TRANSITION_REQUEST");
    else blocked = reason;
    if (isRequester(ctx, r) || modelLevelAtLeast(level, "MANAGE")) actions.push("CANCEL_TRANSITION_REQUEST");
  }
  return {
    id: String(r.id),
    model_name: r.model.name,
    version: String(r.version.version),
    target: targetLabel(target),
    target_kind: r.targetKind,
    ...(r.toStage ? { to_stage: r.toStage } : {}),
    ...(r.alias ? { alias: r.alias } : {}),
    archive_existing_versions: r.archiveExistingVersions,
    requester: r.requesterName,
    comment: r.comment,
    status: r.status,
    created_at: Number(r.createdAt),
    updated_at: Number(r.updatedAt),
    ...(r.closedAt !== null ? { closed_at: Number(r.closedAt) } : {}),
    ...(r.closedReason ? { closed_reason: r.closedReason } : {}),
    required_approvals: rule.required_approvals,
    approvals,
    decisions: r.decisions.map((d) => ({ user: d.userName, decision: d.decision, comment: d.comment, at: Number(d.at) })),
    gate_results: (r.gateResults as GateResult[] | null) ?? [],
    policy: source,
    approvers: approversText(rule),
    available_actions: actions,
    ...(blocked ? { approve_blocked_reason: blocked } : {}),
    current_stage: r.version.currentStage,
  };
}

export interface TargetInput {
  stage?: string | undefined;
  alias?: string | undefined;
}

function parseTarget(t: TargetInput): Target {
  if (t.stage && t.alias) throw invalid("A request targets a stage or an alias, not both");
  if (t.alias !== undefined && t.alias !== "") {
    validateAlias(t.alias);
    return { kind: "alias", alias: t.alias };
  }
  if (!t.stage) throw invalid("Missing value for required parameter 'stage'. See the API docs for more information about request parameters.");
  return { kind: "stage", stage: canonicalStage(t.stage) };
}

async function holds(ctx: Ctx, tx: Prisma.TransactionClient, v: VersionRef, t: Target): Promise<boolean> {
  if (t.kind === "stage") return v.stage === t.stage;
  const a = await tx.registeredModelAlias.findUnique({ where: { modelId_alias: { modelId: v.model.id, alias: t.alias } }, select: { versionPk: true } });
  return a?.versionPk === v.pk;
}

export interface CreateRequestInput extends TargetInput {
  name: string;
  version: string;
  comment?: string | undefined;
  archive_existing_versions?: boolean | undefined;
}

export const MAX_COMMENT_LENGTH = 64 * 1024;

export function validateComment(comment: string | undefined) {
  if (comment === undefined) return;
  if (comment.length > MAX_COMMENT_LENGTH) throw invalid(`Comment is ${comment.length} characters long; the maximum is ${MAX_COMMENT_LENGTH}.`);
  if (comment.includes("\u0000")) throw invalid("Comment must not contain NUL characters");
}

/** Anyone who may read the model may ask; at most one open request per (version, target). */
export async function createApprovalRequest(ctx: Ctx, input: CreateRequestInput): Promise<RequestView> {
  const target = parseTarget(input);
  validateComment(input.comment);
  assertArchiveTarget(target.kind === "stage" ? target.stage : null, input.archive_existing_versions);
  const id = await ctx.db.$transaction(async (tx) => {
    const v = await loadVersion(ctx, input.name, input.version, "READ", tx, true);
    if (await holds(ctx, tx, v, target)) throw invalid(`Version ${v.version} of '${v.model.name}' is already ${target.kind === "stage" ? `in ${target.stage}` : `@${target.alias}`}.`);
    const policies = await loadPolicies(tx, v.model.id);
    const { rule } = ruleFor(policies, target, v.model.name, v.stage);
    const gateResults = await evaluateGates(ctx, tx, v.pk, rule.gates);
    const now = BigInt(Date.now());
    let request;
    try {
      request = await tx.approvalRequest.create({
        data: {
          modelId: v.model.id,
          versionPk: v.pk,
          targetKind: target.kind === "stage" ? "STAGE" : "ALIAS",
          ...targetColumns(target),
          archiveExistingVersions: input.archive_existing_versions ?? false,
          requesterId: actorUserId(ctx.actor),
          requesterName: actorName(ctx.actor),
          comment: input.comment ?? "",
          openKey: openKeyOf(v.pk, target),
          gateResults: gateResults as unknown as Prisma.InputJsonValue,
          createdAt: now,
          updatedAt: now,
        },
        select: { id: true },
      });
    } catch (e) {
      if (isUniqueViolation(e)) {
        throw alreadyExists(`An open request to move version ${v.version} of '${v.model.name}' to ${targetLabel(target)} already exists.`);
      }
      throw e;
    }
    await recordRequestActivity(ctx, tx, v, target, "REQUESTED_TRANSITION", input.comment, request.id);
    await recordAudit(ctx, tx, {
      action: "approval.request_create",
      resourceType: "approval_request",
      resourceId: String(request.id),
      after: { model: v.model.name, version: v.version, target: targetLabel(target), comment: input.comment ?? "", gates: gateResults },
    });
    if (target.kind === "stage") {
      const data = { version: String(v.version), from_stage: v.stage, to_stage: target.stage, text: input.comment ?? "" };
      await emitRegistryEvent(ctx, tx, { event: "TRANSITION_REQUEST_CREATED", modelId: v.model.id, modelName: v.model.name, data });
      const perStage = stageEvent("requested", target.stage);
      if (perStage) await emitRegistryEvent(ctx, tx, { event: perStage, modelId: v.model.id, modelName: v.model.name, data });
    }
    return request.id;
  });
  return getApprovalRequest(ctx, { id: String(id) });
}

const requestNotFound = (what: string) => notFound(`No open transition request ${what}`);

function parseId(id: string): bigint {
  if (!/^\d{1,18}$/.test(id)) throw requestNotFound(`with id ${id}`);
  return BigInt(id);
}

/** A request the actor may see (READ on its model), with everything the request page shows. */
export async function getApprovalRequest(ctx: Ctx, input: { id: string }): Promise<RequestView> {
  const r = await ctx.db.approvalRequest.findUnique({ where: { id: parseId(input.id) }, include: requestInclude });
  if (!r) throw notFound(`Approval request ${input.id} does not exist`);
  const v = await loadVersion(ctx, r.model.name, r.version.version, "READ").catch((e: unknown) => {
    if (e instanceof DomainError && e.code === "RESOURCE_DOES_NOT_EXIST") throw notFound(`Approval request ${input.id} does not exist`);
    throw e;
  });
  const view = await toRequestView(ctx, r, v.model.level, await groupsOf(ctx), await loadPolicies(ctx.db, v.model.id));
  const modelId = r.version.loggedModelId;
  if (modelId) {
    const model = await ctx.db.loggedModel.findUnique({ where: { id: modelId }, select: { experimentId: true } });
    if (model) {
      const [counts, aggregates] = await Promise.all([modelTraceCounts(ctx.db, modelId), assessmentAggregates(ctx.db, modelId)]);
      view.trace_evidence = { logged_model_id: modelId, experiment_id: String(model.experimentId), ...counts, aggregates };
    }
  }
  return view;
}

/** How Databricks' endpoints name a request: model, version and target (and optionally whose). */
export interface RequestRef extends TargetInput {
  id?: string | undefined;
  name?: string | undefined;
  version?: string | undefined;
  creator?: string | undefined;
}

/** Locks the model, then finds the open request (by id, or by version and target). */
async function lockOpenRequest(ctx: Ctx, tx: Prisma.TransactionClient, ref: RequestRef): Promise<{ v: VersionRef; r: RequestRow }> {
  let name = ref.name;
  let version = ref.version;
  if (ref.id !== undefined) {
    const found = await tx.approvalRequest.findUnique({ where: { id: parseId(ref.id) }, select: { model: { select: { name: true } }, version: { select: { version: true } } } });
    if (!found) throw notFound(`Approval request ${ref.id} does not exist`);
    name = found.model.name;
    version = String(found.version.version);
  }
  if (!name || version === undefined) throw invalid("A request is named by its id, or by name, version and stage");
  const v = await loadVersion(ctx, name, version, "READ", tx, true);
  let r: RequestRow | null;
  if (ref.id !== undefined) {
    r = await tx.approvalRequest.findUnique({ where: { id: parseId(ref.id) }, include: requestInclude });
  } else {
    const target = parseTarget(ref);
    r = await tx.approvalRequest.findUnique({ where: { openKey: openKeyOf(v.pk, target) }, include: requestInclude });
    if (!r) throw requestNotFound(`to move version ${v.version} of '${v.model.name}' to ${targetLabel(target)}`);
  }
  if (!r) throw notFound(`Approval request ${ref.id} does not exist`);
  if (ref.creator && r.requesterName !== ref.creator) throw requestNotFound(`by '${ref.creator}' for version ${v.version} of '${v.model.name}'`);
  if (r.status !== "OPEN") throw new DomainError("INVALID_STATE", `Request ${r.id} is ${r.status.toLowerCase()}, not open: it can no longer be approved, rejected or cancelled.`);
  return { v, r };
}

export interface DecideInput extends RequestRef {
  comment?: string | undefined;
  /** For stage requests: overrides the request's own flag (Databricks' approve requires it). */
  archive_existing_versions?: boolean | undefined;
}

export interface DecisionResult {
  activity: ActivityView;
  request: RequestView;
  /** True when this approval completed the request and the move was applied. */
  applied: boolean;
}

export async function approveRequest(ctx: Ctx, input: DecideInput): Promise<DecisionResult> {
  return decide(ctx, input, "APPROVE");
}

export async function rejectRequest(ctx: Ctx, input: DecideInput): Promise<DecisionResult> {
  return decide(ctx, input, "REJECT");
}

async function decide(ctx: Ctx, input: DecideInput, decision: "APPROVE" | "REJECT"): Promise<DecisionResult> {
  validateComment(input.comment);
  if (ctx.actor.kind !== "user") throw denied("Only a user can approve or reject a request");
  const actor = ctx.actor;
  const groups = await groupsOf(ctx);
  const { activityId, requestId, applied, refused } = await ctx.db.$transaction(async (tx): Promise<{ activityId: bigint | null; requestId: bigint; applied: boolean; refused?: string }> => {
    const { v, r } = await lockOpenRequest(ctx, tx, input);
    const target = targetOf(r);
    // the target already holds the version (moved meanwhile): nothing left to decide
    if (await holds(ctx, tx, v, target)) {
      await closeStale(ctx, tx, r, `version ${v.version} is already ${targetLabel(target)}`);
      return { activityId: null, requestId: r.id, applied: false };
    }
    const policies = await loadPolicies(tx, v.model.id);
    const { rule, source } = ruleFor(policies, target, v.model.name, v.stage);
    const refusal = approverCheck(ctx, v.model.level, groups, rule, r);
    if (refusal) throw denied(refusal);
    if (r.decisions.some((d) => d.userId === actor.userId)) throw new DomainError("INVALID_STATE", `You have already decided on request ${r.id}.`);
    const now = BigInt(Date.now());
    let gateResults: GateResult[] = [];
    if (decision === "APPROVE") {
      gateResults = await evaluateGates(ctx, tx, v.pk, rule.gates);
      await tx.approvalRequest.update({ where: { id: r.id }, data: { gateResults: gateResults as unknown as Prisma.InputJsonValue, updatedAt: now } });
      const failed = failedGates(gateResults);
      // refused after commit, so the request keeps the gate results that refused it
      if (failed.length) return { activityId: null, requestId: r.id, applied: false, refused: `Cannot approve: ${failed.map((g) => `${g.gate} (${g.reason})`).join("; ")}. Required by ${source}.` };
    }
    await tx.approvalDecision.create({ data: { requestId: r.id, userId: actor.userId, userName: actor.username, decision, comment: input.comment ?? "", at: now } });
    const activityId = await recordRequestActivity(ctx, tx, v, target, decision === "APPROVE" ? "APPROVED_REQUEST" : "REJECTED_REQUEST", input.comment, r.id);
    await recordAudit(ctx, tx, {
      action: decision === "APPROVE" ? "approval.approve" : "approval.reject",
      resourceType: "approval_request",
      resourceId: String(r.id),
      after: { model: v.model.name, version: v.version, target: targetLabel(target), comment: input.comment ?? "", gates: gateResults },
    });
    if (decision === "REJECT") {
      await closeRequest(tx, r, "REJECTED", `rejected by ${actor.username}`);
      return { activityId, requestId: r.id, applied: false };
    }
    const approvals = r.decisions.filter((d) => d.decision === "APPROVE").length + 1;
    if (approvals < rule.required_approvals) return { activityId, requestId: r.id, applied: false };
    await applyRequest(ctx, tx, v, r, target, input.archive_existing_versions ?? r.archiveExistingVersions, input.comment);
    return { activityId, requestId: r.id, applied: true };
  });
  if (refused) throw new DomainError("INVALID_STATE", refused);
  const request = await getApprovalRequest(ctx, { id: String(requestId) });
  if (activityId === null) throw new DomainError("INVALID_STATE", `Request ${requestId} was closed: ${request.closed_reason ?? "stale"}.`);
  const activity = await ctx.db.activity.findUniqueOrThrow({ where: { id: activityId } });
  return { activity: toActivityView(activity), request, applied };
}

/** A request's own event (created, approved, rejected, cancelled) on the version's activity feed. */
function recordRequestActivity(ctx: Ctx, tx: Prisma.TransactionClient, v: VersionRef, target: Target, type: ActivityType, comment: string | undefined, requestId: bigint) {
  return recordActivity(ctx, tx, { versionPk: v.pk, modelId: v.model.id, type, fromStage: v.stage, ...targetColumns(target), comment: comment ?? null, requestId });
}

/** Applies an approved request's move (same transaction) and closes it. */
async function applyRequest(ctx: Ctx, tx: Prisma.TransactionClient, v: VersionRef, r: RequestRow, target: Target, archive: boolean, comment: string | undefined) {
  const reason = `approved request ${r.id}`;
  if (target.kind === "stage") {
    const result = await applyTransition(ctx, tx, v, target.stage, { archiveExistingVersions: archive, reason });
    await recordTransitionActivities(ctx, tx, v, result, { comment, systemComment: `Applied after the approvals required by request ${r.id}`, requestId: r.id });
  } else {
    const { from } = await applyAliasMove(ctx, tx, v, target.alias, reason);
    await recordActivity(ctx, tx, { versionPk: v.pk, modelId: v.model.id, type: "ALIAS_MOVED", alias: target.alias, fromVersion: from, comment: comment ?? null, systemComment: `Applied after the approvals required by request ${r.id}`, requestId: r.id });
  }
  await closeRequest(tx, r, "APPROVED", reason);
}

/** The requester or a model manager may cancel (Databricks' transition-requests/delete). */
export async function cancelRequest(ctx: Ctx, input: DecideInput): Promise<DecisionResult> {
  validateComment(input.comment);
  const { activityId, requestId } = await ctx.db.$transaction(async (tx) => {
    const { v, r } = await lockOpenRequest(ctx, tx, input);
    if (!isRequester(ctx, r) && !modelLevelAtLeast(v.model.level, "MANAGE")) throw denied("Permission denied: only the requester or a model manager may cancel a request");
    const target = targetOf(r);
    await closeRequest(tx, r, "CANCELLED", `cancelled by ${actorName(ctx.actor)}`);
    const activityId = await recordRequestActivity(ctx, tx, v, target, "CANCELLED_REQUEST", input.comment, r.id);
    await recordAudit(ctx, tx, { action: "approval.cancel", resourceType: "approval_request", resourceId: String(r.id), after: { comment: input.comment ?? "" } });
    return { activityId, requestId: r.id };
  });
  const activity = await ctx.db.activity.findUniqueOrThrow({ where: { id: activityId } });
  return { activity: toActivityView(activity), request: await getApprovalRequest(ctx, { id: String(requestId) }), applied: false };
}

/**
 * Called by every direct move (stage or alias) and alias removal: refuses a protected target for
 * everyone but admins, whose override is audited. Closing the requests a move made stale is the
 * caller's next step (closeRequestsHeldBy), after the move.
 */
export async function guardDirectMove(ctx: Ctx, tx: Prisma.TransactionClient, v: VersionRef, target: Target): Promise<{ override: string | null }> {
  const policies = await loadPolicies(tx, v.model.id);
  const e = effectiveRule(policies, target, v.model.name);
  let override: string | null = null;
  if (e) {
    if (!isAdmin(ctx.actor)) {
      throw denied(`Permission denied: ${targetLabel(target)} is protected by ${e.source} (${approversText(e.rule)}); create a transition request instead.`);
    }
    override = `admin override of ${e.source}`;
    await recordAudit(ctx, tx, { action: "approval.override", resourceType: "model_version", resourceId: versionResourceId(v), after: { model: v.model.name, version: v.version, target: targetLabel(target), policy: e.source } });
  }
  return { override };
}

export type RequestListKind = "actionable" | "mine" | "recent" | "version" | "open";

export interface ListRequestsInput {
  kind: RequestListKind;
  name?: string | undefined;
  version?: string | undefined;
  limit?: number | undefined;
  /** Only open requests (the Databricks lists of a version's pending requests). */
  openOnly?: boolean | undefined;
}

/**
 * Requests for the inbox: `actionable` (open, and the viewer may approve), `mine` (the viewer's,
 * any status), `recent` (decided in the last 30 days), `open` (all open the viewer may see),
 * `version` (every request of one version). Only models the viewer may read.
 */
export async function listApprovalRequests(ctx: Ctx, input: ListRequestsInput): Promise<RequestView[]> {
  const limit = Math.min(Math.max(input.limit ?? 200, 1), 500);
  const where: Prisma.Sql[] = [readableModelsSql(ctx)];
  if (input.kind === "actionable" || input.kind === "open" || input.openOnly) where.push(Prisma.sql`r.status = 'OPEN'`);
  if (input.kind === "mine") where.push(ctx.actor.kind === "user" ? Prisma.sql`r.requester_id = ${ctx.actor.userId}::uuid` : Prisma.sql`FALSE`);
  if (input.kind === "recent") where.push(Prisma.sql`r.status <> 'OPEN' AND r.closed_at >= ${BigInt(Date.now() - 30 * 86_400_000)}`);
  if (input.kind === "version") {
    if (!input.name || input.version === undefined) throw invalid("name and version are required");
    const v = await loadVersion(ctx, input.name, input.version, "READ");
    where.push(Prisma.sql`r.version_pk = ${v.pk}`);
  } else if (input.name) {
    where.push(Prisma.sql`m.name = ${input.name}`);
    if (input.version !== undefined) where.push(Prisma.sql`v.version = ${parseVersion(input.version)}`);
  }
  const rows = await ctx.db.$queryRaw<{ id: bigint; model_id: number; owner_id: string | null; grant_level: string | null }[]>`
    SELECT r.id, r.model_id, m.owner_id::text AS owner_id, ${modelGrantSql(ctx.actor)} AS grant_level
    FROM approval_request r JOIN registered_model m ON m.id = r.model_id JOIN model_version v ON v.pk = r.version_pk
    WHERE ${Prisma.join(where, " AND ")} ORDER BY COALESCE(r.closed_at, r.created_at) DESC, r.id DESC LIMIT ${limit}`;
  if (rows.length === 0) return [];
  const full = await ctx.db.approvalRequest.findMany({ where: { id: { in: rows.map((r) => r.id) } }, include: requestInclude });
  const byId = new Map(full.map((r) => [r.id, r]));
  const groups = await groupsOf(ctx);
  const policyCache = new Map<number, Awaited<ReturnType<typeof loadPolicies>>>();
  const out: RequestView[] = [];
  for (const row of rows) {
    const r = byId.get(row.id);
    if (!r) continue;
    let policies = policyCache.get(row.model_id);
    if (!policies) policyCache.set(row.model_id, (policies = await loadPolicies(ctx.db, row.model_id)));
    const level = resolveModelLevel(ctx.actor, { ownerId: row.owner_id, grant: row.grant_level });
    const view = await toRequestView(ctx, r, level, groups, policies);
    if (input.kind === "actionable" && !view.available_actions.includes("APPROVE_TRANSITION_REQUEST")) continue;
    out.push(view);
  }
  return out;
}

/** Counts for the navigation badge: requests the viewer can act on, and their own open ones. */
export async function approvalCounts(ctx: Ctx): Promise<{ actionable: number; mine_open: number }> {
  const [actionable, mine] = await Promise.all([listApprovalRequests(ctx, { kind: "actionable", limit: 500 }), ctx.actor.kind === "user" ? ctx.db.approvalRequest.count({ where: { requesterId: ctx.actor.userId, status: "OPEN" } }) : 0]);
  return { actionable: actionable.length, mine_open: mine };
}
