import crypto from "node:crypto";
import { expect, test } from "@playwright/test";
import { mlflow, newToken, shot, signInAsAdmin } from "./helpers.ts";

// A data scientist logs runs through the MLflow REST API (as the mlflow client would), then finds,
// filters, opens and compares them in the portal.

test("runs logged through the API can be found, filtered, opened and compared in the portal", async ({ page, request }) => {
  await signInAsAdmin(page);
  const api = mlflow(request, await newToken(page));

  const name = `e2e-tracking-${crypto.randomBytes(3).toString("hex")}`;
  const { experiment_id } = await api.post("experiments/create", { name });
  const t0 = Date.now();
  const runs: { id: string; name: string }[] = [];
  for (const [i, lr] of ["0.1", "0.01", "0.001"].entries()) {
    const runName = `trial-${i}`;
    const { run } = await api.post("runs/create", { experiment_id, run_name: runName, start_time: t0 + i * 1000, tags: [{ key: "mlflow.user", value: "dana" }] });
    const runId = run.info.run_id as string;
    runs.push({ id: runId, name: runName });
    const metrics = Array.from({ length: 50 }, (_, step) => ({ key: "loss", value: (1 + i) / (step + 1), timestamp: t0 + step, step }));
    await api.post("runs/log-batch", { run_id: runId, metrics, params: [{ key: "lr", value: lr }, { key: "model", value: "resnet18" }], tags: [{ key: "team", value: "vision" }] });
    await api.post("runs/update", { run_id: runId, status: "FINISHED", end_time: t0 + 60_000 });
  }
  const first = runs[0]!;
  await api.put(`${experiment_id}/${first.id}/artifacts/eval/scores.csv`, "label,score\ncat,0.91\ndog,0.87\n", "text/csv");
  await api.put(`${experiment_id}/${first.id}/artifacts/config.json`, JSON.stringify({ optimizer: "adam", layers: 18 }), "application/json");

  // find the experiment and its runs
  await page.goto("/experiments");
  await page.getByTestId(`experiment-row-${experiment_id}`).getByRole("link", { name }).click();
  await expect(page.getByRole("heading", { name })).toBeVisible();
  for (const r of runs) await expect(page.getByTestId(`run-row-${r.id}`)).toBeVisible();
  await expect(page.getByTestId("runs-count")).toContainText("3 runs");
  await shot(page, "20-runs-table");

  // filter with an expression: only the run whose latest loss is below 0.03
  await page.getByLabel("Filter runs").fill("metrics.loss < 0.03 and params.model = 'resnet18'");
  await page.getByLabel("Filter runs").press("Enter");
  await expect(page.getByTestId("runs-count")).toContainText("1 run");
  await expect(page.getByTestId(`run-row-${first.id}`)).toBeVisible();
  await expect(page.getByTestId(`run-row-${runs[2]!.id}`)).toHaveCount(0);
  await shot(page, "21-runs-filtered");

  // a malformed filter says what is wrong, inline
  await page.getByLabel("Filter runs").fill("metrics.loss >>> 1");
  await page.getByLabel("Filter runs").press("Enter");
  await expect(page.getByText(/Invalid comparator '>>>'/)).toBeVisible();
  await shot(page, "22-filter-error");

  // open a run: its chart and an artifact preview
  await page.getByLabel("Filter runs").fill("");
  await page.getByLabel("Filter runs").press("Enter");
  await page.getByTestId(`run-row-${first.id}`).getByRole("link", { name: first.name }).click();
  await expect(page.getByTestId("run-name")).toHaveText(first.name);
  await expect(page.getByTestId("run-params")).toContainText("0.1");
  await page.getByRole("tab", { name: /Metric charts/ }).click();
  const chart = page.getByTestId("metric-chart-loss");
  await expect(chart).toBeVisible();
  await expect(chart).not.toHaveAttribute("data-loading", /.*/);
  await expect(chart.locator("canvas").first()).toBeVisible();
  await shot(page, "23-run-chart");

  await page.getByRole("tab", { name: "Artifacts" }).click();
  await page.getByTestId("artifact-eval").click();
  await page.getByTestId("artifact-eval/scores.csv").click();
  const csv = page.getByRole("table", { name: "CSV preview" });
  await expect(csv).toContainText("cat");
  await expect(csv).toContainText("0.87");
  await shot(page, "24-artifact-csv");
  await page.getByTestId("artifact-config.json").click();
  await expect(page.getByTestId("artifact-preview")).toContainText("adam");

  // compare two runs
  await page.goto(`/experiments/${experiment_id}`);
  await page.getByLabel(`Select run ${runs[0]!.name}`).check();
  await page.getByLabel(`Select run ${runs[1]!.name}`).check();
  await page.getByTestId("compare-runs").click();
  await expect(page.getByTestId("compare-table")).toBeVisible();
  await expect(page.getByTestId("compare-row-parameters-lr")).toHaveAttribute("data-differs", /.*/);
  await expect(page.getByTestId("compare-row-parameters-model")).not.toHaveAttribute("data-differs", /.*/);
  await expect(page.getByTestId("parallel-coordinates")).toBeVisible();
  await shot(page, "25-compare");

  // live: a running run's page shows metrics as they arrive, and its end, without a reload
  const { run: liveRun } = await api.post("runs/create", { experiment_id, run_name: "live-run", start_time: Date.now(), tags: [] });
  const liveId = liveRun.info.run_id as string;
  const logSteps = (from: number, to: number, key = "loss") =>
    api.post("runs/log-batch", { run_id: liveId, metrics: Array.from({ length: to - from }, (_, i) => ({ key, value: 1 / (from + i + 1), timestamp: Date.now(), step: from + i })) });
  await logSteps(0, 10);
  await page.goto(`/experiments/${experiment_id}/runs/${liveId}`);
  await expect(page.getByTestId("run-live")).toBeVisible();
  await page.getByRole("tab", { name: /Metric charts/ }).click();
  const liveChart = page.getByTestId("metric-chart-loss");
  await expect(liveChart).toHaveAttribute("data-points", "10");
  await logSteps(10, 25);
  await logSteps(0, 5, "accuracy");
  await expect(liveChart).toHaveAttribute("data-points", "25", { timeout: 10_000 });
  await expect(page.getByRole("tab", { name: "Metric charts (2)" })).toBeVisible({ timeout: 10_000 });
  await shot(page, "26-live-run");
  await api.post("runs/update", { run_id: liveId, status: "FINISHED", end_time: Date.now() });
  await expect(page.getByTestId("run-live")).toHaveCount(0, { timeout: 10_000 });
  await expect(page.getByText("FINISHED").first()).toBeVisible();
});
