import crypto from "node:crypto";
import { expect, test } from "@playwright/test";
import { mlflow, newToken, shot, signIn, signInAsAdmin } from "./helpers.ts";

// Two people and a protected stage: Ana (data scientist) asks for Production; Ben (reviewer,
// MANAGE_PRODUCTION_VERSIONS on the model) finds the request in his inbox and approves it; Ana
// sees the version in Production and the activity. Ana cannot approve her own request.

test("A requests Production, B approves from the inbox, A sees the result; A cannot approve her own request", async ({ browser, request }) => {
  const suffix = crypto.randomBytes(3).toString("hex");
  const ana = { username: `ana-${suffix}`, password: "ana has a long password" };
  const ben = { username: `ben-${suffix}`, password: "ben has a long password" };

  // the admin creates both accounts through MLflow's auth API (admin-only here)
  const adminCtx = await browser.newContext();
  const adminPage = await adminCtx.newPage();
  await signInAsAdmin(adminPage);
  const admin = mlflow(request, await newToken(adminPage, "e2e-approvals"));
  for (const u of [ana, ben]) await admin.post("users/create", u);

  // Ana registers a model with two versions from a run (basic auth, as MLFLOW_TRACKING_USERNAME/PASSWORD)
  const api = mlflow(request, `${ana.username}:${ana.password}`);
  const { experiment_id } = await api.post("experiments/create", { name: `e2e-approvals-${suffix}` });
  const { run } = await api.post("runs/create", { experiment_id, start_time: Date.now() });
  await api.post("runs/log-batch", { run_id: run.info.run_id, metrics: [{ key: "auc", value: 0.93, timestamp: Date.now(), step: 0 }], params: [{ key: "depth", value: "8" }] });
  const model = `churn-${suffix}`;
  await api.post("registered-models/create", { name: model });
  for (let i = 0; i < 2; i++) await api.post("model-versions/create", { name: model, source: `runs:/${run.info.run_id}/model`, run_id: run.info.run_id });
  await admin.post("registered-models/permissions/create", { name: model, username: ben.username, permission: "MANAGE_PRODUCTION_VERSIONS" });

  // Ana asks for Production from the version page
  const anaCtx = await browser.newContext();
  const anaPage = await anaCtx.newPage();
  await signIn(anaPage, ana.username, ana.password);
  await anaPage.goto(`/models/${model}/versions/2`);
  await anaPage.getByTestId("request-transition-button").click();
  await anaPage.getByTestId("request-stage-Production").click();
  await anaPage.getByTestId("request-comment").fill("AUC 0.93 on the holdout set");
  await anaPage.getByTestId("request-submit").click();
  await expect(anaPage.getByTestId("open-requests")).toContainText("Production");
  await shot(anaPage, "40-request-created");

  // on the request page she may cancel but not approve: four-eyes
  await anaPage.getByTestId("open-requests").getByRole("link").first().click();
  await expect(anaPage.getByTestId("request-status")).toContainText("OPEN");
  await expect(anaPage.getByTestId("approve-button")).toHaveCount(0);
  await expect(anaPage.getByTestId("approve-blocked-reason")).toContainText("four-eyes");
  await expect(anaPage.getByTestId("cancel-button")).toBeVisible();
  await shot(anaPage, "41-request-page-requester");

  // Ben sees it in his inbox (with a count in the navigation) and approves it
  const benCtx = await browser.newContext();
  const benPage = await benCtx.newPage();
  await signIn(benPage, ben.username, ben.password);
  await benPage.goto("/approvals");
  await expect(benPage.getByTestId("nav-approvals-count")).toHaveText("1");
  const row = benPage.locator('[data-testid^="request-row-"]').filter({ hasText: model });
  await expect(row).toBeVisible();
  await shot(benPage, "42-inbox");
  await row.getByRole("link").first().click();
  await expect(benPage.getByTestId("request-target")).toContainText("Production");
  await expect(benPage.getByTestId("gate-results")).toBeVisible();
  await benPage.getByTestId("approve-button").click();
  await benPage.getByTestId("decision-comment").fill("Holdout AUC checks out");
  await expect(benPage.getByTestId("approve-archive-checkbox")).toHaveAccessibleName("Archive the versions currently in Production");
  await shot(benPage, "42b-approve-dialog");
  await benPage.getByTestId("approve-confirm").click();
  await expect(benPage.getByTestId("request-status")).toContainText("APPROVED");
  await shot(benPage, "43-request-approved");

  // Ana sees version 2 in Production and the approval in its activity feed
  await anaPage.goto(`/models/${model}/versions/2`);
  await expect(anaPage.getByTestId("version-stage")).toHaveText("Production");
  const feed = anaPage.getByTestId("activity-feed");
  await expect(feed).toContainText(ben.username);
  await expect(feed).toContainText(/approved/i);
  await shot(anaPage, "44-version-production");

  // and the server agrees
  const mv = await api.get("model-versions/get", { name: model, version: "2" });
  expect(mv.model_version.current_stage).toBe("Production");
  // the admin's pages around the workflow: the audit log holds the request and the approval
  await adminPage.goto("/admin/audit");
  await expect(adminPage.getByText("approval.approve").first()).toBeVisible();
  await shot(adminPage, "45-audit-log");
  for (const [path, heading, name] of [["/admin/groups", "Groups", "46-groups"], ["/admin/webhooks", "Webhooks", "47-webhooks"], ["/admin/policies", "Approval policies", "48-policies"]] as const) {
    await adminPage.goto(path);
    await expect(adminPage.getByRole("heading", { name: heading, exact: true })).toBeVisible();
    await shot(adminPage, name);
  }
  // "Add rule" starts from core's default rule (Production, protected), unsaved until Save
  const rules = adminPage.locator("[data-testid^=policy-rule-]");
  const before = await rules.count();
  await adminPage.getByTestId("add-rule").click();
  await expect(rules).toHaveCount(before + 1);
  await expect(rules.last().getByTestId("rule-stage")).toHaveValue("Production");
  await expect(rules.last().getByTestId("rule-protected")).toBeChecked();
  await shot(adminPage, "49-policy-rule-added");

  // an MLflow 3 webhook created in the portal is listed with its name, API and events
  await adminPage.goto("/admin/webhooks");
  await adminPage.getByRole("button", { name: "New webhook" }).click();
  const form = adminPage.getByRole("form", { name: "New MLflow webhook" });
  const hookName = `deploy-${model.slice(-6)}`;
  await form.getByRole("textbox", { name: "Name", exact: true }).fill(hookName);
  await form.getByRole("textbox", { name: "URL", exact: true }).fill("https://93.184.216.34/modelgate");
  await form.getByLabel("model_version.created").check();
  await form.getByLabel("model_version_alias.created").check();
  await shot(adminPage, "47b-webhook-form");
  await form.getByRole("button", { name: "Create webhook" }).click();
  await expect(form).toBeHidden();
  const hookRow = adminPage.locator("[data-testid^=webhook-row-]").filter({ hasText: hookName });
  await expect(hookRow).toContainText("MLflow");
  await expect(hookRow).toContainText("model_version.created");
  await shot(adminPage, "47c-webhook-mlflow-listed");
  await Promise.all([adminCtx.close(), anaCtx.close(), benCtx.close()]);
});
