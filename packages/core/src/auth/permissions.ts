import type { Actor } from "../context.ts";
import { denied, unauthenticated } from "../errors.ts";

/**
 * Global (not per-resource) permissions. Per-experiment and per-model levels arrive with tracking
 * and the registry; they are answered here too, so that "may this actor do X on Y" has one place.
 */
export type Permission =
  | "self:read" // see own profile
  | "tokens:manage-own" // create, list and revoke own access tokens
  | "users:read"
  | "users:manage" // create, deactivate, reactivate, reset passwords, change roles
  | "audit:read"
  | "mlflow:use"; // call the MLflow API at all (per-resource checks come on top)

const byRole: Record<string, ReadonlySet<Permission>> = {
  USER: new Set<Permission>(["self:read", "tokens:manage-own", "mlflow:use"]),
  ADMIN: new Set<Permission>(["self:read", "tokens:manage-own", "mlflow:use", "users:read", "users:manage", "audit:read"]),
};

/** Unknown roles or permissions mean deny. The system actor is trusted (bootstrap, jobs). */
export function can(actor: Actor, permission: Permission): boolean {
  if (actor.kind === "system") return true;
  return byRole[actor.role]?.has(permission) ?? false;
}

export function authorize(actor: Actor | null | undefined, permission: Permission): asserts actor is Actor {
  if (!actor) throw unauthenticated();
  if (!can(actor, permission)) throw denied(`Permission denied: requires ${permission}`);
}

export function requireUser(actor: Actor): Extract<Actor, { kind: "user" }> {
  if (actor.kind !== "user") throw denied("A user is required for this action");
  return actor;
}
