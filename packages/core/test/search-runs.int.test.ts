import { beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "@modelgate/db/test-db";
import type { Db } from "@modelgate/db";
import {
  configureTracking,
  countRuns,
  createExperiment,
  createRun,
  deleteRun,
  listRunColumns,
  logBatch,
  logInputs,
  searchRuns,
  setExperimentPermission,
  updateRun,
  type Ctx,
  type RunView,
} from "../src/index.ts";
import { makeUser } from "./helpers.ts";

let db: Db;
let owner: Ctx;
let exp: string;
/** Run ids by name. */
const ids: Record<string, string> = {};

const names = (runs: RunView[]) => runs.map((r) => r.info.run_name);
const search = (filter?: string, extra: Partial<Parameters<typeof searchRuns>[1]> = {}) => searchRuns(owner, { experiment_ids: [exp], filter, ...extra });

async function run(name: string, start: number, data: { m?: number; p?: string; t?: string } = {}) {
  const r = await createRun(owner, { experiment_id: exp, run_name: name, start_time: start });
  ids[name] = r.info.run_id;
  await logBatch(owner, {
    run_id: r.info.run_id,
    metrics: data.m === undefined ? [] : [{ key: "m", value: data.m, timestamp: 1, step: 0 }],
    params: data.p === undefined ? [] : [{ key: "p", value: data.p }],
    tags: data.t === undefined ? [] : [{ key: "t", value: data.t }],
  });
  return r.info.run_id;
}

beforeAll(async () => {
  db = (await useTestDatabase()).db;
  configureTracking({ defaultExperimentPermission: "NONE" });
  owner = (await makeUser(db, { prefix: "owner" })).ctx;
  exp = (await createExperiment(owner, { name: `search-${Date.now()}` })).experiment_id;
  // start times: r5 ties with r4 to exercise the run-id tie-break.
  await run("alpha", 1000, { m: 1, p: "a", t: "X" });
  await run("beta", 2000, { m: NaN, p: "b", t: "y" });
  await run("gamma", 3000, { p: "A" });
  await run("delta", 4000, { m: 3, p: "ab" });
  await run("eps", 4000, { m: 2 });
  await deleteRun(owner, { run_id: ids.eps! });
  await updateRun(owner, { run_id: ids.alpha!, status: "FINISHED", end_time: 5000 });
  await logInputs(owner, {
    run_id: ids.beta!,
    datasets: [{ tags: [{ key: "mlflow.data.context", value: "training" }], dataset: { name: "iris", digest: "d1", source_type: "local", source: "/x" } }],
  });
});

describe("searchRuns: filters", () => {
  it("without a filter returns active runs, start_time DESC then run id", async () => {
    const { runs, next_page_token } = await search();
    expect(next_page_token).toBeUndefined();
    expect(names(runs)).toEqual(["delta", "gamma", "beta", "alpha"]);
    expect(runs[0]!.data.metrics).toEqual([{ key: "m", value: 3, timestamp: 1, step: 0 }]);
  });

  it("metric comparisons use the latest value, and NaN matches only !=", async () => {
    expect(names((await search("metrics.m > 0")).runs)).toEqual(["delta", "alpha"]);
    expect(names((await search("metrics.m >= 3")).runs)).toEqual(["delta"]);
    expect(names((await search("metrics.m < 2")).runs)).toEqual(["alpha"]);
    expect(names((await search("metrics.m = 1")).runs)).toEqual(["alpha"]);
    expect(names((await search("metrics.m != 1")).runs)).toEqual(["delta", "beta"]);
    // Out-of-range literals behave as Python floats (1e400 is inf), never as SQL errors.
    expect(names((await search("metrics.m < 1e400")).runs)).toEqual(["delta", "alpha"]);
    expect(names((await search("start_time > 1e400 AND end_time < 99999999999999999999")).runs)).toEqual([]);
    await logBatch(owner, { run_id: ids.alpha!, metrics: [{ key: "m", value: 10, timestamp: 2, step: 1 }] });
    expect(names((await search("metrics.m > 5")).runs)).toEqual(["alpha"]);
    await logBatch(owner, { run_id: ids.alpha!, metrics: [{ key: "m", value: 1, timestamp: 3, step: 2 }] });
  });

  it("params and tags: = != LIKE (case-sensitive) ILIKE", async () => {
    expect(names((await search("params.p = 'a'")).runs)).toEqual(["alpha"]);
    expect(names((await search("params.p != 'a'")).runs)).toEqual(["delta", "gamma", "beta"]);
    expect(names((await search("params.p LIKE 'a%'")).runs)).toEqual(["delta", "alpha"]);
    expect(names((await search("params.p ILIKE 'a%'")).runs)).toEqual(["delta", "gamma", "alpha"]);
    expect(names((await search("tags.t = 'X'")).runs)).toEqual(["alpha"]);
    expect(names((await search("tags.t ILIKE 'x'")).runs)).toEqual(["alpha"]);
    expect(names((await search("params.p ILIKE 'a%' AND tags.t = 'X'")).runs)).toEqual(["alpha"]);
  });

  it("attributes: run name (via mlflow.runName), run_id lists, status, times", async () => {
    expect(names((await search("attributes.run_name = 'gamma'")).runs)).toEqual(["gamma"]);
    expect(names((await search("`Run name` LIKE '%ta'")).runs)).toEqual(["delta", "beta"]);
    expect(names((await search(`run_id IN ('${ids.alpha}', '${ids.beta}')`)).runs)).toEqual(["beta", "alpha"]);
    expect(names((await search(`attributes.run_id NOT IN ('${ids.alpha}')`)).runs)).toEqual(["delta", "gamma", "beta"]);
    expect(names((await search(`run_id = '${ids.gamma}'`)).runs)).toEqual(["gamma"]);
    expect(names((await search("status = 'FINISHED'")).runs)).toEqual(["alpha"]);
    expect(names((await search("status != 'FINISHED'")).runs)).toEqual(["delta", "gamma", "beta"]);
    expect(names((await search("start_time >= 2000 AND created < 4000")).runs)).toEqual(["gamma", "beta"]);
    expect(names((await search("end_time > 0")).runs)).toEqual(["alpha"]);
    expect(names((await search("user_id = 'nobody'")).runs)).toEqual([]);
    expect(names((await search("artifact_uri LIKE '%/artifacts'")).runs)).toHaveLength(4);
  });

  it("datasets: name, digest, context", async () => {
    expect(names((await search("dataset.name = 'iris'")).runs)).toEqual(["beta"]);
    expect(names((await search("datasets.digest IN ('d1', 'd2')")).runs)).toEqual(["beta"]);
    expect(names((await search("dataset.context = 'training'")).runs)).toEqual(["beta"]);
    expect(names((await search("dataset.context = 'eval'")).runs)).toEqual([]);
  });

  it("run_view_type: ACTIVE_ONLY (default), DELETED_ONLY, ALL", async () => {
    expect(names((await search(undefined, { run_view_type: "DELETED_ONLY" })).runs)).toEqual(["eps"]);
    const all = names((await search(undefined, { run_view_type: "ALL" })).runs);
    // delta and eps tie on start_time: run id decides.
    const tied = [ids.delta!, ids.eps!].sort().map((id) => (id === ids.delta ? "delta" : "eps"));
    expect(all).toEqual([...tied, "gamma", "beta", "alpha"]);
  });
});

describe("searchRuns: ordering", () => {
  it("by metric: missing last in both directions, NaN just before missing", async () => {
    expect(names((await search(undefined, { order_by: ["metrics.m ASC"] })).runs)).toEqual(["alpha", "delta", "beta", "gamma"]);
    expect(names((await search(undefined, { order_by: ["metrics.m DESC"] })).runs)).toEqual(["delta", "alpha", "beta", "gamma"]);
  });

  it("by metric with a filter on the same metric", async () => {
    expect(names((await search("metrics.m > 0", { order_by: ["metrics.m DESC"] })).runs)).toEqual(["delta", "alpha"]);
    expect(names((await search("metrics.m != 5", { order_by: ["metrics.m"] })).runs)).toEqual(["alpha", "delta", "beta"]);
  });

  it("by param and tag: missing last both ways, byte order", async () => {
    expect(names((await search(undefined, { order_by: ["params.p"] })).runs)).toEqual(["gamma", "alpha", "delta", "beta"]);
    expect(names((await search(undefined, { order_by: ["params.p DESC"] })).runs)).toEqual(["beta", "delta", "alpha", "gamma"]);
    expect(names((await search(undefined, { order_by: ["tags.t DESC"] })).runs)).toEqual(["beta", "alpha", "delta", "gamma"]);
  });

  it("by attributes, several keys, then start_time DESC and run id", async () => {
    expect(names((await search(undefined, { order_by: ["attributes.start_time ASC"] })).runs)).toEqual(["alpha", "beta", "gamma", "delta"]);
    expect(names((await search(undefined, { order_by: ["run_name"] })).runs)).toEqual(["alpha", "beta", "delta", "gamma"]);
    expect(names((await search(undefined, { order_by: ["end_time DESC"] })).runs)).toEqual(["alpha", "delta", "gamma", "beta"]);
    expect(names((await search(undefined, { order_by: ["status", "params.p DESC"] })).runs)).toEqual(["alpha", "beta", "delta", "gamma"]);
  });
});

describe("searchRuns: pages, errors, permissions", () => {
  it("pages have no duplicates or gaps; the last page has no token", async () => {
    for (const order_by of [undefined, ["metrics.m DESC"], ["params.p"]]) {
      const seen: string[] = [];
      let page_token: string | undefined;
      let pages = 0;
      do {
        const out = await search(undefined, { max_results: 3, page_token, order_by });
        seen.push(...names(out.runs));
        page_token = out.next_page_token;
        pages++;
      } while (page_token);
      expect(pages).toBe(2);
      expect(seen).toEqual(names((await search(undefined, { order_by })).runs));
    }
    expect((await search(undefined, { max_results: 2 })).next_page_token).toBe("eyJvZmZzZXQiOiAyfQ==");
  });

  it("bad arguments are 400s", async () => {
    await expect(search(undefined, { max_results: 50001 })).rejects.toMatchObject({
      code: "INVALID_PARAMETER_VALUE",
      message: "Invalid value for request parameter max_results. It must be at most 50000, but got value 50001",
    });
    await expect(search(undefined, { page_token: "%%%" })).rejects.toMatchObject({ message: "Invalid page token, could not base64-decode" });
    await expect(search("metrics.m >>> 1")).rejects.toMatchObject({ code: "INVALID_PARAMETER_VALUE" });
    await expect(search(undefined, { order_by: ["bogus"] })).rejects.toMatchObject({ message: expect.stringContaining("Invalid attribute key 'bogus'") });
  });

  it("an experiment the caller may not read behaves as missing", async () => {
    const other = await makeUser(db, { prefix: "other" });
    const exp3 = (await createExperiment(owner, { name: `search3-${Date.now()}` })).experiment_id;
    await createRun(owner, { experiment_id: exp3, run_name: "omega", start_time: 1 });
    // the owner's searches leave the experiments' run counts remembered (a plan hint): the next
    // searches check access inside their page query, for one experiment and for several
    expect(names((await searchRuns(owner, { experiment_ids: [exp, exp3] })).runs)).toHaveLength(5);
    for (const experiment_ids of [[exp], [exp, exp3]]) {
      expect((await searchRuns(other.ctx, { experiment_ids })).runs).toEqual([]);
      expect(await countRuns(other.ctx, { experiment_ids })).toBe(0);
    }
    expect(await listRunColumns(other.ctx, [exp])).toEqual({ metrics: [], params: [], tags: [] });
    await setExperimentPermission(owner, { experiment_id: exp, username: other.user.username, level: "READ" });
    expect(names((await searchRuns(other.ctx, { experiment_ids: [exp, "999999", "abc"] })).runs)).toHaveLength(4);
    expect(names((await searchRuns(other.ctx, { experiment_ids: [exp, exp3] })).runs)).toHaveLength(4);
  });

  it("searches several experiments at once", async () => {
    const exp2 = (await createExperiment(owner, { name: `search2-${Date.now()}` })).experiment_id;
    await createRun(owner, { experiment_id: exp2, run_name: "zeta", start_time: 9000 });
    expect(names((await searchRuns(owner, { experiment_ids: [exp, exp2] })).runs)).toEqual(["zeta", "delta", "gamma", "beta", "alpha"]);
  });

  it("countRuns and listRunColumns", async () => {
    expect(await countRuns(owner, { experiment_ids: [exp] })).toBe(4);
    expect(await countRuns(owner, { experiment_ids: [exp], filter: "metrics.m > 0" })).toBe(2);
    expect(await countRuns(owner, { experiment_ids: [exp], run_view_type: "ALL" })).toBe(5);
    expect(await listRunColumns(owner, [exp])).toEqual({ metrics: ["m"], params: ["p"], tags: ["mlflow.runName", "t"] });
  });
});
