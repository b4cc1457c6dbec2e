import crypto from "node:crypto";
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { mlflow, newToken, shot, signInAsAdmin } from "./helpers.ts";

// MLflow 3: a data scientist logs models with `mlflow.sklearn.log_model(model, name="model")`
// (each a LoggedModel of the experiment), finds and compares them on the experiment's Models tab,
// reads one (metrics per dataset, params, MLmodel), registers it, and follows the links between
// the model, its run and its version; a reviewer sees the model's evidence on the approval
// request. A prompt registered with the prompt registry reads as a template.

const MLMODEL = `artifact_path: ARTIFACT_URI
flavors:
  python_function:
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.sklearn
    model_path: model.pkl
    predict_fn: predict
    python_version: 3.11.9
  sklearn:
    code: null
    pickled_model: model.pkl
    serialization_format: cloudpickle
    sklearn_version: 1.5.2
is_signature_from_type_hint: false
mlflow_version: 3.6.0
model_id: MODEL_ID
model_size_bytes: 1024
model_uuid: MODEL_ID
prompts: null
run_id: RUN_ID
saved_input_example_info:
  artifact_path: input_example.json
  pandas_orient: split
  serving_input_path: serving_input_example.json
  type: dataframe
signature:
  inputs: '[{"type": "double", "name": "sepal_length", "required": true}, {"type": "double", "name": "petal_width", "required": true}]'
  outputs: '[{"type": "long", "required": true}]'
  params: null
utc_time_created: '2026-11-25 10:11:12.123456'
`;

type Api = ReturnType<typeof mlflow>;

/** PATCH, which the shared helper does not send: finalizing a logged model. */
async function patch(request: APIRequestContext, token: string, endpoint: string, data: unknown) {
  const r = await request.patch(`/api/2.0/mlflow/${endpoint}`, { headers: { authorization: `Bearer ${token}` }, data });
  expect(r.status(), `${endpoint}: ${await r.text()}`).toBe(200);
}

/**
 * One `log_model` call inside a run, as the 3.x client makes it (mlflow3-compat.md): create the
 * model with its params, mark it as the run's output, re-send the run's metrics with its model_id,
 * upload its files under <exp>/models/<id>/artifacts, finalize. Then an evaluation on a dataset
 * (`mlflow.log_metric(..., model_id=, dataset=)`).
 */
async function logModel(api: Api, request: APIRequestContext, token: string, o: { experimentId: string; runName: string; name: string; accuracy: number; evalAccuracy: number; nEstimators: string; modelType?: string }) {
  const t0 = Date.now();
  const { run } = await api.post("runs/create", { experiment_id: o.experimentId, run_name: o.runName, start_time: t0, tags: [] });
  const runId = run.info.run_id as string;
  const trainMetrics = [{ key: "accuracy", value: o.accuracy, timestamp: t0, step: 0 }, { key: "f1", value: Number((o.accuracy - 0.02).toFixed(2)), timestamp: t0, step: 0 }];
  await api.post("runs/log-batch", { run_id: runId, metrics: trainMetrics, params: [{ key: "n_estimators", value: o.nEstimators }] });

  await api.get("runs/get", { run_id: runId });
  const { model } = await api.post("logged-models", {
    experiment_id: o.experimentId,
    name: o.name,
    source_run_id: runId,
    model_type: o.modelType ?? "",
    params: [{ key: "n_estimators", value: o.nEstimators }, { key: "criterion", value: "gini" }],
    tags: [{ key: "mlflow.source.name", value: "train.py" }, { key: "team", value: "iris" }],
  });
  const modelId = model.info.model_id as string;
  expect(model.info.status).toBe("LOGGED_MODEL_PENDING");
  await api.post("runs/outputs", { run_id: runId, models: [{ model_id: modelId, step: 0 }] });
  for (const key of ["accuracy", "f1"]) await api.get("metrics/get-history", { run_id: runId, metric_key: key });
  await api.post("runs/log-batch", { run_id: runId, metrics: trainMetrics.map((m) => ({ ...m, model_id: modelId })) });

  const base = `${o.experimentId}/models/${modelId}/artifacts`;
  await api.put(`${base}/MLmodel`, MLMODEL.replace("ARTIFACT_URI", `mlflow-artifacts:/${base}`).replaceAll("MODEL_ID", modelId).replace("RUN_ID", runId));
  await api.put(`${base}/input_example.json`, JSON.stringify({ columns: ["sepal_length", "petal_width"], data: [[5.1, 0.2], [6.7, 2.3]] }), "application/json");
  await api.put(`${base}/model.pkl`, "not really a pickle");
  await patch(request, token, `logged-models/${modelId}`, { status: "LOGGED_MODEL_READY" });

  await api.post("runs/log-batch", { run_id: runId, metrics: [{ key: "accuracy", value: o.evalAccuracy, timestamp: t0 + 1000, step: 0, model_id: modelId, dataset_name: "iris_eval", dataset_digest: "3f2a9c1e" }] });
  await api.post("runs/update", { run_id: runId, status: "FINISHED", end_time: t0 + 2000 });
  return { modelId, runId, name: o.name };
}

