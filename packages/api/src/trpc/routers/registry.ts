import { z } from "zod";
import {
  MODEL_PERMISSION_LEVELS,
  compareModelVersions,
  createModelVersion,
  createRegisteredModel,
  deleteModelVersion,
  deleteModelVersionTag,
  deleteRegisteredModel,
  deleteRegisteredModelAlias,
  deleteRegisteredModelTag,
  getModelForPortal,
  getModelHistory,
  getModelStateAt,
  getModelVersionDetail,
  listModelGroupPermissions,
  listModelPermissions,
  listModelVersions,
  myModelAccess,
  renameRegisteredModel,
  searchModelVersions,
  searchModelsForPortal,
  setModelGroupPermission,
  setModelPermission,
  setModelVersionTag,
  setRegisteredModelAlias,
  setRegisteredModelTag,
  suggestModelNames,
  transitionModelVersionStage,
  updateModelVersion,
  updateRegisteredModel,
} from "@modelgate/core";
import { procedure, router } from "../init.ts";

// The portal's registry procedures. Each is parse → one core call; core validates values and
// checks permissions (the same functions the MLflow REST edge calls).

const name = z.object({ name: z.string() });
const version = z.object({ name: z.string(), version: z.string() });
const page = { max_results: z.number().int().optional(), cursor: z.string().nullish() };
const tag = { key: z.string(), value: z.string() };

const models = router({
  search: procedure
    .input(z.object({ filter: z.string().optional(), order_by: z.array(z.string()).optional(), ...page }))
    .query(({ ctx, input: { cursor, ...input } }) => searchModelsForPortal(ctx.core, { ...input, ...(cursor ? { page_token: cursor } : {}) })),
  get: procedure.input(name).query(({ ctx, input }) => getModelForPortal(ctx.core, input.name)),
  /** What the caller may do on the model: the portal shows only allowed actions. */
  myAccess: procedure.input(name).query(({ ctx, input }) => myModelAccess(ctx.core, input.name)),
  suggest: procedure.input(z.object({ prefix: z.string() })).query(({ ctx, input }) => suggestModelNames(ctx.core, input.prefix)),
  create: procedure
    .input(z.object({ name: z.string(), description: z.string().optional(), tags: z.array(z.object(tag)).optional() }))
    .mutation(({ ctx, input }) => createRegisteredModel(ctx.core, input)),
  rename: procedure.input(z.object({ name: z.string(), new_name: z.string() })).mutation(({ ctx, input }) => renameRegisteredModel(ctx.core, input)),
  setDescription: procedure.input(z.object({ name: z.string(), description: z.string() })).mutation(({ ctx, input }) => updateRegisteredModel(ctx.core, input)),
  delete: procedure.input(name).mutation(({ ctx, input }) => deleteRegisteredModel(ctx.core, input)),
  setTag: procedure.input(z.object({ name: z.string(), ...tag })).mutation(({ ctx, input }) => setRegisteredModelTag(ctx.core, input)),
  deleteTag: procedure.input(z.object({ name: z.string(), key: z.string() })).mutation(({ ctx, input }) => deleteRegisteredModelTag(ctx.core, input)),
  setAlias: procedure
    .input(z.object({ name: z.string(), alias: z.string(), version: z.string() }))
    .mutation(({ ctx, input }) => setRegisteredModelAlias(ctx.core, input)),
  deleteAlias: procedure.input(z.object({ name: z.string(), alias: z.string() })).mutation(({ ctx, input }) => deleteRegisteredModelAlias(ctx.core, input)),
  /** Stage transitions and alias moves, newest first (optionally of one version). */
  history: procedure.input(z.object({ name: z.string(), version: z.string().optional() })).query(({ ctx, input }) => getModelHistory(ctx.core, input)),
  /** Which versions were in which stage, and where the aliases pointed, at an instant (epoch ms). */
  stateAt: procedure.input(z.object({ name: z.string(), at: z.number() })).query(({ ctx, input }) => getModelStateAt(ctx.core, input)),
  permissions: procedure.input(name).query(({ ctx, input }) => listModelPermissions(ctx.core, input.name)),
  setPermission: procedure
    .input(z.object({ name: z.string(), username: z.string(), level: z.enum(MODEL_PERMISSION_LEVELS).nullable() }))
    .mutation(({ ctx, input }) => setModelPermission(ctx.core, input)),
  groupPermissions: procedure.input(name).query(({ ctx, input }) => listModelGroupPermissions(ctx.core, input.name)),
  setGroupPermission: procedure
    .input(z.object({ name: z.string(), group: z.string(), level: z.enum(MODEL_PERMISSION_LEVELS).nullable() }))
    .mutation(({ ctx, input }) => setModelGroupPermission(ctx.core, input)),
});

const versions = router({
  list: procedure.input(z.object({ name: z.string(), ...page })).query(({ ctx, input: { cursor, ...input } }) => listModelVersions(ctx.core, { ...input, ...(cursor ? { page_token: cursor } : {}) })),
  search: procedure
    .input(z.object({ filter: z.string().optional(), order_by: z.array(z.string()).optional(), ...page }))
    .query(({ ctx, input: { cursor, ...input } }) => searchModelVersions(ctx.core, { ...input, ...(cursor ? { page_token: cursor } : {}) })),
  /** The version with its MLmodel metadata (flavors, signature, input example). */
  get: procedure.input(version).query(({ ctx, input }) => getModelVersionDetail(ctx.core, input)),
  /** Registers a version (e.g. "Register model" on a run's artifact folder). */
  create: procedure
    .input(z.object({ name: z.string(), source: z.string(), run_id: z.string().optional(), description: z.string().optional(), tags: z.array(z.object(tag)).optional() }))
    .mutation(({ ctx, input }) => createModelVersion(ctx.core, input)),
  setDescription: procedure
    .input(z.object({ name: z.string(), version: z.string(), description: z.string() }))
    .mutation(({ ctx, input }) => updateModelVersion(ctx.core, input)),
  setTag: procedure.input(z.object({ name: z.string(), version: z.string(), ...tag })).mutation(({ ctx, input }) => setModelVersionTag(ctx.core, input)),
  deleteTag: procedure
    .input(z.object({ name: z.string(), version: z.string(), key: z.string() }))
    .mutation(({ ctx, input }) => deleteModelVersionTag(ctx.core, input)),
  transition: procedure
    .input(z.object({ name: z.string(), version: z.string(), stage: z.string(), archive_existing_versions: z.boolean().default(false) }))
    .mutation(({ ctx, input }) => transitionModelVersionStage(ctx.core, input)),
  delete: procedure.input(version).mutation(({ ctx, input }) => deleteModelVersion(ctx.core, input)),
  /** Two versions side by side (of one model, or of `right_name`). */
  compare: procedure
    .input(z.object({ name: z.string(), left: z.string(), right: z.string(), right_name: z.string().optional() }))
    .query(({ ctx, input }) => compareModelVersions(ctx.core, input)),
});

/** The portal's model-registry procedures. */
export const registryRouter = router({ models, versions });
