/**
 * The audit log's vocabulary: a typed list, stored next to typed columns. Adding an action is a
 * change of this file; the table keeps every event ever written (append-only trigger).
 */
export const auditActions = [
  "auth.sign_in",
  "auth.sign_in_failed",
  "auth.sign_in_throttled",
  "user.bootstrap_admin",
  "user.create",
  "user.deactivate",
  "user.reactivate",
  "user.password_reset",
  "user.password_change",
  "user.role_change",
  "token.create",
  "token.revoke",
  "experiment.create",
  "experiment.rename",
  "experiment.delete",
  "experiment.restore",
  "experiment.permission_set",
  "run.delete",
  "run.restore",
] as const;

export type AuditAction = (typeof auditActions)[number];

export const auditResourceTypes = ["user", "token", "session", "experiment", "run"] as const;

export type AuditResourceType = (typeof auditResourceTypes)[number];
