import { z } from "zod";
import {
  approvalCounts,
  approveRequest,
  cancelRequest,
  createApprovalRequest,
  createComment,
  deleteComment,
  getApprovalRequest,
  getPolicy,
  listActivities,
  listApprovalRequests,
  listComments,
  policyRuleSchema,
  rejectRequest,
  setPolicy,
  updateComment,
} from "@modelgate/core";
import { procedure, router } from "../init.ts";

// The portal's approval workflow: inbox, requests and decisions, comments and activity, policies.
// Each procedure is parse → one core call; core decides who may do what.

const version = z.object({ name: z.string(), version: z.string() });
const target = { stage: z.string().optional(), alias: z.string().optional() };
const decision = z.object({ id: z.string(), comment: z.string().optional(), archive_existing_versions: z.boolean().optional() });

const requests = router({
  list: procedure
    .input(z.object({ kind: z.enum(["actionable", "mine", "recent", "version", "open"]), name: z.string().optional(), version: z.string().optional(), limit: z.number().int().optional() }))
    .query(({ ctx, input }) => listApprovalRequests(ctx.core, input)),
  /** For the navigation badge. */
  counts: procedure.query(({ ctx }) => approvalCounts(ctx.core)),
  get: procedure.input(z.object({ id: z.string() })).query(({ ctx, input }) => getApprovalRequest(ctx.core, input)),
  create: procedure
    .input(version.extend({ ...target, comment: z.string().optional(), archive_existing_versions: z.boolean().optional() }))
    .mutation(({ ctx, input }) => createApprovalRequest(ctx.core, input)),
  approve: procedure.input(decision).mutation(({ ctx, input }) => approveRequest(ctx.core, input)),
  reject: procedure.input(decision).mutation(({ ctx, input }) => rejectRequest(ctx.core, input)),
  cancel: procedure.input(decision).mutation(({ ctx, input }) => cancelRequest(ctx.core, input)),
});

const comments = router({
  list: procedure.input(version).query(({ ctx, input }) => listComments(ctx.core, input)),
  create: procedure.input(version.extend({ comment: z.string() })).mutation(({ ctx, input }) => createComment(ctx.core, input)),
  update: procedure.input(z.object({ id: z.string(), comment: z.string() })).mutation(({ ctx, input }) => updateComment(ctx.core, input)),
  delete: procedure.input(z.object({ id: z.string() })).mutation(({ ctx, input }) => deleteComment(ctx.core, input)),
});

const policies = router({
  /** The registry policy (no name) or a model's override, with what each target resolves to. */
  get: procedure.input(z.object({ name: z.string().optional() })).query(({ ctx, input }) => getPolicy(ctx.core, input)),
  /** Rules are validated again by core (one place, the same messages). */
  set: procedure
    .input(z.object({ name: z.string().optional(), rules: z.array(policyRuleSchema.partial({ protected: true, required_approvals: true, approver_level: true, approver_groups: true, allow_self_approval: true, gates: true })).nullable() }))
    .mutation(({ ctx, input }) => setPolicy(ctx.core, input)),
});

/** The approval workflow's procedures. */
export const approvalsRouter = router({
  requests,
  comments,
  policies,
  /** A version's activity feed, oldest first. */
  activities: procedure.input(version).query(({ ctx, input }) => listActivities(ctx.core, input)),
});
