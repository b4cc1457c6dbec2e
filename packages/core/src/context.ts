import type { Db } from "@modelgate/db";

export type Role = "ADMIN" | "USER";

/** Who is acting: a signed-in user (through the portal, a token, or basic auth) or the system. */
export type Actor =
  | {
      kind: "user";
      userId: string;
      username: string;
      role: Role;
      tokenId?: string | undefined;
      /** Set for a token scoped to one serving endpoint (its id): it may only score that endpoint. */
      endpointScope?: string | undefined;
    }
  | { kind: "system"; reason: string };

/** Everything a core function needs about the request it serves. */
export interface Ctx {
  db: Db;
  actor: Actor;
  requestId?: string | undefined;
  ip?: string | undefined;
}

export const systemActor = (reason: string): Actor => ({ kind: "system", reason });

/** How an actor is named in records (audit, history, requests): the username, or `system:<reason>`. */
export const actorName = (actor: Actor): string => (actor.kind === "user" ? actor.username : `system:${actor.reason}`);

/** The user behind an actor (null for the system), for owner and creator columns. */
export const actorUserId = (actor: Actor): string | null => (actor.kind === "user" ? actor.userId : null);

/** Both, as the history tables store them. */
export const actorIdentity = (actor: Actor): { actorId: string | null; actorName: string } => ({ actorId: actorUserId(actor), actorName: actorName(actor) });
