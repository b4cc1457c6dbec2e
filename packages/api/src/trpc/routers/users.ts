import { z } from "zod";
import { createUser, endUserSessions, listUserTokens, listUsers, resetPassword, setUserActive, setUserRole } from "@modelgate/core";
import { procedure, router } from "../init.ts";

// Inputs are validated by core (one place, same messages on every edge); here only their shape.
export const usersRouter = router({
  list: procedure.query(({ ctx }) => listUsers(ctx.core)),
  create: procedure
    .input(z.object({ username: z.string(), email: z.string().nullish(), displayName: z.string().nullish(), password: z.string(), role: z.enum(["ADMIN", "USER"]).optional() }))
    .mutation(({ ctx, input }) => createUser(ctx.core, input)),
  setActive: procedure.input(z.object({ userId: z.string(), active: z.boolean() })).mutation(({ ctx, input }) => setUserActive(ctx.core, input)),
  setRole: procedure.input(z.object({ userId: z.string(), role: z.enum(["ADMIN", "USER"]) })).mutation(({ ctx, input }) => setUserRole(ctx.core, input)),
  resetPassword: procedure.input(z.object({ userId: z.string(), password: z.string() })).mutation(({ ctx, input }) => resetPassword(ctx.core, input)),
  tokens: procedure.input(z.object({ userId: z.string() })).query(({ ctx, input }) => listUserTokens(ctx.core, input)),
  endSessions: procedure.input(z.object({ userId: z.string() })).mutation(({ ctx, input }) => endUserSessions(ctx.core, input)),
});
