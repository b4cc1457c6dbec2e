/**
 * The audit log's vocabulary: a typed union, stored next to typed columns. Adding an action is a
 * schema change of this file; the table keeps every event ever written (append-only trigger).
 */
export type AuditAction =
  | "auth.sign_in"
  | "auth.sign_in_failed"
  | "auth.sign_in_throttled"
  | "user.bootstrap_admin"
  | "user.create"
  | "user.deactivate"
  | "user.reactivate"
  | "user.password_reset"
  | "user.password_change"
  | "user.role_change"
  | "token.create"
  | "token.revoke"
  | "experiment.create"
  | "experiment.rename"
  | "experiment.delete"
  | "experiment.restore"
  | "experiment.permission_set";

export type AuditResourceType = "user" | "token" | "session" | "experiment";

export const auditActions: readonly AuditAction[] = [
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
];
