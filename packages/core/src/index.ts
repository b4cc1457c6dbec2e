export * from "./errors.ts";
export * from "./context.ts";
export { toWireJson, WireJson } from "./wire-json.ts";
export { parseInput } from "./validation.ts";
export { can, authorize, isScoped, requireUser, type Permission } from "./auth/permissions.ts";
export { verifyCredentials, recordSignIn, throttleDelaySeconds, configurePasswordSignIn, GENERIC_SIGN_IN_ERROR } from "./auth/sign-in.ts";
export { authenticateToken, authenticateBasic, authenticateSession, type AuthOptions, type BasicCredentials } from "./auth/authenticate.ts";
export { authenticateWorkload, type WorkloadClaims } from "./auth/workload.ts";
export { credentialCache, credentialsChanged, watchCredentials, CREDENTIAL_TTL_MS, type CredentialWatch } from "./auth/credential-cache.ts";
export { recordAudit, type AuditInput } from "./audit/record-audit.ts";
export { auditActions, auditResourceTypes, type AuditAction, type AuditResourceType } from "./audit/events.ts";
export { listAuditEvents, listAuditEventsInput, type AuditEventView, type ListAuditEventsInput } from "./audit/list-audit-events.ts";
export { assertPasswordPolicy, hashPassword, verifyPassword, generatePassword, MIN_PASSWORD_LENGTH } from "./users/password.ts";
export { createUser, listUsers, setUserActive, setUserRole, resetPassword, changeOwnPassword, getMe, createUserInput, endUserSessions } from "./users/manage-users.ts";
export { getUserGrants, setPasswordByName, setAdminByName, deactivateUserByName, type UserGrantsView } from "./users/manage-users.ts";
export { ensureFirstAdmin, type FirstAdminResult } from "./users/ensure-first-admin.ts";
export {
  provisionUser,
  getProvisionedUser,
  listProvisionedUsers,
  updateProvisionedUser,
  deprovisionUser,
  provisionGroup,
  getProvisionedGroup,
  listProvisionedGroups,
  updateProvisionedGroup,
  deprovisionGroup,
  recordScimRefusal,
  IDP_USER_ORIGINS,
  type ProvisionedUser,
  type ProvisionedGroup,
  type ProvisionUserInput,
  type UserFilter,
  type GroupChange,
} from "./users/provisioning.ts";
export { signInWithIdp, type IdpProfile, type IdpPolicy, type IdpSignIn } from "./users/idp-sign-in.ts";
export { checkSharedSecret, secretFingerprint, SharedSecretMismatchError, type SharedSecretCheck } from "./deployment/shared-secret.ts";
export type { UserView } from "./users/user-view.ts";
export { createToken, listTokens, listUserTokens, revokeToken, createTokenInput, type TokenView } from "./tokens/manage-tokens.ts";
export { generateTokenSecret, parseTokenSecret, hashTokenSecret, tokenMatches } from "./tokens/token-secret.ts";
export * from "./tracking/index.ts";
export * from "./registry/index.ts";
export * from "./webhooks/index.ts";
export * from "./groups/index.ts";
export { getExperimentPermission } from "./tracking/experiment-permissions.ts";
export { getModelPermission } from "./registry/model-permissions.ts";
export * from "./approvals/index.ts";
export * from "./serving/index.ts";
export * from "./tracing/index.ts";
