import type { ActivityView, ApprovalStatus, ModelPermissionLevel, PolicyRule, Stage } from "@modelgate/core";

// Client-side helpers of the approval views (types only from @modelgate/core).

export const requestHref = (id: string) => `/approvals/${encodeURIComponent(id)}`;

export const statusColor: Record<ApprovalStatus, string> = {
  OPEN: "blue",
  APPROVED: "green",
  REJECTED: "red",
  CANCELLED: "gray",
  STALE: "orange",
};

/** Levels an approver rule may name, lowest first (mirrors core's MODEL_PERMISSION_LEVELS). */
export const APPROVER_LEVELS: readonly ModelPermissionLevel[] = ["READ", "EDIT", "MANAGE_STAGING_VERSIONS", "MANAGE_PRODUCTION_VERSIONS", "MANAGE"];

/** Stage targets whose move may archive what is already there. */
export const archivesExisting = (stage: Stage | undefined) => stage === "Staging" || stage === "Production";

/** Who may approve under a rule, in words (same wording as core's request view). */
export function approversText(rule: PolicyRule): string {
  const who = [...(rule.approver_level ? [`holders of ${rule.approver_level}`] : []), ...rule.approver_groups.map((g) => `members of group '${g}'`)].join(" or ");
  return `${rule.required_approvals} approval${rule.required_approvals > 1 ? "s" : ""} from ${who || "nobody"}${rule.allow_self_approval ? "" : ", not the requester"}`;
}

const stageMove = (a: ActivityView) => `${a.from_stage ?? "?"} → ${a.to_stage ?? "?"}`;

/** What was asked for in a request activity: a stage move or an alias. */
const asked = (a: ActivityView) => (a.to_alias ? `@${a.to_alias}` : stageMove(a));

/** One activity of a version's feed in words, e.g. "dana requested Staging → Production". */
export function activityText(a: ActivityView, version: string): string {
  const who = a.user_id;
  switch (a.activity_type) {
    case "REQUESTED_TRANSITION":
      return `${who} requested ${asked(a)}`;
    case "APPROVED_REQUEST":
      return `${who} approved${a.to_stage || a.to_alias ? ` ${asked(a)}` : ""}`;
    case "REJECTED_REQUEST":
      return `${who} rejected${a.to_stage || a.to_alias ? ` ${asked(a)}` : ""}`;
    case "CANCELLED_REQUEST":
      return `${who} cancelled the request${a.to_stage || a.to_alias ? ` for ${asked(a)}` : ""}`;
    case "APPLIED_TRANSITION":
      return `${who} moved ${stageMove(a)}`;
    case "SYSTEM_TRANSITION":
      return a.to_stage === "Archived" && a.system_comment?.includes("archive_existing_versions")
        ? `${who} archived (archive_existing_versions)`
        : `${who} moved ${stageMove(a)}`;
    case "ALIAS_MOVED":
      return a.from_version ? `@${a.to_alias} moved v${a.from_version} → v${version}` : `@${a.to_alias} set to v${version}`;
    case "NEW_COMMENT":
      return `${who} commented`;
    case "SERVING_SWITCHED":
      return a.system_comment ?? "serving changed";
  }
}
