// The approval workflow: policies, requests and decisions, direct moves under policy, comments
// and the activity feed.
export { DEFAULT_POLICY, getPolicy, setPolicy, effectiveRule, policyRuleSchema, type PolicyRule, type PolicyInput, type PolicyView, type Target, type Gates } from "./policy.ts";
export type { GateResult } from "./gates.ts";
export { listActivities, type ActivityType, type ActivityView } from "./activities.ts";
export {
  createApprovalRequest,
  getApprovalRequest,
  approveRequest,
  rejectRequest,
  cancelRequest,
  listApprovalRequests,
  approvalCounts,
  MAX_COMMENT_LENGTH,
  type RequestView,
  type DecisionResult,
  type RequestAction,
  type ListRequestsInput,
  type RequestListKind,
  type CreateRequestInput,
  type DecideInput,
} from "./requests.ts";
export type { ApprovalStatus } from "./close.ts";
export { transitionModelVersionStage, setRegisteredModelAlias, deleteRegisteredModelAlias, type TransitionInput } from "./direct.ts";
export { createComment, updateComment, deleteComment, listComments, type CommentView } from "./comments.ts";
