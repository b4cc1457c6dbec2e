import { createCallerFactory, router } from "./init.ts";
import { approvalsRouter } from "./routers/approvals.ts";
import { auditRouter } from "./routers/audit.ts";
import { batchRouter } from "./routers/batch.ts";
import { groupsRouter } from "./routers/groups.ts";
import { loggedModelsRouter } from "./routers/logged-models.ts";
import { meRouter } from "./routers/me.ts";
import { registryRouter } from "./routers/registry.ts";
import { servingRouter } from "./routers/serving.ts";
import { tokensRouter } from "./routers/tokens.ts";
import { trackingRouter } from "./routers/tracking.ts";
import { tracingRouter } from "./routers/tracing.ts";
import { usersRouter } from "./routers/users.ts";
import { webhooksRouter } from "./routers/webhooks.ts";

export const appRouter = router({
  me: meRouter,
  tokens: tokensRouter,
  users: usersRouter,
  groups: groupsRouter,
  audit: auditRouter,
  tracking: trackingRouter,
  loggedModels: loggedModelsRouter,
  tracing: tracingRouter,
  registry: registryRouter,
  approvals: approvalsRouter,
  webhooks: webhooksRouter,
  serving: servingRouter,
  batch: batchRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
export type { TrpcContext } from "./init.ts";
