import type { User } from "@modelgate/db";

/** What the portal and the API may see of a user: never the password hash. */
export interface UserView {
  id: string;
  username: string;
  email: string | null;
  displayName: string | null;
  role: "ADMIN" | "USER";
  active: boolean;
  createdAt: Date;
  lastSignInAt: Date | null;
  /** "local", "scim" (provisioned by the identity provider) or "oidc" (created at its first single sign-on). */
  origin: string;
}

export function toUserView(u: User): UserView {
  return {
    id: u.id,
    username: u.username,
    email: u.email,
    displayName: u.displayName,
    role: u.role,
    active: u.active,
    createdAt: u.createdAt,
    lastSignInAt: u.lastSignInAt,
    origin: u.origin,
  };
}

/** The audit log's picture of a user. */
export const auditUser = (u: User) => ({ username: u.username, email: u.email, role: u.role, active: u.active, ...(u.origin !== "local" ? { origin: u.origin, externalId: u.externalId } : {}) });
