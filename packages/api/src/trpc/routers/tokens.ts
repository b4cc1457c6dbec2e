import { z } from "zod";
import { createToken, createTokenInput, listTokens, revokeToken } from "@modelgate/core";
import { procedure, router } from "../init.ts";

export const tokensRouter = router({
  list: procedure.query(({ ctx }) => listTokens(ctx.core)),
  create: procedure.input(createTokenInput).mutation(({ ctx, input }) => createToken(ctx.core, input)),
  revoke: procedure.input(z.object({ tokenId: z.string() })).mutation(({ ctx, input }) => revokeToken(ctx.core, input)),
});
