import type { FastifyInstance } from "fastify";
import {
  approveRequest,
  cancelRequest,
  createApprovalRequest,
  createComment,
  deleteComment,
  getModelVersion,
  getModelForPortal,
  listApprovalRequests,
  modelLevel,
  transitionModelVersionStage,
  updateComment,
  rejectRequest,
  type ActivityView,
  type ModelPermissionLevel,
  type RequestView,
} from "@modelgate/core";
import type { Db } from "@modelgate/db";
import { mlflowRoute, type WireInput } from "./mlflow-route.ts";
import { missing, optBool, optString, reqBool, reqString, reqVersion, withQuery } from "./wire.ts";

// Databricks' workspace-registry extensions: transition requests, comments, and the Databricks
// views of a model and a version (with the caller's permission level and open requests). An
// `alias` field (instead of `stage`) addresses alias requests, Modelgate's extension.

const targetOf = (input: WireInput) => ({ stage: optString(input, "stage"), alias: optString(input, "alias") });

const DATABRICKS_LEVEL: Record<ModelPermissionLevel, string> = {
  READ: "CAN_READ",
  EDIT: "CAN_EDIT",
  MANAGE_STAGING_VERSIONS: "CAN_MANAGE_STAGING_VERSIONS",
  MANAGE_PRODUCTION_VERSIONS: "CAN_MANAGE_PRODUCTION_VERSIONS",
  MANAGE: "CAN_MANAGE",
};

/** A request as Databricks' TransitionRequest. */
function transitionRequest(r: RequestView) {
  return {
    available_actions: r.available_actions,
    comment: r.comment,
    creation_timestamp: r.created_at,
    ...(r.to_stage ? { to_stage: r.to_stage } : {}),
    ...(r.alias ? { to_alias: r.alias } : {}),
    user_id: r.requester,
    id: r.id,
  };
}

/** An open request as the Activity that transition-requests/list returns. */
function requestActivity(r: RequestView): ActivityView & { available_actions: string[] } {
  return {
    id: r.id,
    activity_type: "REQUESTED_TRANSITION",
    ...(r.comment ? { comment: r.comment } : {}),
    from_stage: r.current_stage,
    ...(r.to_stage ? { to_stage: r.to_stage } : {}),
    ...(r.alias ? { to_alias: r.alias } : {}),
    user_id: r.requester,
    creation_timestamp: r.created_at,
    last_updated_timestamp: r.updated_at,
    available_actions: r.available_actions,
  };
}

export async function registerApprovalRoutes(app: FastifyInstance, opts: { db: Db }) {
  const { db } = opts;

  mlflowRoute(app, db, "POST", "/transition-requests/create", async ({ ctx, input }) => ({
    request: transitionRequest(
      await createApprovalRequest(ctx, {
        name: reqString(input, "name"),
        version: reqVersion(input),
        ...targetOf(input),
        comment: optString(input, "comment"),
        archive_existing_versions: optBool(input, "archive_existing_versions"),
      }),
    ),
  }));

  mlflowRoute(app, db, "POST", "/transition-requests/approve", async ({ ctx, input }) => {
    const archive = optBool(input, "archive_existing_versions");
    if (archive === undefined && !optString(input, "alias")) missing("archive_existing_versions");
    const out = await approveRequest(ctx, { name: reqString(input, "name"), version: reqVersion(input), ...targetOf(input), comment: optString(input, "comment"), archive_existing_versions: archive });
    return { activity: out.activity };
  });

  mlflowRoute(app, db, "POST", "/transition-requests/reject", async ({ ctx, input }) => {
    const out = await rejectRequest(ctx, { name: reqString(input, "name"), version: reqVersion(input), ...targetOf(input), comment: optString(input, "comment") });
    return { activity: out.activity };
  });

  mlflowRoute(app, db, "DELETE", "/transition-requests/delete", async ({ ctx, input, req }) => {
    const all = withQuery(input, req.query);
    const out = await cancelRequest(ctx, {
      name: reqString(all, "name"),
      version: reqVersion(all),
      ...targetOf(all),
      creator: optString(all, "creator"),
      comment: optString(all, "comment"),
    });
    return { activity: out.activity };
  });

  mlflowRoute(app, db, "GET", "/transition-requests/list", async ({ ctx, input }) => {
    const requests = await listApprovalRequests(ctx, { kind: "version", name: reqString(input, "name"), version: reqVersion(input), openOnly: true });
    return { requests: requests.map(requestActivity) };
  });

  mlflowRoute(app, db, "POST", "/databricks/model-versions/transition-stage", async ({ ctx, input }) => {
    const archive = reqBool(input, "archive_existing_versions");
    const name = reqString(input, "name");
    const mv = await transitionModelVersionStage(ctx, { name, version: reqVersion(input), stage: reqString(input, "stage"), archive_existing_versions: archive, comment: optString(input, "comment") });
    return { model_version_databricks: await databricksVersion(ctx, name, mv.version) };
  });

  mlflowRoute(app, db, "GET", "/databricks/model-versions/get", async ({ ctx, input }) => ({
    model_version_databricks: await databricksVersion(ctx, reqString(input, "name"), reqVersion(input)),
  }));

  mlflowRoute(app, db, "GET", "/databricks/registered-models/get", async ({ ctx, input }) => {
    const { owner, permission_level, ...model } = await getModelForPortal(ctx, reqString(input, "name"));
    return { registered_model_databricks: { ...model, permission_level: DATABRICKS_LEVEL[permission_level], user_id: owner ?? "" } };
  });

  mlflowRoute(app, db, "POST", "/comments/create", async ({ ctx, input }) => ({
    comment: await createComment(ctx, { name: reqString(input, "name"), version: reqVersion(input), comment: optString(input, "comment") ?? "" }),
  }));
  mlflowRoute(app, db, "PATCH", "/comments/update", async ({ ctx, input }) => ({
    comment: await updateComment(ctx, { id: reqString(input, "id"), comment: optString(input, "comment") ?? "" }),
  }));
  mlflowRoute(app, db, "DELETE", "/comments/delete", async ({ ctx, input, req }) => {
    await deleteComment(ctx, { id: reqString(withQuery(input, req.query), "id") });
  });

  async function databricksVersion(ctx: Parameters<typeof getModelVersion>[0], name: string, version: string) {
    const [mv, level, open] = await Promise.all([
      getModelVersion(ctx, { name, version }),
      modelLevel(ctx, name),
      listApprovalRequests(ctx, { kind: "version", name, version, openOnly: true }),
    ]);
    return {
      ...mv,
      ...(level ? { permission_level: DATABRICKS_LEVEL[level] } : {}),
      open_requests: open.map(requestActivity),
      email_subscription_status: "DEFAULT",
    };
  }
}
