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

test("the runs table groups nested runs, sorts and pages on the server, chooses columns; a run shows its model, images and a long history", async ({ page, request }) => {
  await signInAsAdmin(page);
  const api = mlflow(request, await newToken(page));
  const { experiment_id } = await api.post("experiments/create", { name: `e2e-views-${crypto.randomBytes(3).toString("hex")}` });
  const t0 = Date.now() - 3_600_000;

  // 250 plain runs (more than one page of 200) with an "acc" metric, then a parent with two children, the newest
  const total = 250;
  for (let i = 0; i < total; i += 25) {
    await Promise.all(
      Array.from({ length: 25 }, async (_, j) => {
        const n = i + j;
        const { run } = await api.post("runs/create", { experiment_id, run_name: `plain-${n}`, start_time: t0 + n * 1000, tags: [] });
        await api.post("runs/log-batch", { run_id: run.info.run_id, metrics: [{ key: "acc", value: n / total, timestamp: t0, step: 0 }], params: [{ key: "opt", value: n % 2 ? "adam" : "sgd" }], tags: [{ key: "team", value: `team-${n % 3}` }] });
      }),
    );
  }
  const { run: parent } = await api.post("runs/create", { experiment_id, run_name: "sweep", start_time: t0 + 400_000, tags: [] });
  const parentId = parent.info.run_id as string;
  const childIds: string[] = [];
  for (const c of [0, 1]) {
    const { run } = await api.post("runs/create", { experiment_id, run_name: `sweep-child-${c}`, start_time: t0 + 401_000 + c * 1000, tags: [{ key: "mlflow.parentRunId", value: parentId }] });
    childIds.push(run.info.run_id as string);
  }

  await page.goto(`/experiments/${experiment_id}`);
  const count = page.getByTestId("runs-count");
  await expect(count).toContainText(`${total + 3} runs · 200 loaded`);
  // nested: the children sit under their parent, shown when it is expanded
  await expect(page.getByTestId(`run-row-${parentId}`)).toContainText("(2)");
  await expect(page.getByTestId(`run-row-${childIds[0]}`)).toHaveCount(0);
  await page.getByLabel("Expand child runs of sweep").click();
  for (const id of childIds) await expect(page.getByTestId(`run-row-${id}`)).toBeVisible();
  await shot(page, "27-nested-runs");

  // virtualised rows, the next page fetched on scroll
  expect(await page.locator('tr[data-testid^="run-row-"]').count()).toBeLessThan(120);
  await page.getByTestId("runs-table-scroll").evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
  await expect(count).toHaveText(`${total + 3} runs`);
  await page.getByTestId("runs-table-scroll").evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
  await expect(page.getByRole("link", { name: "plain-0", exact: true })).toBeVisible();
  expect(await page.locator('tr[data-testid^="run-row-"]').count()).toBeLessThan(120);

  // sorting is the server's: descending, then ascending; runs without the metric come last both ways
  const firstRunName = () => page.locator('tr[data-testid^="run-row-"]').first().getByRole("link").first();
  await page.getByRole("button", { name: "Sort by acc" }).click();
  await expect(page.getByRole("columnheader", { name: /acc/ })).toHaveAttribute("aria-sort", "descending");
  await expect(firstRunName()).toHaveText(`plain-${total - 1}`);
  await page.getByRole("button", { name: "Sort by acc" }).click();
  await expect(page.getByRole("columnheader", { name: /acc/ })).toHaveAttribute("aria-sort", "ascending");
  await expect(firstRunName()).toHaveText("plain-0");
  // the new order is a new list, paged again from the top: scroll until all of it is loaded
  const scroller = page.getByTestId("runs-table-scroll");
  await expect(async () => {
    await scroller.evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
    await expect(count).toHaveText(`${total + 3} runs`, { timeout: 1000 });
  }).toPass();
  await scroller.evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
  await expect(page.locator('tr[data-testid^="run-row-"]').last()).toContainText("sweep");

  // the column chooser adds a tag column
  await expect(page.getByRole("columnheader", { name: /team/ })).toHaveCount(0);
  await page.getByRole("button", { name: /Columns/ }).click();
  await page.getByTestId("column-chooser").getByLabel("team").check();
  await page.keyboard.press("Escape");
  await expect(page.getByRole("columnheader", { name: /team/ })).toBeVisible();
  await expect(page.getByTestId("column-chooser")).toBeHidden();
  await shot(page, "28-runs-sorted-columns");

  // the parent run: an MLmodel shown as flavors, signature and input example; an image; a long history drawn downsampled
  const mlmodel = [
    "artifact_path: model",
    "flavors:",
    "  python_function:",
    "    loader_module: mlflow.sklearn",
    "    python_version: 3.11.7",
    "  sklearn:",
    "    sklearn_version: 1.4.2",
    "    serialization_format: cloudpickle",
    "mlflow_version: 2.12.1",
    "saved_input_example_info:",
    "  artifact_path: input_example.json",
    "  type: dataframe",
    "  pandas_orient: split",
    "signature:",
    '  inputs: \'[{"type": "double", "name": "sepal_length", "required": true}, {"type": "double", "name": "petal_width", "required": true}]\'',
    '  outputs: \'[{"type": "long", "required": true}]\'',
  ].join("\n");
  await api.put(`${experiment_id}/${parentId}/artifacts/model/MLmodel`, mlmodel, "text/plain");
  await api.put(`${experiment_id}/${parentId}/artifacts/model/input_example.json`, JSON.stringify({ columns: ["sepal_length", "petal_width"], data: [[5.1, 0.2]] }), "application/json");
  const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==", "base64");
  await api.put(`${experiment_id}/${parentId}/artifacts/plots/confusion.png`, png, "image/png");
  const points = 30_000;
  for (let from = 0; from < points; from += 1000) {
    await api.post("runs/log-batch", { run_id: parentId, metrics: Array.from({ length: 1000 }, (_, i) => ({ key: "loss", value: Math.exp(-(from + i) / 5000), timestamp: t0 + from + i, step: from + i })) });
  }

  await page.goto(`/experiments/${experiment_id}/runs/${parentId}`);
  await page.getByRole("tab", { name: "Artifacts" }).click();
  await page.getByTestId("artifact-model").click();
  await page.getByTestId("artifact-model/MLmodel").click();
  const preview = page.getByTestId("mlmodel-preview");
  await expect(preview).toContainText("python_function");
  await expect(preview).toContainText("sklearn");
  await expect(preview.getByRole("table", { name: "Signature inputs" })).toContainText("sepal_length");
  await expect(preview.getByRole("table", { name: "Signature inputs" })).toContainText("petal_width");
  await expect(preview).toContainText("5.1");
  await shot(page, "29-mlmodel-preview");
  await page.getByTestId("artifact-plots").click();
  await page.getByTestId("artifact-plots/confusion.png").click();
  const image = page.getByTestId("artifact-image");
  await expect(image).toBeVisible();
  await expect.poll(() => image.evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBe(1);

  await page.getByRole("tab", { name: /Metric charts/ }).click();
  const chart = page.getByTestId("metric-chart-loss");
  await expect(chart).not.toHaveAttribute("data-loading", /.*/);
  const drawn = Number(await chart.getAttribute("data-points"));
  expect(drawn).toBeGreaterThan(100);
  expect(drawn).toBeLessThanOrEqual(1000);
});

test("experiments are created, found, renamed, deleted and restored in the portal; a grant on the Permissions tab lets another user log runs", async ({ page, request }) => {
  await signInAsAdmin(page);
  const admin = mlflow(request, await newToken(page));
  const suffix = crypto.randomBytes(3).toString("hex");
  const cara = { username: `cara-${suffix}`, password: "cara has a long password" };
  await admin.post("users/create", cara);
  const asCara = mlflow(request, `${cara.username}:${cara.password}`);

  // create and find
  const name = `e2e-exp-${suffix}`;
  await page.goto("/experiments");
  await page.getByRole("button", { name: "New experiment" }).click();
  await page.getByLabel("Experiment name").fill(name);
  await page.getByRole("button", { name: "Create" }).click();
  await page.getByLabel("Search experiments").fill(suffix);
  const rows = page.getByRole("table", { name: "Experiments" }).locator("tbody tr");
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText(name);
  const { experiment } = await admin.get("experiments/get-by-name", { experiment_name: name });
  const id = experiment.experiment_id as string;

  // rename
  const renamed = `${name}-renamed`;
  await page.getByLabel(`Actions for ${name}`).click();
  await page.getByRole("menuitem", { name: "Rename" }).click();
  await page.getByLabel("New name").fill(renamed);
  await page.getByRole("button", { name: "Rename" }).click();
  await expect(page.getByTestId(`experiment-row-${id}`)).toContainText(renamed);
  expect((await admin.get("experiments/get", { experiment_id: id })).experiment.name).toBe(renamed);

  // delete: gone from the list; shown with "Show deleted", and restored from there
  await page.getByLabel(`Actions for ${renamed}`).click();
  await page.getByRole("menuitem", { name: "Delete" }).click();
  await expect(page.getByTestId(`experiment-row-${id}`)).toHaveCount(0);
  expect((await admin.get("experiments/get", { experiment_id: id })).experiment.lifecycle_stage).toBe("deleted");
  await page.getByLabel("Show deleted").check();
  await expect(page.getByTestId(`experiment-row-${id}`)).toContainText("deleted");
  await shot(page, "12-experiment-deleted");
  await page.getByLabel(`Actions for ${renamed}`).click();
  await page.getByRole("menuitem", { name: "Restore" }).click();
  await expect(page.getByTestId(`experiment-row-${id}`)).not.toContainText("deleted");
  expect((await admin.get("experiments/get", { experiment_id: id })).experiment.lifecycle_stage).toBe("active");

  // grants: cara reads by default but may not log; EDIT lets her; removing it takes that back
  const createRun = () => request.post("/api/2.0/mlflow/runs/create", { headers: { authorization: `Basic ${Buffer.from(`${cara.username}:${cara.password}`).toString("base64")}` }, data: { experiment_id: id, start_time: Date.now() } });
  expect((await asCara.get("experiments/get", { experiment_id: id })).experiment.name).toBe(renamed);
  expect((await createRun()).status()).toBe(403);
  await page.getByTestId(`experiment-row-${id}`).getByRole("link", { name: renamed }).click();
  await page.getByRole("tab", { name: "Permissions" }).click();
  const panel = page.getByTestId("permissions-panel");
  await panel.getByLabel("Username").fill(cara.username);
  await panel.getByRole("combobox", { name: "Level" }).click();
  await page.getByRole("option", { name: "Edit" }).click();
  await panel.getByRole("button", { name: "Grant" }).click();
  const grant = panel.getByTestId(`permission-row-${cara.username}`);
  await expect(grant).toBeVisible();
  await expect(grant.getByRole("combobox", { name: `Level for ${cara.username}` })).toHaveValue("Edit");
  await shot(page, "13-experiment-permissions");
  expect((await createRun()).status()).toBe(200);
  await grant.getByRole("button", { name: `Remove ${cara.username}` }).click();
  await expect(grant).toHaveCount(0);
  expect((await createRun()).status()).toBe(403);
});
