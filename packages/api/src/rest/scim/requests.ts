import type { GroupChange, ProvisionUserInput } from "@modelgate/core";

// What identity providers send to /scim/v2, read into core's inputs: user and group bodies, list
// filters, and PATCH operations in the shapes Okta and Microsoft Entra ID send (with and without
// `path`, op names in any case, booleans as strings, `members[value eq "…"]` paths).

export class ScimError extends Error {
  constructor(
    readonly status: number,
    detail: string,
    readonly scimType?: string,
  ) {
    super(detail);
  }
}

const badValue = (detail: string) => new ScimError(400, detail, "invalidValue");
type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

function str(v: unknown, what: string): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== "string") throw badValue(`${what} must be a string`);
  return v;
}

/** Entra sends "True"/"False" for booleans in PATCH values. */
function bool(v: unknown, what: string): boolean {
  if (typeof v === "boolean") return v;
  if (typeof v === "string" && /^(true|false)$/i.test(v)) return v.toLowerCase() === "true";
  throw badValue(`${what} must be a boolean`);
}

/** The primary email, else the first (SCIM's multi-valued emails). */
function emailOf(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (!Array.isArray(v)) throw badValue("emails must be a list");
  const items = v.filter(isObject);
  const pick = items.find((e) => e.primary === true || e.primary === "true") ?? items[0];
  return pick ? str(pick.value, "emails.value") : null;
}

/** A whole User (POST, PUT). */
export function userInput(body: unknown): ProvisionUserInput {
  if (!isObject(body)) throw badValue("The request body must be a SCIM User object");
  const userName = str(body.userName, "userName");
  if (!userName) throw badValue("userName is required");
  const name = isObject(body.name) ? body.name : {};
  return {
    userName,
    externalId: str(body.externalId, "externalId"),
    email: emailOf(body.emails),
    displayName: str(body.displayName, "displayName") ?? str(name.formatted, "name.formatted"),
    givenName: str(name.givenName, "name.givenName"),
    familyName: str(name.familyName, "name.familyName"),
    active: body.active === undefined ? true : bool(body.active, "active"),
  };
}

export function groupInput(body: unknown): { displayName: string; externalId: string | null; members: string[] } {
  if (!isObject(body)) throw badValue("The request body must be a SCIM Group object");
  const displayName = str(body.displayName, "displayName");
  if (!displayName) throw badValue("displayName is required");
  return { displayName, externalId: str(body.externalId, "externalId"), members: memberValues(body.members ?? []) };
}

function memberValues(v: unknown): string[] {
  const list = Array.isArray(v) ? v : [v];
  return list.map((m) => {
    if (!isObject(m) || typeof m.value !== "string") throw badValue("members must be objects with a string value (the user's id)");
    return m.value;
  });
}

// ───────────── filters ─────────────

const FILTER = /^\s*([A-Za-z][\w.]*)\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$/i;

/** `attr eq "value"`, the filter IdPs send to look a resource up; anything else is invalidFilter. */
export function parseFilter(filter: string | undefined, allowed: Record<string, string>): Record<string, string> {
  if (filter === undefined || filter.trim() === "") return {};
  const m = FILTER.exec(filter);
  const key = m ? allowed[m[1]!.toLowerCase()] : undefined;
  if (!m || !key) {
    throw new ScimError(400, `Unsupported filter '${filter}': use ${Object.keys(allowed).map((a) => `${a} eq "…"`).join(", ")}`, "invalidFilter");
  }
  return { [key]: m[2]!.replace(/\\(.)/g, "$1") };
}

export const USER_FILTERS = { username: "userName", externalid: "externalId", "emails.value": "email", emails: "email" };
export const GROUP_FILTERS = { displayname: "displayName", externalid: "externalId" };

/** startIndex (1-based) and count, as SCIM pages lists; out-of-range values are clamped as the RFC says. */
export function paging(query: Record<string, unknown>, max: number): { startIndex: number; count: number } {
  const int = (v: unknown, fallback: number) => {
    if (v === undefined || v === "") return fallback;
    const n = Number(v);
    if (!Number.isInteger(n)) throw badValue(`startIndex and count must be integers`);
    return n;
  };
  return { startIndex: Math.max(1, int(query.startIndex, 1)), count: Math.min(max, Math.max(0, int(query.count, 100))) };
}

// ───────────── PATCH ─────────────

interface Operation {
  op: "add" | "replace" | "remove";
  path: string | undefined;
  value: unknown;
}

