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
  "registered_model.create",
  "registered_model.rename",
  "registered_model.update",
  "registered_model.delete",
  "registered_model.tag_set",
  "registered_model.tag_delete",
  "registered_model.permission_set",
  "model_version.create",
  "model_version.update",
  "model_version.delete",
  "model_version.tag_set",
  "model_version.tag_delete",
  "model_version.transition",
  "registered_model.alias_set",
  "registered_model.alias_delete",
] as const;

export type AuditAction = (typeof auditActions)[number];

export const auditResourceTypes = ["user", "token", "session", "experiment", "run", "registered_model", "model_version"] as const;

export type AuditResourceType = (typeof auditResourceTypes)[number];
