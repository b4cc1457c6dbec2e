import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { createServingEndpoint, deleteServingEndpoint, getServingEndpoint, listServingEndpoints, updateServingEndpoint, type EndpointView } from "@modelgate/core";
import { installedServingService } from "../../serving/index.ts";
import type { EndpointStatus, ServingService } from "../../serving/service.ts";
import { procedure, router, type TrpcContext } from "../init.ts";

// The portal's serving procedures: endpoints with what each serves, its state and its recent
// traffic; changes go through the same core functions as the Databricks-shaped REST API.

function serviceOf(ctx: TrpcContext): ServingService {
  const s = ctx.serving ?? installedServingService();
  if (!s) throw new TRPCError({ code: "NOT_IMPLEMENTED", message: "Model serving is not running in this process" });
  return s;
}

function withState(s: ServingService, v: EndpointView, status: EndpointStatus) {
  return { ...v, status, stats: s.metrics.stats(v.name) };
}

const name = z.object({ name: z.string() });
const target = { version: z.union([z.string(), z.number()]).optional(), alias: z.string().optional(), stage: z.string().optional() };

export const servingRouter = router({
  list: procedure.input(z.object({ model_name: z.string().optional() }).optional()).query(async ({ ctx, input }) => {
    const s = serviceOf(ctx);
    return (await listServingEndpoints(ctx.core, input ?? {})).map((v) => withState(s, v, s.peekStatus(v.name)));
  }),
  get: procedure.input(name).query(async ({ ctx, input }) => {
    const s = serviceOf(ctx);
    const v = await getServingEndpoint(ctx.core, input.name);
    return withState(s, v, await s.status(v.name));
  }),
  create: procedure
    .input(z.object({ name: z.string(), model_name: z.string(), enabled: z.boolean().optional(), ...target }))
    .mutation(async ({ ctx, input }) => {
      const s = serviceOf(ctx);
      const v = await createServingEndpoint(ctx.core, input);
      return withState(s, v, await s.refresh(v.name));
    }),
  /** Points the endpoint at another version, alias or stage of its model. */
  update: procedure.input(z.object({ name: z.string(), ...target })).mutation(async ({ ctx, input }) => {
    const s = serviceOf(ctx);
    const v = await updateServingEndpoint(ctx.core, input);
    return withState(s, v, await s.refresh(v.name));
  }),
  setEnabled: procedure.input(z.object({ name: z.string(), enabled: z.boolean() })).mutation(async ({ ctx, input }) => {
    const s = serviceOf(ctx);
    const v = await updateServingEndpoint(ctx.core, input);
    return withState(s, v, await s.refresh(v.name));
  }),
  delete: procedure.input(name).mutation(async ({ ctx, input }) => {
    await deleteServingEndpoint(ctx.core, input);
    await serviceOf(ctx).refresh(input.name);
  }),
  /** The portal's "try it": scores the JSON request the user typed (any MLflow scoring format). */
  invoke: procedure.input(z.object({ name: z.string(), body: z.unknown() })).mutation(async ({ ctx, input }) => {
    const out = await serviceOf(ctx).invoke(ctx.core.actor, input.name, { body: Buffer.from(JSON.stringify(input.body ?? null)), contentType: "application/json" });
    return { predictions: out.predictions, version: out.version };
  }),
});
