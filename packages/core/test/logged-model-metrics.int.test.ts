import { beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "@modelgate/db/test-db";
import type { Db } from "@modelgate/db";
import { createLoggedModel, createModelVersion, createRegisteredModel, finalizeLoggedModel, getLoggedModel, getMetricHistory, logBatch, searchLoggedModels } from "../src/index.ts";
import { makeUser, newRun } from "./helpers.ts";

// Metrics logged with a model_id: the model's metrics, the latest value per key that
// logged-models/search orders by (kept by log-batch's statement), and the run's history, which a
// re-sent identical point must not grow.

let db: Db;
beforeAll(async () => {
  db = (await useTestDatabase()).db;
});

describe("model-linked metrics", () => {
  it("keep each (model, key)'s latest value as Postgres orders the stored points, over random batches", async () => {
    const { ctx } = await makeUser(db);
    const run = await newRun(ctx);
    const models = await Promise.all([0, 1].map(() => createLoggedModel(ctx, { experiment_id: run.info.experiment_id, source_run_id: run.info.run_id })));
    let seed = 11;
    const rand = (n: number) => (seed = (seed * 48271) % 2147483647) % n;
    const values = [NaN, Infinity, -Infinity, 0, 1, 2.5, -3];
    const datasets = [undefined, "test", "train"];
    // small pools of timestamps and steps so that ties on (timestamp, step) meet often
    const batch = () =>
      Array.from({ length: 1 + rand(30) }, () => {
        const dataset = datasets[rand(datasets.length)];
        return {
          key: `k${rand(3)}`,
          value: values[rand(values.length)]!,
          timestamp: rand(3),
          step: rand(2),
          model_id: models[rand(2)]!.info.model_id,
          ...(dataset ? { dataset_name: dataset, dataset_digest: `d-${dataset}` } : {}),
        };
      });
    type Row = { model_pk: bigint; key: string; value: number; timestamp: bigint; step: bigint };
    const check = async () => {
      const expected = await db.$queryRaw<Row[]>`
        SELECT DISTINCT ON (x.model_pk, x.key) x.model_pk, x.key, x.value, x.timestamp, x.step
        FROM logged_model_metric x JOIN logged_model m ON m.pk = x.model_pk WHERE m.source_run_id = ${run.info.run_id}
        ORDER BY x.model_pk, x.key, x.timestamp DESC, x.step DESC, x.value DESC`;
      const stored = await db.$queryRaw<Row[]>`
        SELECT l.model_pk, l.key, l.value, l.timestamp, l.step
        FROM logged_model_latest_metric l JOIN logged_model m ON m.pk = l.model_pk WHERE m.source_run_id = ${run.info.run_id}
        ORDER BY l.model_pk, l.key`;
      expect(stored.length).toBeGreaterThan(0);
      expect(stored).toEqual(expected);
    };
    for (let b = 0; b < 15; b++) {
      await logBatch(ctx, { run_id: run.info.run_id, metrics: batch() });
      await check();
    }
  });

  it("a point re-sent with a model_id links the model without growing the run's history; a new one is stored and linked", async () => {
    const { ctx } = await makeUser(db);
    const run = await newRun(ctx);
    const id = run.info.run_id;
    await logBatch(ctx, { run_id: id, metrics: [0, 1, 2].map((step) => ({ key: "acc", value: 0.5 + step / 10, timestamp: 100 + step, step })) });
    const model = await createLoggedModel(ctx, { experiment_id: run.info.experiment_id, source_run_id: id });
    const mid = model.info.model_id;
    // what the client sends in log_model: the points at the model's step, again, with the model's id
    await logBatch(ctx, { run_id: id, metrics: [{ key: "acc", value: 0.5, timestamp: 100, step: 0, model_id: mid }] });
    // and an evaluation on a dataset, new
    await logBatch(ctx, { run_id: id, metrics: [{ key: "acc", value: 0.93, timestamp: 200, step: 0, model_id: mid, dataset_name: "holdout", dataset_digest: "h1" }] });
    const history = (await getMetricHistory(ctx, { run_id: id, metric_key: "acc" })).metrics;
    expect(history).toEqual([
      { key: "acc", value: 0.5, timestamp: 100, step: 0 },
      { key: "acc", value: 0.93, timestamp: 200, step: 0, dataset_name: "holdout", dataset_digest: "h1", model_id: mid },
      { key: "acc", value: 0.6, timestamp: 101, step: 1 },
      { key: "acc", value: 0.7, timestamp: 102, step: 2 },
    ]);
    const got = await getLoggedModel(ctx, mid);
    expect(got.data.metrics).toEqual([
      { key: "acc", value: 0.5, timestamp: 100, step: 0, model_id: mid, run_id: id },
      { key: "acc", value: 0.93, timestamp: 200, step: 0, dataset_name: "holdout", dataset_digest: "h1", model_id: mid, run_id: id },
    ]);
    // ordered by the latest value over datasets: the holdout evaluation (timestamp 200)
    const other = await createLoggedModel(ctx, { experiment_id: run.info.experiment_id, source_run_id: id });
    await logBatch(ctx, { run_id: id, metrics: [{ key: "acc", value: 0.8, timestamp: 300, step: 0, model_id: other.info.model_id }] });
    const page = await searchLoggedModels(ctx, { experiment_ids: [run.info.experiment_id], order_by: [{ field_name: "metrics.acc", ascending: false }] });
    expect(page.models.map((m) => m.info.model_id)).toEqual([mid, other.info.model_id]);
  });
});

describe("registering a logged model", () => {
  it("concurrent registrations each add their entry to the model's mlflow.modelVersions tag", async () => {
    const { ctx } = await makeUser(db);
    const run = await newRun(ctx);
    const model = await createLoggedModel(ctx, { experiment_id: run.info.experiment_id, source_run_id: run.info.run_id });
    await finalizeLoggedModel(ctx, { model_id: model.info.model_id, status: "LOGGED_MODEL_READY" });
    const names = ["a", "b", "c"].map((x) => `${x}-${model.info.model_id.slice(2, 10)}`);
    for (const name of names) await createRegisteredModel(ctx, { name });
    // six versions at once, two per registered model: every one must end up in the tag
    const created = await Promise.all(names.flatMap((name) => [0, 1].map(() => createModelVersion(ctx, { name, source: `models:/${model.info.model_id}` }))));
    expect(created.every((v) => v.status === "READY" && v.model_id === model.info.model_id)).toBe(true);
    const tag = (await getLoggedModel(ctx, model.info.model_id)).info.tags?.find((t) => t.key === "mlflow.modelVersions")?.value ?? "[]";
    const entries = (JSON.parse(tag) as { name: string; version: number }[]).map((e) => `${e.name}/${e.version}`).sort();
    expect(entries).toEqual(created.map((v) => `${v.name}/${v.version}`).sort());
    // written as MLflow's server writes it: Python's json.dumps layout, versions as numbers
    expect(tag).toMatch(/^\[\{"name": "[^"]+", "version": \d+\}(, \{"name": "[^"]+", "version": \d+\})*\]$/);
  });
});
