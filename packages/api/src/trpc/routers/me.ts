import { z } from "zod";
import { changeOwnPassword, getMe } from "@modelgate/core";
import { procedure, router } from "../init.ts";

export const meRouter = router({
  get: procedure.query(({ ctx }) => getMe(ctx.core)),
  changePassword: procedure
    .input(z.object({ currentPassword: z.string(), newPassword: z.string() }))
    .mutation(({ ctx, input }) => changeOwnPassword(ctx.core, input)),
});
