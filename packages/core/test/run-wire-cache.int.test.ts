import { beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "@modelgate/db/test-db";
import type { Db } from "@modelgate/db";
import {
  createRun,
  deleteRun,
  deleteTag,
  getRun,
  getRunWire,
  logBatch,
  logInputs,
  logMetric,
  logModel,
  logParam,
  restoreRun,
  runWireCacheStats,
  searchRuns,
  searchRunsWire,
  setTag,
  toWireJson,
  updateRun,
  type Ctx,
} from "../src/index.ts";
import { makeUser, newRun } from "./helpers.ts";

// runs/get and runs/search send each run's wire JSON from an in-process cache while its version is
// the run's current one. These check that every kind of change is seen at once (never a stale body),
// that the cache really is what gets served, and that racing writers and readers end consistent.

let db: Db;
beforeAll(async () => {
  db = (await useTestDatabase()).db;
});

async function newRunIds(ctx: Ctx) {
  const run = await newRun(ctx);
  return { experimentId: run.info.experiment_id, id: run.info.run_id };
}

/** What runs/get must send: built afresh from the tables. */
const fresh = async (ctx: Ctx, id: string) => toWireJson({ run: await getRun(ctx, id) });

/** Served text equals the fresh one, and reading it again is a cache hit with the same bytes. */
async function expectCoherent(ctx: Ctx, id: string) {
  const want = await fresh(ctx, id);
  expect((await getRunWire(ctx, id)).text).toBe(want);
  const hits = runWireCacheStats().hits;
  expect((await getRunWire(ctx, id)).text).toBe(want);
  expect(runWireCacheStats().hits).toBe(hits + 1);
}

describe("run wire cache", () => {
  it("serves every change at once: metrics, params, tags, renames, status, lifecycle, inputs, models", async () => {
    const { ctx } = await makeUser(db);
    const { id } = await newRunIds(ctx);
    await expectCoherent(ctx, id);
    const steps: [string, () => Promise<unknown>][] = [
      ["metric", () => logMetric(ctx, { run_id: id, key: "loss", value: 0.5, timestamp: 10, step: 1 })],
      ["later step", () => logMetric(ctx, { run_id: id, key: "loss", value: 0.25, timestamp: 11, step: 2 })],
      ["NaN", () => logMetric(ctx, { run_id: id, key: "odd", value: NaN, timestamp: 11, step: 0 })],
      ["param", () => logParam(ctx, { run_id: id, key: "lr", value: "0.1" })],
      ["batch", () => logBatch(ctx, { run_id: id, metrics: [{ key: "acc", value: 0.9, timestamp: 12 }], params: [{ key: "depth", value: "3" }], tags: [{ key: "team", value: "a" }] })],
      ["tag", () => setTag(ctx, { run_id: id, key: "team", value: "b" })],
      ["rename by tag", () => setTag(ctx, { run_id: id, key: "mlflow.runName", value: "renamed" })],
      ["delete tag", () => deleteTag(ctx, { run_id: id, key: "team" })],
      ["update run", () => updateRun(ctx, { run_id: id, status: "FINISHED", end_time: 99, run_name: "final" })],
      ["inputs", () => logInputs(ctx, { run_id: id, datasets: [{ dataset: { name: "d", digest: "x1", source_type: "local", source: "/tmp/d" }, tags: [{ key: "mlflow.data.context", value: "train" }] }] })],
      ["log model", () => logModel(ctx, { run_id: id, model_json: JSON.stringify({ artifact_path: "model", flavors: {} }) })],
      ["delete", () => deleteRun(ctx, { run_id: id })],
      ["restore", () => restoreRun(ctx, { run_id: id })],
    ];
    for (const [, step] of steps) {
      const before = await fresh(ctx, id);
      await step();
      const after = await fresh(ctx, id);
      expect(after).not.toBe(before);
      await expectCoherent(ctx, id);
    }
    // an older point leaves the latest value, and so the body, as it was
    const before = await fresh(ctx, id);
    await logMetric(ctx, { run_id: id, key: "loss", value: 7, timestamp: 1, step: 0 });
    expect(await fresh(ctx, id)).toBe(before);
    await expectCoherent(ctx, id);
  });

  it("is what gets served while the version holds, and any write drops it, even one in plain SQL", async () => {
    const { ctx } = await makeUser(db);
    const { id } = await newRunIds(ctx);
    await logParam(ctx, { run_id: id, key: "p", value: "1" });
    await expectCoherent(ctx, id);
    // with triggers switched off, a change leaves the version alone: the cached body is what is sent
    await db.$transaction(async (tx) => {
      await tx.$executeRaw`SET LOCAL session_replication_role = replica`;
      await tx.$executeRaw`INSERT INTO run_tag (run_pk, key, value) SELECT pk, 'hidden', 'x' FROM run WHERE id = ${id}`;
    });
    expect((await getRunWire(ctx, id)).text).not.toContain('"key":"hidden"');
    // a tag written around core, with triggers on (as always): the version moves and both show
    await db.$executeRaw`INSERT INTO run_tag (run_pk, key, value) SELECT pk, 'sql', 'x' FROM run WHERE id = ${id}`;
    const served = (await getRunWire(ctx, id)).text;
    expect(served).toContain('"key":"sql"');
    expect(served).toContain('"key":"hidden"');
    await expectCoherent(ctx, id);
  });

  it("sends runs/search pages byte-for-byte as toWireJson of searchRuns, tokens included", async () => {
    const { ctx } = await makeUser(db);
    const { experimentId } = await newRunIds(ctx);
    for (let i = 0; i < 7; i++) {
      const run = await createRun(ctx, { experiment_id: experimentId, start_time: 10 + i });
      await logBatch(ctx, { run_id: run.info.run_id, metrics: [{ key: "m", value: i % 3 === 0 ? NaN : i / 10, timestamp: 1 }], params: [{ key: "i", value: String(i) }] });
    }
    const input = { experiment_ids: [experimentId], order_by: ["metrics.m DESC"], max_results: 3 };
    for (let pass = 0; pass < 2; pass++) {
      let token: string | undefined;
      let pages = 0;
      do {
        const page = { ...input, ...(token ? { page_token: token } : {}) };
        const want = await searchRuns(ctx, page);
        expect((await searchRunsWire(ctx, page)).text).toBe(toWireJson(want));
        token = want.next_page_token;
        pages++;
      } while (token);
      expect(pages).toBe(3);
    }
    expect((await searchRunsWire(ctx, { experiment_ids: ["999999999"] })).text).toBe("{}");
  });

  it("ends consistent when writers and readers of one run race, and writers never deadlock", async () => {
    const { ctx } = await makeUser(db);
    const { experimentId, id } = await newRunIds(ctx);
    for (let round = 0; round < 8; round++) {
      const results = await Promise.allSettled([
        logBatch(ctx, { run_id: id, metrics: [{ key: "m", value: round, timestamp: round, step: round }], tags: [{ key: "mlflow.runName", value: `n${round}` }] }),
        updateRun(ctx, { run_id: id, run_name: `u${round}`, status: "RUNNING" }),
        setTag(ctx, { run_id: id, key: "round", value: String(round) }),
        logParam(ctx, { run_id: id, key: `p${round}`, value: "v" }),
        logModel(ctx, { run_id: id, model_json: JSON.stringify({ round }) }),
        logInputs(ctx, { run_id: id, datasets: [{ dataset: { name: "d", digest: `r${round}`, source_type: "local", source: "s" } }] }),
        searchRunsWire(ctx, { experiment_ids: [experimentId] }),
        getRunWire(ctx, id),
        getRunWire(ctx, id),
      ]);
      expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    }
    await expectCoherent(ctx, id);
    const run = await getRun(ctx, id);
    expect(run.data.params).toHaveLength(8);
    expect(JSON.parse(run.data.tags!.find((t) => t.key === "mlflow.log-model.history")!.value)).toHaveLength(8);
  });
});
