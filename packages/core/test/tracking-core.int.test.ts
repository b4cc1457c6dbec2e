import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "@modelgate/db/test-db";
import type { Db } from "@modelgate/db";
import {
  configureTracking,
  deleteRun,
  getExperiment,
  getMetricHistory,
  getMetricHistoryBulkInterval,
  getMetricHistoryWire,
  getRun,
  loadRunViews,
  restoreRun,
  logBatch,
  logInputs,
  logMetric,
  logParam,
  sampleMetricSeries,
  setTag,
  toWireJson,
  updateRun,
} from "../src/index.ts";
import { makeUser, newRun } from "./helpers.ts";
import { runWrites, tagWrite } from "../src/tracking/runs.ts";
import { pickDenseSteps } from "../src/tracking/metrics.ts";

let db: Db;
beforeAll(async () => {
  db = (await useTestDatabase()).db;
});
afterEach(() => configureTracking({ defaultExperimentPermission: "READ" }));

describe("tracking core", () => {
  it("bounds a chart request in core: runs, metrics and points", async () => {
    const { ctx } = await makeUser(db);
    const run = await newRun(ctx);
    const id = run.info.run_id;
    await expect(sampleMetricSeries(ctx, { run_ids: [id], keys: ["loss"], max_points: 5 })).rejects.toMatchObject({ code: "INVALID_PARAMETER_VALUE" });
    await expect(sampleMetricSeries(ctx, { run_ids: Array.from({ length: 101 }, () => id), keys: ["loss"] })).rejects.toMatchObject({ code: "INVALID_PARAMETER_VALUE" });
    await expect(sampleMetricSeries(ctx, { run_ids: [id], keys: ["loss"], max_points: 10 })).resolves.toEqual([]);
  });

  it("audits deleting and restoring a run, idempotent calls only once", async () => {
    const { ctx } = await makeUser(db);
    const run = await newRun(ctx);
    const id = run.info.run_id;
    await deleteRun(ctx, { run_id: id });
    await deleteRun(ctx, { run_id: id });
    await restoreRun(ctx, { run_id: id });
    const events = await db.auditEvent.findMany({ where: { resourceType: "run", resourceId: id }, orderBy: { id: "asc" } });
    expect(events.map((e) => e.action)).toEqual(["run.delete", "run.restore"]);
    expect(events[0]!.after).toMatchObject({ lifecycle_stage: "deleted", experiment_id: run.info.experiment_id });
  });

  it("keeps as latest the greatest (step, timestamp, value), not the last logged", async () => {
    const { ctx } = await makeUser(db);
    const run = await newRun(ctx);
    const id = run.info.run_id;
    await logMetric(ctx, { run_id: id, key: "loss", value: 5, timestamp: 100, step: 2 });
    await logMetric(ctx, { run_id: id, key: "loss", value: 9, timestamp: 200, step: 1 });
    await logMetric(ctx, { run_id: id, key: "loss", value: 3, timestamp: 100, step: 2 });
    await logBatch(ctx, {
      run_id: id,
      metrics: [
        { key: "acc", value: 0.1, timestamp: 5, step: 0 },
        { key: "acc", value: 0.3, timestamp: 5, step: 3 },
        { key: "acc", value: 0.2, timestamp: 9, step: 1 },
      ],
    });
    const got = await getRun(ctx, id);
    expect(got.data.metrics).toEqual([
      { key: "acc", value: 0.3, timestamp: 5, step: 3 },
      { key: "loss", value: 5, timestamp: 100, step: 2 },
    ]);
    const history = await getMetricHistory(ctx, { run_id: id, metric_key: "loss" });
    expect(history.metrics.map((m) => [m.step, m.value])).toEqual([[1, 9], [2, 5], [2, 3]]);
    expect(history.next_page_token).toBeUndefined();
  });

  it("keeps each key's latest value and step range as Postgres orders the stored history, over random batches", async () => {
    const { ctx } = await makeUser(db);
    // a small pool of steps, timestamps and values, so ties on (step, timestamp) and NaN/±Infinity meet often
    let seed = 7;
    const rand = (n: number) => (seed = (seed * 48271) % 2147483647) % n;
    const values = [NaN, Infinity, -Infinity, 0, 1, 2.5, -3, 1e-300];
    const batch = () => Array.from({ length: 1 + rand(40) }, () => ({ key: `k${rand(3)}`, value: values[rand(values.length)]!, timestamp: rand(2), step: rand(3) - 1 }));
    type Row = { key: string; step: bigint; timestamp: bigint; value: number; lo: bigint; hi: bigint };
    const check = async (id: string) => {
      const expected = await db.$queryRaw<Row[]>`
        SELECT DISTINCT ON (m.key) m.key, m.step, m.timestamp, m.value,
          min(m.step) OVER (PARTITION BY m.key) AS lo, max(m.step) OVER (PARTITION BY m.key) AS hi
        FROM metric m JOIN run r ON r.pk = m.run_pk WHERE r.id = ${id}
        ORDER BY m.key, m.step DESC, m.timestamp DESC, m.value DESC`;
      const stored = await db.$queryRaw<Row[]>`
        SELECT l.key, l.step, l.timestamp, l.value, l.min_step AS lo, l.max_step AS hi
        FROM latest_metric l JOIN run r ON r.pk = l.run_pk WHERE r.id = ${id} ORDER BY l.key`;
      expect(stored.length).toBeGreaterThan(0);
      expect(stored).toEqual(expected);
    };
    // one batch per run: the batch's own pick; then many batches on one run: the merge with what is stored
    for (let i = 0; i < 25; i++) {
      const run = await newRun(ctx);
      await logBatch(ctx, { run_id: run.info.run_id, metrics: batch() });
      await check(run.info.run_id);
    }
    const run = await newRun(ctx);
    for (let b = 0; b < 12; b++) await logBatch(ctx, { run_id: run.info.run_id, metrics: batch() });
    await check(run.info.run_id);
  });

  it("writes get-history pages in Postgres as MLflow's JSON: every stored point once, in order, across page tokens", async () => {
    const { ctx } = await makeUser(db);
    const run = await newRun(ctx);
    const id = run.info.run_id;
    const key = "val loss/x-1.y_z";
    const values = [NaN, Infinity, -Infinity, 0.1, 1e-300, 1e16, 1e21, 123.456, -2.5e-7, 5e-324, 1.7976931348623157e308, 0];
    // repeated steps with equal timestamps (the seq tie-break), negative steps, large timestamps
    const metrics = values.flatMap((value, i) => [
      { key, value, timestamp: 1_700_000_000_000 + (i % 3), step: i - 2 },
      { key, value: i, timestamp: 1_700_000_000_000 + (i % 3), step: i - 2 },
    ]);
    await logBatch(ctx, { run_id: id, metrics });
    // the oracle: the stored rows in the history's order, as toWireJson writes them
    const stored = await db.$queryRaw<{ step: bigint; timestamp: bigint; value: number }[]>`
      SELECT m.step, m.timestamp, m.value FROM metric m JOIN run r ON r.pk = m.run_pk WHERE r.id = ${id} AND m.key = ${key} ORDER BY m.step, m.timestamp, m.seq`;
    const want = JSON.parse(toWireJson(stored.map((r) => ({ key, value: r.value, timestamp: Number(r.timestamp), step: Number(r.step) })))) as unknown[];
    expect(want).toHaveLength(24);
    for (const max_results of [1, 5, 24, 25, undefined]) {
      let token: string | undefined;
      const got: unknown[] = [];
      let pages = 0;
      do {
        const input = { run_id: id, metric_key: key, max_results, page_token: token };
        const wire = JSON.parse((await getMetricHistoryWire(ctx, input)).text) as { metrics: unknown[]; next_page_token?: string };
        expect(wire.metrics.length).toBe(Math.min(max_results ?? 25_000, 24 - got.length));
        // the object form is the same page read back
        expect(JSON.parse(toWireJson(await getMetricHistory(ctx, input)))).toEqual(wire);
        got.push(...wire.metrics);
        token = wire.next_page_token;
        pages++;
      } while (token);
      expect(got).toEqual(want);
      expect(pages).toBe(max_results ? Math.ceil(24 / max_results) : 1);
    }
    expect((await getMetricHistoryWire(ctx, { run_id: id, metric_key: "nope" })).text).toBe("{}");
    expect((await getMetricHistoryWire(ctx, { run_id: id, metric_key: "a\u0000b" })).text).toBe("{}");
    await expect(getMetricHistoryWire(ctx, { run_id: id, metric_key: key, page_token: "%%%" })).rejects.toMatchObject({ code: "INVALID_PARAMETER_VALUE" });
  });

  it("round-trips NaN and ±Infinity through history and the latest value", async () => {
    const { ctx } = await makeUser(db);
    const run = await newRun(ctx);
    const id = run.info.run_id;
    await logBatch(ctx, {
      run_id: id,
      metrics: [
        { key: "n", value: NaN, timestamp: 1 },
        { key: "p", value: Infinity, timestamp: 1 },
        { key: "m", value: -Infinity, timestamp: 1 },
        { key: "x", value: 1e-300, timestamp: 1 },
      ],
    });
    const got = await getRun(ctx, id);
    const byKey = Object.fromEntries((got.data.metrics ?? []).map((m) => [m.key, m.value]));
    expect(byKey.n).toBeNaN();
    expect(byKey.p).toBe(Infinity);
    expect(byKey.m).toBe(-Infinity);
    expect(byKey.x).toBe(1e-300);
    const h = await getMetricHistory(ctx, { run_id: id, metric_key: "n" });
    expect(h.metrics[0]!.value).toBeNaN();
    // NaN counts as the greatest value, as Postgres orders it
    await logMetric(ctx, { run_id: id, key: "p", value: 1, timestamp: 1 });
    expect((await getRun(ctx, id)).data.metrics?.find((m) => m.key === "p")?.value).toBe(Infinity);
  });

  it("lets exactly one of two racing writers set a param; the same value is idempotent", async () => {
    const { ctx } = await makeUser(db);
    const run = await newRun(ctx);
    const id = run.info.run_id;
    for (let i = 0; i < 5; i++) {
      const results = await Promise.allSettled([
        logParam(ctx, { run_id: id, key: `k${i}`, value: "a" }),
        logParam(ctx, { run_id: id, key: `k${i}`, value: "b" }),
      ]);
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      const rejected = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
      expect(rejected.reason).toMatchObject({ code: "INVALID_PARAMETER_VALUE", message: expect.stringContaining("Changing param values is not allowed") });
    }
    await logParam(ctx, { run_id: id, key: "k0", value: (await db.param.findFirstOrThrow({ where: { key: "k0" } })).value });
  });

  it("refuses, rather than drops, a write to a run removed after it was found", async () => {
    const { ctx } = await makeUser(db);
    const run = await newRun(ctx);
    const [row] = await db.$queryRaw<{ pk: bigint }[]>`SELECT pk FROM run WHERE id = ${run.info.run_id}`;
    await db.$executeRaw`DELETE FROM run WHERE pk = ${row!.pk}`;
    await expect(runWrites(db, { pk: row!.pk, id: run.info.run_id }, tagWrite([{ key: "t", value: "v" }]))).rejects.toMatchObject({ code: "RESOURCE_DOES_NOT_EXIST" });
    expect(await db.runTag.count({ where: { runPk: row!.pk } })).toBe(0);
  });

  it("writes nothing when any part of a batch fails", async () => {
    const { ctx } = await makeUser(db);
    const run = await newRun(ctx);
    const id = run.info.run_id;
    await logParam(ctx, { run_id: id, key: "lr", value: "0.1" });
    await expect(
      logBatch(ctx, { run_id: id, metrics: [{ key: "m", value: 1, timestamp: 1 }], params: [{ key: "lr", value: "0.2" }], tags: [{ key: "t", value: "v" }] }),
    ).rejects.toMatchObject({ code: "INVALID_PARAMETER_VALUE" });
    const got = await getRun(ctx, id);
    expect(got.data.metrics).toBeUndefined();
    expect(got.data.tags?.map((t) => t.key)).toEqual(["mlflow.runName"]);
  });

  it("names runs, keeps mlflow.runName in sync, and refuses to log to deleted runs", async () => {
    const { ctx, user } = await makeUser(db);
    const run = await newRun(ctx);
    expect(run.info.run_name).toMatch(/^[a-z]+-[a-z]+-\d{1,3}$/);
    expect(run.info.user_id).toBe(user.username);
    expect(run.data.tags).toEqual([{ key: "mlflow.runName", value: run.info.run_name }]);
    expect(run.info.artifact_uri).toBe(`mlflow-artifacts:/${run.info.experiment_id}/${run.info.run_id}/artifacts`);
    await setTag(ctx, { run_id: run.info.run_id, key: "mlflow.runName", value: "renamed" });
    expect((await getRun(ctx, run.info.run_id)).info.run_name).toBe("renamed");
    const info = await updateRun(ctx, { run_id: run.info.run_id, run_name: "again", status: "FINISHED", end_time: 5 });
    expect(info).toMatchObject({ run_name: "again", status: "FINISHED", end_time: 5 });
    expect((await getRun(ctx, run.info.run_id)).data.tags).toEqual([{ key: "mlflow.runName", value: "again" }]);
    await deleteRun(ctx, { run_id: run.info.run_id });
    await expect(logMetric(ctx, { run_id: run.info.run_id, key: "m", value: 1, timestamp: 1 })).rejects.toMatchObject({
      message: `The run ${run.info.run_id} must be in the 'active' state. Current state is deleted.`,
    });
  });

  it("loads many runs in input order with params, tags, metrics and inputs", async () => {
    const { ctx } = await makeUser(db);
    const a = await newRun(ctx);
    const b = await newRun(ctx);
    await logBatch(ctx, { run_id: b.info.run_id, params: [{ key: "p", value: "1" }], metrics: [{ key: "m", value: 2, timestamp: 3 }] });
    await logInputs(ctx, {
      run_id: b.info.run_id,
      datasets: [{ tags: [{ key: "mlflow.data.context", value: "training" }], dataset: { name: "d", digest: "abc", source_type: "local", source: "{}" } }],
    });
    await logInputs(ctx, { run_id: b.info.run_id, datasets: [{ dataset: { name: "d", digest: "abc", source_type: "local", source: "{}" } }] });
    const rows = await db.run.findMany({ where: { id: { in: [a.info.run_id, b.info.run_id] } } });
    const pk = (id: string) => rows.find((r) => r.id === id)!.pk;
    const views = await loadRunViews(db, [pk(b.info.run_id), pk(a.info.run_id)]);
    expect(views.map((v) => v.info.run_id)).toEqual([b.info.run_id, a.info.run_id]);
    expect(views[0]!.data.params).toEqual([{ key: "p", value: "1" }]);
    expect(views[0]!.inputs.dataset_inputs).toEqual([
      { tags: [{ key: "mlflow.data.context", value: "training" }], dataset: { name: "d", digest: "abc", source_type: "local", source: "{}" } },
    ]);
    expect(views[1]!.inputs).toEqual({});
  });

  it("samples bulk intervals of dense per-step histories by arithmetic, exactly as the general query does", async () => {
    const { ctx } = await makeUser(db);
    const runs = await Promise.all(Array.from({ length: 7 }, () => newRun(ctx)));
    const ids = runs.map((r) => r.info.run_id);
    const pks = await Promise.all(ids.map(async (id) => (await db.$queryRaw<{ pk: bigint }[]>`SELECT pk FROM run WHERE id = ${id}`)[0]!.pk));
    const log = (i: number, steps: number[], key = "loss") =>
      logBatch(ctx, { run_id: ids[i]!, metrics: steps.map((step, j) => ({ key, value: (step * 7919) % 101, timestamp: 1000 + j, step })) });
    const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, j) => a + j);
    const dense = (i: number) => pickDenseSteps(ctx, [pks[i]!], "loss", 320n).then((p) => p !== null);
    // dense: overlapping and disjoint ranges, a repeated step, a single point, batches out of order
    // that meet; a run with no points of this key
    await log(0, range(0, 999));
    await log(1, range(500, 1499));
    await log(2, [...range(3000, 3099), 3050]);
    await log(3, [7]);
    await log(4, range(0, 9), "other");
    await log(5, range(2000, 2999));
    await log(5, range(1000, 1999));
    for (const i of [0, 1, 2, 3, 5]) expect(await dense(i)).toBe(true);
    const denseRuns = ids.slice(0, 6);
    for (const max_results of [1, 7, 320, 2500]) {
      const input = { run_ids: denseRuns, metric_key: "loss", max_results };
      expect(await getMetricHistoryBulkInterval(ctx, input)).toEqual(await getMetricHistoryBulkInterval(ctx, input, { general: true }));
    }
    // not dense: every 10th step; a gap (even once filled later); a negative step. The general query answers.
    await log(6, range(0, 50).map((x) => x * 10));
    expect(await dense(6)).toBe(false);
    await log(3, [9]);
    expect(await dense(3)).toBe(false);
    await log(3, [8]);
    expect(await dense(3)).toBe(false);
    await log(0, [-1]);
    expect(await dense(0)).toBe(false);
    const mixed = { run_ids: ids, metric_key: "loss", max_results: 50 };
    expect(await getMetricHistoryBulkInterval(ctx, mixed)).toEqual(await getMetricHistoryBulkInterval(ctx, mixed, { general: true }));
    // the latest value is still the greatest (step, timestamp, value), whatever order batches came in
    expect((await getRun(ctx, ids[5]!)).data.metrics?.find((m) => m.key === "loss")?.step).toBe(2999);
  });

  it("pages long histories, samples bulk intervals and downsamples series in SQL", async () => {
    const { ctx } = await makeUser(db);
    const run = await newRun(ctx);
    const id = run.info.run_id;
    const run2 = await newRun(ctx);
    for (let start = 0; start < 3000; start += 1000) {
      const metrics = Array.from({ length: 1000 }, (_, i) => ({ key: "loss", value: start + i === 1234 ? 1e9 : (start + i) % 7, timestamp: 10, step: start + i }));
      await logBatch(ctx, { run_id: id, metrics });
    }
    await logBatch(ctx, { run_id: run2.info.run_id, metrics: [{ key: "loss", value: 1, timestamp: 1, step: 5000 }] });
    const first = await getMetricHistory(ctx, { run_id: id, metric_key: "loss", max_results: 1200 });
    expect(first.metrics).toHaveLength(1200);
    const second = await getMetricHistory(ctx, { run_id: id, metric_key: "loss", max_results: 1200, page_token: first.next_page_token });
    const third = await getMetricHistory(ctx, { run_id: id, metric_key: "loss", max_results: 1200, page_token: second.next_page_token });
    expect(third.next_page_token).toBeUndefined();
    expect([...first.metrics, ...second.metrics, ...third.metrics].map((m) => m.step)).toEqual(Array.from({ length: 3000 }, (_, i) => i));
    await expect(getMetricHistory(ctx, { run_id: id, metric_key: "loss", page_token: "!!!" })).rejects.toMatchObject({ message: "Invalid page token, could not base64-decode" });

    const sampled = await getMetricHistoryBulkInterval(ctx, { run_ids: [id, run2.info.run_id], metric_key: "loss", max_results: 10 });
    const steps = sampled.filter((m) => m.run_id === id).map((m) => m.step);
    // ranks floor(i * 3000 / 10) for i < 10, plus the last step
    expect(steps).toEqual([0, 300, 600, 900, 1200, 1500, 1800, 2100, 2400, 2700, 2999]);
    expect(sampled.filter((m) => m.run_id === run2.info.run_id).map((m) => m.step)).toEqual([5000]);
    const ranged = await getMetricHistoryBulkInterval(ctx, { run_ids: [id], metric_key: "loss", start_step: 10, end_step: 20 });
    expect(ranged.map((m) => m.step)).toEqual(Array.from({ length: 11 }, (_, i) => 10 + i));

    const [series] = await sampleMetricSeries(ctx, { run_ids: [id], keys: ["loss"], max_points: 100 });
    expect(series!.points.length).toBeLessThanOrEqual(100);
    expect(series!.points.map((p) => p.value)).toContain(1e9);
    const s = series!.points.map((p) => p.step);
    expect(s).toEqual([...s].sort((x, y) => x - y));
  });

  it("applies per-experiment levels: default READ, default NONE, grants and ownership", async () => {
    const owner = await makeUser(db);
    const other = await makeUser(db);
    const run = await newRun(owner.ctx);
    expect((await getRun(other.ctx, run.info.run_id)).info.run_id).toBe(run.info.run_id);
    await expect(logMetric(other.ctx, { run_id: run.info.run_id, key: "m", value: 1, timestamp: 1 })).rejects.toMatchObject({ code: "PERMISSION_DENIED" });
    configureTracking({ defaultExperimentPermission: "NONE" });
    await expect(getRun(other.ctx, run.info.run_id)).rejects.toMatchObject({ code: "RESOURCE_DOES_NOT_EXIST", message: `Run with id=${run.info.run_id} not found` });
    await expect(getExperiment(other.ctx, run.info.experiment_id)).rejects.toMatchObject({
      code: "RESOURCE_DOES_NOT_EXIST",
      message: `No Experiment with id=${run.info.experiment_id} exists`,
    });
    const { setExperimentPermission, listExperimentPermissions } = await import("../src/index.ts");
    await setExperimentPermission(owner.ctx, { experiment_id: run.info.experiment_id, username: other.user.username, level: "EDIT" });
    await logMetric(other.ctx, { run_id: run.info.run_id, key: "m", value: 1, timestamp: 1 });
    expect(await listExperimentPermissions(owner.ctx, run.info.experiment_id)).toEqual([
      { experiment_id: run.info.experiment_id, user_id: other.user.id, username: other.user.username, level: "EDIT" },
    ]);
    await expect(listExperimentPermissions(other.ctx, run.info.experiment_id)).rejects.toMatchObject({ code: "PERMISSION_DENIED" });
    await setExperimentPermission(owner.ctx, { experiment_id: run.info.experiment_id, username: other.user.username, level: null });
    await expect(getRun(other.ctx, run.info.run_id)).rejects.toMatchObject({ code: "RESOURCE_DOES_NOT_EXIST" });
    expect(await db.auditEvent.count({ where: { action: "experiment.permission_set", resourceId: run.info.experiment_id } })).toBe(2);
  });
});
