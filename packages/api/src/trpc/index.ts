import { createCallerFactory, router } from "./init.ts";
import { auditRouter } from "./routers/audit.ts";
import { meRouter } from "./routers/me.ts";
import { registryRouter } from "./routers/registry.ts";
import { tokensRouter } from "./routers/tokens.ts";
import { trackingRouter } from "./routers/tracking.ts";
import { usersRouter } from "./routers/users.ts";

export const appRouter = router({
  me: meRouter,
  tokens: tokensRouter,
  users: usersRouter,
  audit: auditRouter,
  tracking: trackingRouter,
  registry: registryRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
export type { TrpcContext } from "./init.ts";
