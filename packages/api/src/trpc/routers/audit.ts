import { auditActions, auditResourceTypes, listAuditEvents, listAuditEventsInput } from "@modelgate/core";
import { procedure, router } from "../init.ts";

export const auditRouter = router({
  list: procedure.input(listAuditEventsInput.partial()).query(({ ctx, input }) => listAuditEvents(ctx.core, input)),
  actions: procedure.query(() => auditActions),
  resourceTypes: procedure.query(() => auditResourceTypes),
});
