import type { FastifyInstance, FastifyReply } from "fastify";
import {
  EXPERIMENT_PERMISSION_LEVELS,
  MODEL_PERMISSION_LEVELS,
  createUser,
  deactivateUserByName,
  getExperimentPermission,
  getModelPermission,
  getUserGrants,
  invalid,
  setAdminByName,
  setExperimentPermission,
  setModelPermission,
  setPasswordByName,
  type ModelPermissionLevel,
  type PermissionLevel,
  type UserGrantsView,
  type UserView,
} from "@modelgate/core";
import type { Db } from "@modelgate/db";
import { mlflowRoute, type WireInput } from "./mlflow-route.ts";
import { reqBool, reqString } from "./wire.ts";

// MLflow's auth app (`mlflow server --app-name basic-auth`) user and permission endpoints, so its
// AuthServiceClient works against Modelgate. Differences, on purpose:
// - users/create needs an admin: MLflow's is open sign-up, ours never is.
// - users/delete deactivates the account (see deactivateUserByName): history keeps naming it.
// - NO_PERMISSIONS means "no grant of this user's own": update to NO_PERMISSIONS removes the grant,
//   after which the user's groups, ownership and the configured default decide (our model has no
//   explicit deny). Creating a grant of NO_PERMISSIONS is refused as there is nothing to create.
// Every check (admin, self, MANAGE on the resource) is made by core.

type Grant<L> = { level: L | null; expect: "absent" | "present" };


function permissionOf<L extends string>(input: WireInput, allowed: readonly L[], forCreate: boolean): L | null {
  const p = reqString(input, "permission");
  if (p === "NO_PERMISSIONS" && !forCreate) return null;
  if ((allowed as readonly string[]).includes(p)) return p as L;
  const listed = forCreate ? allowed.join(", ") : [...allowed, "NO_PERMISSIONS"].join(", ");
  throw invalid(`Invalid permission '${p}'. Must be one of ${listed}.`);
}

/** The User entity as MLflow's client reads it (`User.from_json`): both lists always present. */
function userJson(user: UserView, grants?: Pick<UserGrantsView, "experimentPermissions" | "modelPermissions">) {
  return {
    id: user.id,
    username: user.username,
    is_admin: user.role === "ADMIN",
    experiment_permissions: (grants?.experimentPermissions ?? []).map((p) => ({ experiment_id: p.experiment_id, user_id: p.user_id, permission: p.level })),
    registered_model_permissions: (grants?.modelPermissions ?? []).map((p) => ({ name: p.name, user_id: p.user_id, permission: p.level })),
  };
}

/** Sent as plain JSON: the wire writer drops empty lists, which MLflow's client requires here. */
const sendJson = (reply: FastifyReply, body: unknown) => reply.type("application/json").send(JSON.stringify(body));

export function registerAuthAppRoutes(app: FastifyInstance, opts: { db: Db }) {
  const { db } = opts;
  const route = (method: "GET" | "POST" | "PATCH" | "DELETE", path: string, handler: Parameters<typeof mlflowRoute>[4]) => mlflowRoute(app, db, method, path, handler);

  // ── users ──
  route("POST", "/users/create", async ({ ctx, input, reply }) => {
    const user = await createUser(ctx, { username: reqString(input, "username"), password: reqString(input, "password") });
    return sendJson(reply, { user: userJson(user) });
  });
  route("GET", "/users/get", async ({ ctx, input, reply }) => {
    const grants = await getUserGrants(ctx, { username: reqString(input, "username") });
    return sendJson(reply, { user: userJson(grants.user, grants) });
  });
  route("PATCH", "/users/update-password", async ({ ctx, input }) => {
    await setPasswordByName(ctx, { username: reqString(input, "username"), password: reqString(input, "password") });
  });
  route("PATCH", "/users/update-admin", async ({ ctx, input }) => {
    await setAdminByName(ctx, { username: reqString(input, "username"), is_admin: reqBool(input, "is_admin") });
  });
  route("DELETE", "/users/delete", async ({ ctx, input }) => {
    await deactivateUserByName(ctx, { username: reqString(input, "username") });
  });

  // ── experiment permissions ──
  const experimentGrant = (input: WireInput, g: Grant<PermissionLevel>) => ({
    experiment_id: reqString(input, "experiment_id"),
    username: reqString(input, "username"),
    ...g,
  });
  const experimentPermissionJson = (p: { experiment_id: string; user_id: string; level: string }) => ({
    experiment_permission: { experiment_id: p.experiment_id, user_id: p.user_id, permission: p.level },
  });
  const getExperimentGrant = (ctx: Parameters<typeof getExperimentPermission>[0], input: WireInput) =>
    getExperimentPermission(ctx, { experiment_id: reqString(input, "experiment_id"), username: reqString(input, "username") });

  route("POST", "/experiments/permissions/create", async ({ ctx, input }) => {
    await setExperimentPermission(ctx, experimentGrant(input, { level: permissionOf(input, EXPERIMENT_PERMISSION_LEVELS, true), expect: "absent" }));
    return experimentPermissionJson(await getExperimentGrant(ctx, input));
  });
  route("GET", "/experiments/permissions/get", async ({ ctx, input }) => experimentPermissionJson(await getExperimentGrant(ctx, input)));
  route("PATCH", "/experiments/permissions/update", async ({ ctx, input }) => {
    await setExperimentPermission(ctx, experimentGrant(input, { level: permissionOf(input, EXPERIMENT_PERMISSION_LEVELS, false), expect: "present" }));
  });
  route("DELETE", "/experiments/permissions/delete", async ({ ctx, input }) => {
    await setExperimentPermission(ctx, experimentGrant(input, { level: null, expect: "present" }));
  });

  // ── registered model permissions ──
  const modelGrant = (input: WireInput, g: Grant<ModelPermissionLevel>) => ({ name: reqString(input, "name"), username: reqString(input, "username"), ...g });
  const modelPermissionJson = (name: string, p: { user_id: string; level: string }) => ({
    registered_model_permission: { name, user_id: p.user_id, permission: p.level },
  });
  const getModelGrant = async (ctx: Parameters<typeof getModelPermission>[0], input: WireInput) => {
    const name = reqString(input, "name");
    return modelPermissionJson(name, await getModelPermission(ctx, { name, username: reqString(input, "username") }));
  };

  route("POST", "/registered-models/permissions/create", async ({ ctx, input }) => {
    await setModelPermission(ctx, modelGrant(input, { level: permissionOf(input, MODEL_PERMISSION_LEVELS, true), expect: "absent" }));
    return getModelGrant(ctx, input);
  });
  route("GET", "/registered-models/permissions/get", async ({ ctx, input }) => getModelGrant(ctx, input));
  route("PATCH", "/registered-models/permissions/update", async ({ ctx, input }) => {
    await setModelPermission(ctx, modelGrant(input, { level: permissionOf(input, MODEL_PERMISSION_LEVELS, false), expect: "present" }));
  });
  route("DELETE", "/registered-models/permissions/delete", async ({ ctx, input }) => {
    await setModelPermission(ctx, modelGrant(input, { level: null, expect: "present" }));
  });
}