export function operations(body: unknown): Operation[] {
  if (!isObject(body) || !Array.isArray(body.Operations)) throw badValue("A PATCH body is a PatchOp message with an Operations list");
  return body.Operations.map((o) => {
    if (!isObject(o) || typeof o.op !== "string") throw badValue("Each operation needs an op");
    const op = o.op.toLowerCase();
    if (op !== "add" && op !== "replace" && op !== "remove") throw badValue(`Unknown op '${o.op}'`);
    if (o.path !== undefined && typeof o.path !== "string") throw new ScimError(400, "path must be a string", "invalidPath");
    return { op, path: o.path as string | undefined, value: o.value };
  });
}

type UserChange = Partial<ProvisionUserInput>;

/** One user attribute set by a PATCH (path or value key) into the change. */
function setUserAttribute(change: UserChange, path: string, value: unknown, remove: boolean) {
  const p = path.toLowerCase().replace(/^urn:ietf:params:scim:schemas:core:2\.0:user:/, "");
  const text = () => (remove ? null : str(value, path));
  if (p === "active") {
    if (remove) throw badValue("active cannot be removed");
    change.active = bool(value, "active");
  } else if (p === "username") {
    const v = text();
    if (!v) throw badValue("userName cannot be removed");
    change.userName = v;
  } else if (p === "externalid") change.externalId = text();
  else if (p === "displayname") change.displayName = text();
  else if (p === "name.givenname") change.givenName = text();
  else if (p === "name.familyname") change.familyName = text();
  else if (p === "name.formatted") change.displayName ??= text();
  else if (p === "name") {
    const n = remove ? {} : isObject(value) ? value : {};
    change.givenName = str(n.givenName, "name.givenName");
    change.familyName = str(n.familyName, "name.familyName");
    if (n.formatted !== undefined) change.displayName ??= str(n.formatted, "name.formatted");
  } else if (p === "emails") change.email = remove ? null : emailOf(value);
  else if (/^emails\[.*\]\.value$/.test(p) || /^emails\[.*\]$/.test(p)) change.email = remove ? null : typeof value === "string" ? value : emailOf(value);
  else if (p === "password") {
    // SCIM users sign in through the identity provider: a password is not kept
  } else throw new ScimError(400, `Unsupported path '${path}'`, "invalidPath");
}

/** A user PATCH as one change (applied in one transaction by core). */
export function userPatch(body: unknown): UserChange {
  const change: UserChange = {};
  for (const o of operations(body)) {
    if (o.path) setUserAttribute(change, o.path, o.value, o.op === "remove");
    else if (isObject(o.value) && o.op !== "remove") for (const [k, v] of Object.entries(o.value)) setUserAttribute(change, k, v, false);
    else throw badValue("An operation without a path needs an object value");
  }
  return change;
}

const MEMBER_FILTER = /^members\[\s*value\s+eq\s+"([^"]*)"\s*\]$/i;

/** A group PATCH as one change: members added, removed or replaced, a new name or externalId. */
export function groupPatch(body: unknown): GroupChange {
  const change: { displayName?: string; externalId?: string | null; members?: string[]; addMembers: string[]; removeMembers: string[] } = { addMembers: [], removeMembers: [] };
  const apply = (op: Operation["op"], path: string, value: unknown) => {
    const p = path.toLowerCase();
    const filtered = MEMBER_FILTER.exec(path);
    if (filtered) {
      if (op !== "remove") throw new ScimError(400, `Only remove takes a member filter path`, "invalidPath");
      change.removeMembers.push(filtered[1]!);
    } else if (p === "members") {
      if (op === "add") change.addMembers.push(...memberValues(value));
      else if (op === "replace") change.members = memberValues(value ?? []);
      else if (value === undefined) change.members = [];
      else change.removeMembers.push(...memberValues(value));
    } else if (p === "displayname") {
      if (op === "remove") throw badValue("displayName cannot be removed");
      const v = str(value, "displayName");
      if (!v) throw badValue("displayName cannot be empty");
      change.displayName = v;
    } else if (p === "externalid") change.externalId = op === "remove" ? null : str(value, "externalId");
    else throw new ScimError(400, `Unsupported path '${path}'`, "invalidPath");
  };
  for (const o of operations(body)) {
    if (o.path) apply(o.op, o.path, o.value);
    else if (isObject(o.value) && o.op !== "remove") for (const [k, v] of Object.entries(o.value)) apply(o.op, k, v);
    else throw badValue("An operation without a path needs an object value");
  }
  return change;
}
