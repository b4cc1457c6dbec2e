import crypto from "node:crypto";
import { expect, test } from "@playwright/test";
import { mlflow, newToken, shot, signInAsAdmin } from "./helpers.ts";

// A data scientist logs a model with the MLflow API, registers it from the run's artifacts in the
// portal, reads its signature, moves an alias, transitions a stage and reads the history.

const MLMODEL = `artifact_path: model
flavors:
  python_function:
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.sklearn
    model_path: model.pkl
    predict_fn: predict
    python_version: 3.11.4
  sklearn:
    code: null
    pickled_model: model.pkl
    serialization_format: cloudpickle
    sklearn_version: 1.3.0
mlflow_version: 2.12.1
model_uuid: 7d1a0c5e2b6f4b1f9e0a3c2d1b0a9f8e
run_id: RUN_ID
saved_input_example_info:
  artifact_path: input_example.json
  pandas_orient: split
  type: dataframe
signature:
  inputs: '[{"type": "double", "name": "sepal_length", "required": true}, {"type": "double", "name": "petal_width", "required": true}]'
  outputs: '[{"type": "long", "required": true}]'
  params: null
utc_time_created: '2026-11-25 10:11:12.123456'
`;

test("a model logged from a run is registered in the portal, aliased, promoted, and its history read", async ({ page, request }) => {
  await signInAsAdmin(page);
  const api = mlflow(request, await newToken(page, "e2e-registry"));

  const suffix = crypto.randomBytes(3).toString("hex");
  const { experiment_id } = await api.post("experiments/create", { name: `e2e-registry-${suffix}` });
  const { run } = await api.post("runs/create", { experiment_id, run_name: "iris-rf", start_time: Date.now() });
  const runId = run.info.run_id as string;
  await api.post("runs/log-batch", { run_id: runId, params: [{ key: "n_estimators", value: "100" }], metrics: [{ key: "accuracy", value: 0.96, timestamp: Date.now(), step: 0 }] });
  const base = `${experiment_id}/${runId}/artifacts/model`;
  await api.put(`${base}/MLmodel`, MLMODEL.replace("RUN_ID", runId));
  await api.put(`${base}/input_example.json`, JSON.stringify({ columns: ["sepal_length", "petal_width"], data: [[5.1, 0.2]] }));
  await api.put(`${base}/model.pkl`, "not really a pickle");

  // register from the run's artifacts browser, into a new model
  const modelName = `iris-${suffix}`;
  await page.goto(`/experiments/${experiment_id}/runs/${runId}`);
  await page.getByRole("tab", { name: "Artifacts" }).click();
  await page.getByTestId("artifact-model").click();
  await page.getByTestId("register-model-model").click();
  await page.getByTestId("register-model-name").fill(modelName);
  await page.getByRole("button", { name: "Register", exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/models/${modelName}/versions/1$`));

  // the version page shows the MLmodel signature and input example
  const signature = page.getByTestId("signature-table");
  await expect(signature).toContainText("sepal_length");
  await expect(signature).toContainText("petal_width");
  await expect(signature).toContainText("double");
  await expect(page.getByTestId("input-example")).toContainText("5.1");
  await expect(page.getByTestId("version-stage")).toHaveText("None");
  await shot(page, "30-version-page");

  // a second version through the API, as MlflowClient.create_model_version would
  const v2 = await api.post("model-versions/create", { name: modelName, source: `runs:/${runId}/model`, run_id: runId });
  expect(v2.model_version.version).toBe("2");

  // transition version 1 to Staging from its page
  await page.getByTestId("transition-button").click();
  await page.getByTestId("transition-to-Staging").click();
  await expect(page.getByTestId("archive-existing-checkbox")).toHaveAccessibleName("Archive the versions currently in Staging");
  await shot(page, "35-transition-dialog");
  await page.getByTestId("transition-confirm").click();
  await expect(page.getByTestId("version-stage")).toHaveText("Staging");

  // alias champion → v1, then move it to v2, from the model page
  await page.goto(`/models/${modelName}`);
  await expect(page.getByTestId("versions-table")).toContainText("Staging");
  for (const version of ["1", "2"]) {
    await page.getByTestId("set-alias-button").click();
    await page.getByTestId("alias-input").fill("champion");
    await page.getByTestId("alias-version-select").click();
    await page.getByRole("option", { name: new RegExp(`^(Version |v)?${version}\\b`) }).click();
    await page.getByTestId("alias-submit").click();
    await expect(page.getByTestId("alias-badge-champion")).toContainText(`v${version}`);
  }
  await shot(page, "31-model-page");

  // the server agrees: models:/name@champion resolves to version 2
  const byAlias = await api.get("registered-models/alias", { name: modelName, alias: "champion" });
  expect(byAlias.model_version.version).toBe("2");

  // the history tells who moved what, and when
  await page.getByRole("tab", { name: "History" }).click();
  const timeline = page.getByTestId("history-timeline");
  await expect(timeline).toContainText("champion");
  await expect(timeline).toContainText("Staging");
  // the state "now", then at an instant before anything was registered
  await expect(page.getByTestId("state-at-stage-Staging")).toContainText("1");
  await expect(page.getByTestId("state-at-alias-champion")).toContainText("v2");
  await page.getByTestId("state-at-input").fill("2020-01-01T00:00");
  await expect(page.getByTestId("state-at-aliases")).not.toContainText("champion");
  await shot(page, "32-model-history");

  // the models list, and the two versions side by side
  await page.goto("/models");
  await expect(page.getByTestId(`model-row-${modelName}`)).toBeVisible();
  await shot(page, "33-models-list");
  await page.goto(`/models/${modelName}`);
  await page.getByTestId("select-version-1").check();
  await page.getByTestId("select-version-2").check();
  await page.getByTestId("compare-versions-button").click();
  await expect(page.getByTestId("compare-versions-table")).toBeVisible();
  await shot(page, "34-compare-versions");
});
