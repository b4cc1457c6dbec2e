import crypto from "node:crypto";
import { expect, test } from "@playwright/test";
import { linearOnnxModel } from "@modelgate/serving/testing";
import { mlflow, newToken, shot, signInAsAdmin } from "./helpers.ts";

// A data scientist serves a registered ONNX model from the portal, tries it with the form built
// from its signature, reads its traffic, and scores a CSV file as a batch job.

test("an endpoint is created in the portal, tried from its signature form, and a CSV is batch scored", async ({ page, request }) => {
  await signInAsAdmin(page);
  const token = await newToken(page, "e2e-serving");
  const api = mlflow(request, token);
  const suffix = crypto.randomBytes(3).toString("hex");
  const model = linearOnnxModel({ features: 3, weights: [1, 2, 3], bias: 0.5 });

  const { experiment_id } = await api.post("experiments/create", { name: `e2e-serving-${suffix}` });
  const { run } = await api.post("runs/create", { experiment_id, run_name: "linear", start_time: Date.now() });
  const runId = run.info.run_id as string;
  const base = `${experiment_id}/${runId}/artifacts`;
  const onnx = await request.put(`/api/2.0/mlflow-artifacts/artifacts/${base}/model/model.onnx`, { headers: { authorization: `Bearer ${token}`, "content-type": "application/octet-stream" }, data: Buffer.from(model.bytes) });
  expect(onnx.status()).toBe(200);
  await api.put(`${base}/model/MLmodel`, model.mlmodel);
  await api.put(`${base}/model/input_example.json`, model.inputExample);
  await api.put(`${base}/sklearn/MLmodel`, "artifact_path: sklearn\nflavors:\n  sklearn:\n    pickled_model: model.pkl\n");
  await api.put(`${base}/data/input.csv`, `f0,f1,f2\n${Array.from({ length: 50 }, (_, i) => `${i},1,2`).join("\n")}\n`);

  const name = `linear-${suffix}`;
  await api.post("registered-models/create", { name });
  await api.post("model-versions/create", { name, source: `runs:/${runId}/model`, run_id: runId });
  await api.post("registered-models/alias", { name, alias: "champion", version: "1" });
  const pickled = `pickled-${suffix}`;
  await api.post("registered-models/create", { name: pickled });
  await api.post("model-versions/create", { name: pickled, source: `runs:/${runId}/sklearn`, run_id: runId });

  // a model without an onnx flavor is refused with the flavors it has
  await page.goto("/serving");
  await page.getByTestId("create-endpoint-button").click();
  await page.getByTestId("endpoint-name-input").fill(`bad-${suffix}`);
  await page.getByTestId("endpoint-model-input").fill(pickled);
  await page.getByTestId("endpoint-target-kind").getByText("Version").click();
  await page.getByTestId("endpoint-target-value").fill("1");
  await page.getByTestId("create-endpoint-submit").click();
  await expect(page.getByTestId("create-endpoint-error")).toContainText("sklearn");
  await page.keyboard.press("Escape");

  // serve name@champion
  const endpoint = `ep-${suffix}`;
  await page.getByTestId("create-endpoint-button").click();
  await page.getByTestId("endpoint-name-input").fill(endpoint);
  await page.getByTestId("endpoint-model-input").fill(name);
  await page.getByTestId("endpoint-target-value").fill("champion");
  await page.getByTestId("create-endpoint-submit").click();
  await expect(page).toHaveURL(new RegExp(`/serving/${endpoint}$`));
  await expect(page.getByTestId("endpoint-state")).toHaveText("ready");
  await expect(page.getByTestId("endpoint-served-version")).toHaveAttribute("data-version", "1");

  // the form is built from the signature and prefilled from the input example
  const example = JSON.parse(model.inputExample) as { data: number[][] };
  await expect(page.getByTestId("try-it-input-f0")).toHaveValue(String(example.data[0]![0]));
  await page.getByTestId("try-it-input-f0").fill("1");
  await page.getByTestId("try-it-input-f1").fill("1");
  await page.getByTestId("try-it-input-f2").fill("1");
  await page.getByTestId("try-it-submit").click();
  await expect(page.getByTestId("try-it-predictions")).toContainText("6.5");
  await expect(page.getByTestId("try-it-version")).toContainText("version 1");
  await page.getByTestId("try-it-input-f1").fill("abc");
  await page.getByTestId("try-it-submit").click();
  await expect(page.getByTestId("try-it-error")).toContainText("f1");

  // traffic over HTTP shows on the page and in the list
  for (let i = 0; i < 5; i++) {
    const r = await request.post(`/serving-endpoints/${endpoint}/invocations`, { headers: { authorization: `Bearer ${token}` }, data: { dataframe_split: { columns: ["f0", "f1", "f2"], data: [[1, 2, 3]] } } });
    expect(r.status(), await r.text()).toBe(200);
  }
  await expect(page.getByTestId("endpoint-metric-requests")).not.toHaveText("0", { timeout: 10_000 });
  await expect(page.getByTestId("endpoint-curl")).toContainText(`/serving-endpoints/${endpoint}/invocations`);
  await shot(page, "60-endpoint-page");
  await page.goto("/serving");
  await expect(page.getByTestId(`endpoint-row-${endpoint}`)).toContainText(`${name}@champion`);
  await shot(page, "61-endpoints-list");

  // the model and version pages list the endpoint
  await page.goto(`/models/${name}/versions/1`);
  await expect(page.getByTestId(`model-endpoint-${endpoint}`)).toBeVisible();

  // point the endpoint at a fixed version 2
  await api.post("model-versions/create", { name, source: `runs:/${runId}/model`, run_id: runId });
  await page.goto(`/serving/${endpoint}`);
  await page.getByTestId("change-target-button").click();
  await page.getByTestId("endpoint-target-kind").getByText("Version").click();
  await page.getByTestId("endpoint-target-value").fill("2");
  await page.getByTestId("change-target-submit").click();
  await expect(page.getByTestId("endpoint-target")).toHaveText(`${name}/2`);
  await expect(page.getByTestId("endpoint-served-version")).toHaveAttribute("data-version", "2");

  // batch scoring of the run's CSV
  await page.goto("/serving/batch");
  await page.getByTestId("new-batch-job").click();
  await page.getByTestId("batch-model-input").fill(name);
  await page.getByTestId("batch-version-input").click();
  await page.getByRole("option", { name: "1", exact: true }).click();
  await page.getByTestId("batch-input-run").fill(runId);
  await page.getByTestId("batch-input-path").fill("data/input.csv");
  await page.getByTestId("batch-experiment-input").click();
  await page.getByRole("option", { name: `e2e-serving-${suffix}` }).click();
  await page.getByTestId("new-batch-job-submit").click();
  const row = page.locator('[data-testid^="batch-job-row-"]').first();
  await expect(row).toHaveAttribute("data-status", "SUCCEEDED", { timeout: 30_000 });
  await expect(row.locator('[data-testid^="batch-progress-"]')).toHaveAttribute("data-rows-done", "50");
  await shot(page, "62-batch-jobs");

  // delete the endpoint
  await page.goto(`/serving/${endpoint}`);
  await page.getByTestId("delete-endpoint-button").click();
  await page.getByTestId("confirm-delete-input").fill(endpoint);
  await page.getByTestId("confirm-delete").click();
  await expect(page).toHaveURL(/\/serving$/);
  await expect(page.getByTestId(`endpoint-row-${endpoint}`)).toHaveCount(0);
});
