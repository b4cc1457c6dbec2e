import crypto from "node:crypto";
import type { Db } from "@modelgate/db";
import { createExperiment, createRun, createUser, systemActor, type Actor, type Ctx } from "../src/index.ts";

export const PASSWORD = "correct horse battery staple";

export const ctxOf = (db: Db, actor: Actor, extra: Partial<Ctx> = {}): Ctx => ({ db, actor, requestId: crypto.randomUUID(), ...extra });

/** A fresh user with a unique name; returns the view and an actor acting as them. */
export async function makeUser(db: Db, opts: { role?: "ADMIN" | "USER"; prefix?: string } = {}) {
  const username = `${opts.prefix ?? "u"}-${crypto.randomBytes(4).toString("hex")}`;
  const user = await createUser(ctxOf(db, systemActor("test")), { username, password: PASSWORD, role: opts.role ?? "USER" });
  const actor: Actor = { kind: "user", userId: user.id, username: user.username, role: user.role };
  return { user, actor, ctx: ctxOf(db, actor) };
}

/** A run (start_time 1) in a new experiment of its own. */
export async function newRun(ctx: Ctx) {
  const { experiment_id } = await createExperiment(ctx, { name: `exp-${crypto.randomUUID()}` });
  return createRun(ctx, { experiment_id, start_time: 1 });
}