/** The logged model ids of the table's rows, top to bottom. */
const rowIds = (page: Page) =>
  page.getByTestId("logged-models-table").locator("tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-testid")?.replace("logged-model-row-", "")));

test("logged models are listed, filtered, sorted, read, registered and linked to their run and version; a prompt reads as a template", async ({ page, request }) => {
  await signInAsAdmin(page);
  const token = await newToken(page, "e2e-logged-models");
  const api = mlflow(request, token);
  const suffix = crypto.randomBytes(3).toString("hex");
  const { experiment_id: experimentId } = await api.post("experiments/create", { name: `e2e-logged-models-${suffix}` });

  const small = await logModel(api, request, token, { experimentId, runName: "rf-small", name: "iris-rf-small", accuracy: 0.84, evalAccuracy: 0.82, nEstimators: "10" });
  const medium = await logModel(api, request, token, { experimentId, runName: "rf-medium", name: "iris-rf-medium", accuracy: 0.93, evalAccuracy: 0.91, nEstimators: "50" });
  const large = await logModel(api, request, token, { experimentId, runName: "rf-large", name: "iris-rf-large", accuracy: 0.97, evalAccuracy: 0.95, nEstimators: "200", modelType: "classifier" });

  // the experiment's Models tab: one row per model, metric and param columns
  await page.goto(`/experiments/${experimentId}`);
  await page.getByRole("tab", { name: "Models" }).click();
  await expect(page).toHaveURL(/\?tab=models$/);
  for (const m of [small, medium, large]) await expect(page.getByTestId(`logged-model-row-${m.modelId}`)).toBeVisible();
  await expect(page.getByTestId("logged-models-count")).toHaveText("3 models");
  const header = page.getByTestId("logged-models-table").locator("thead");
  await expect(header.getByRole("button", { name: "Sort by accuracy", exact: true })).toBeVisible();
  await expect(header.getByRole("button", { name: "Sort by accuracy (iris_eval)" })).toBeVisible();
  await expect(header).toContainText("n_estimators");
  const largeRow = page.getByTestId(`logged-model-row-${large.modelId}`);
  await expect(largeRow.locator('td[data-column="metrics.accuracy (iris_eval)"]')).toHaveText("0.95");
  await expect(largeRow.locator('td[data-column="params.n_estimators"]')).toHaveText("200");
  await expect(largeRow.locator('td[data-column="source_run"]')).toHaveText("rf-large");
  await expect(largeRow.getByTestId("logged-model-status")).toHaveText("ready");
  await expect(largeRow.locator('td[data-column="model_type"]')).toHaveText("classifier");
  // newest first by default
  expect(await rowIds(page)).toEqual([large.modelId, medium.modelId, small.modelId]);
  await shot(page, "60-logged-models-tab");

  // the filter box: a malformed filter says what is wrong inline; a metric filter keeps the matches
  const filter = page.getByLabel("Filter models");
  await filter.fill("metrics.accuracy >>> 1");
  await expect(page.getByText(/Invalid comparison operator for metrics.accuracy: '>>>'/)).toBeVisible();
  await filter.fill("metrics.accuracy > 0.9");
  await filter.press("Enter");
  await expect(page.getByTestId("logged-models-count")).toHaveText("2 models");
  await expect(page.getByTestId(`logged-model-row-${small.modelId}`)).toHaveCount(0);
  expect((await rowIds(page)).sort()).toEqual([medium.modelId, large.modelId].sort());
  await shot(page, "61-logged-models-filtered");

  // sort on the server by the evaluation metric: descending, then ascending
  await page.getByRole("button", { name: "Clear" }).click();
  await expect(page.getByTestId("logged-models-count")).toHaveText("3 models");
  const byEval = header.getByRole("button", { name: "Sort by accuracy (iris_eval)" });
  await byEval.click();
  await expect(header.locator("th[aria-sort=descending]")).toContainText("accuracy (iris_eval)");
  await expect.poll(() => rowIds(page)).toEqual([large.modelId, medium.modelId, small.modelId]);
  await byEval.click();
  await expect(header.locator("th[aria-sort=ascending]")).toContainText("accuracy (iris_eval)");
  await expect.poll(() => rowIds(page)).toEqual([small.modelId, medium.modelId, large.modelId]);
  await shot(page, "62-logged-models-sorted");

  // the logged model page: details, metrics per dataset, params, the MLmodel preview
  await page.getByTestId(`logged-model-link-${large.modelId}`).click();
  await expect(page.getByTestId("logged-model-name")).toHaveText(large.name);
  await expect(page.getByTestId("logged-model-id")).toHaveText(large.modelId);
  await expect(page.getByTestId("logged-model-run-link")).toHaveText("rf-large");
  await expect(page.getByTestId("metrics-dataset-none")).toContainText("0.97");
  await expect(page.getByTestId("metrics-dataset-iris_eval-3f2a9c1e")).toContainText("0.95");
  await expect(page.getByTestId("metrics-dataset-iris_eval-3f2a9c1e")).toContainText("3f2a9c1e");
  await expect(page.getByTestId("logged-model-params")).toContainText("criterion");
  await expect(page.getByTestId("tags")).toContainText("team");
  await expect(page.getByTestId("tags")).not.toContainText("mlflow.source.name");
  const preview = page.getByTestId("mlmodel-preview");
  await expect(preview).toContainText("sklearn");
  await expect(preview).toContainText("sepal_length");
  await expect(preview).toContainText("6.7");
  await expect(page.getByTestId("logged-model-registrations")).toHaveText("Not registered yet.");
  await shot(page, "63-logged-model-page");

  // register it from its page into a new registered model: the version page links back
  const registered = `iris-${suffix}`;
  await page.getByTestId("register-logged-model").click();
  await expect(page.getByTestId("register-model-source")).toHaveText(`models:/${large.modelId}`);
  await page.getByTestId("register-model-name").fill(registered);
  await shot(page, "64-register-logged-model");
  await page.getByRole("button", { name: "Register", exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/models/${registered}/versions/1$`));
  await expect(page.getByTestId("version-source")).toHaveText(`models:/${large.modelId}`);
  await expect(page.getByTestId("version-logged-model-link")).toHaveText(large.name);
  await expect(page.getByTestId("source-logged-model-link")).toHaveText(large.name);
  await expect(page.getByTestId("source-run-link")).toHaveText("rf-large");
  await expect(page.getByTestId("signature-table")).toContainText("petal_width");
  await shot(page, "65-version-from-logged-model");
  await page.getByTestId("version-logged-model-link").click();
  await expect(page.getByTestId("logged-model-registrations")).toHaveText(`${registered} v1`);

  // the run page lists the model it logged
  await page.getByTestId("logged-model-run-link").click();
  const runModels = page.getByTestId("run-logged-models");
  await expect(runModels).toContainText(large.name);
  await expect(runModels).toContainText(`${registered} v1`);
  await expect(runModels).toContainText("logged at step 0");
  await shot(page, "66-run-logged-models");
  await runModels.getByRole("link", { name: large.name }).click();
  await expect(page.getByTestId("logged-model-name")).toHaveText(large.name);

  // a reviewer's request page shows the evidence the model was logged with
  await page.goto(`/models/${registered}/versions/1`);
  await page.getByTestId("request-transition-button").click();
  await page.getByTestId("request-stage-Production").click();
  await page.getByTestId("request-comment").fill("Best eval accuracy of the sweep");
  await page.getByTestId("request-submit").click();
  await expect(page.getByTestId("open-requests")).toContainText("Production");
  await page.getByTestId("open-requests").getByRole("link").first().click();
  const evidence = page.getByTestId("logged-model-evidence");
  await expect(evidence.getByTestId("evidence-logged-model-link")).toHaveText(large.name);
  await expect(evidence.getByTestId("evidence-metrics")).toContainText("iris_eval");
  await expect(evidence.getByTestId("evidence-metrics")).toContainText("0.95");
  await expect(evidence.getByTestId("evidence-params")).toContainText("200");
  await expect(page.getByTestId("source-run-metrics")).toContainText("f1");
  await shot(page, "67-request-logged-model-evidence");

  // a prompt, registered as the 3.x client's register_prompt does: the model and its versions tagged
  const prompt = `summarize-${suffix}`;
  const isPrompt = { key: "mlflow.prompt.is_prompt", value: "true" };
  await api.post("registered-models/create", { name: prompt, tags: [isPrompt], description: "Summaries for the support inbox" });
  await api.post("model-versions/create", {
    name: prompt,
    source: "dummy-source",
    description: "First draft",
    tags: [isPrompt, { key: "mlflow.prompt.text", value: "Summarize {{ text }} in {{ n_words }} words." }, { key: "_mlflow_prompt_type", value: "text" }],
  });
  const chat = [{ role: "system", content: "You are a concise assistant." }, { role: "user", content: "Summarize {{ text }} in {{ n_words }} words." }];
  await api.post("model-versions/create", {
    name: prompt,
    source: "dummy-source",
    description: "Chat format",
    tags: [isPrompt, { key: "mlflow.prompt.text", value: JSON.stringify(chat) }, { key: "_mlflow_prompt_type", value: "chat" }],
  });

  await page.goto("/models");
  await expect(page.getByTestId(`prompt-badge-${prompt}`)).toBeVisible();
  await expect(page.getByTestId(`prompt-badge-${registered}`)).toHaveCount(0);
  await page.getByRole("link", { name: prompt, exact: true }).click();
  await expect(page.getByTestId("prompt-badge")).toBeVisible();
  const view = page.getByTestId("prompt-view");
  await expect(view.getByTestId("prompt-type")).toHaveText("chat");
  await expect(view.getByTestId("prompt-message-0")).toContainText("You are a concise assistant.");
  await expect(view.getByTestId("prompt-message-1")).toContainText("{{ text }}");
  await expect(view.getByTestId("prompt-commit-message")).toContainText("Chat format");
  await expect(view.getByTestId("prompt-variables")).toContainText("n_words");
  await expect(page.getByTestId("tags")).not.toContainText("mlflow.prompt.is_prompt");
  await shot(page, "68-prompt-model-page");

  await page.goto(`/models/${prompt}/versions/1`);
  await expect(page.getByTestId("prompt-view").getByTestId("prompt-text")).toHaveText("Summarize {{ text }} in {{ n_words }} words.");
  await expect(page.getByTestId("prompt-view").getByTestId("prompt-type")).toHaveText("text");
  await expect(page.getByTestId("prompt-commit-message")).toContainText("First draft");
  await expect(page.getByTestId("tag-row-mlflow.prompt.text")).toHaveCount(0);
  await expect(page.getByTestId("mlmodel")).toHaveCount(0);
  await shot(page, "69-prompt-version-page");
});
