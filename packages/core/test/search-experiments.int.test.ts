import { beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "@modelgate/db/test-db";
import type { Db } from "@modelgate/db";
import { configureTracking, createExperiment, deleteExperiment, searchExperiments, setExperimentPermission, setExperimentTag, type Ctx } from "../src/index.ts";
import { makeUser } from "./helpers.ts";

let db: Db;
let owner: Ctx;
/** Experiment ids by short name; creation times are set explicitly below. */
const ids: Record<string, string> = {};

const names = (out: { experiments: { name: string }[] }) => out.experiments.map((e) => e.name.replace(/^x-/, ""));
const search = (input: Parameters<typeof searchExperiments>[1] = {}) => searchExperiments(owner, { max_results: 100, filter: "name LIKE 'x-%'", ...input });

beforeAll(async () => {
  db = (await useTestDatabase()).db;
  configureTracking({ defaultExperimentPermission: "NONE" });
  owner = (await makeUser(db, { prefix: "exp-owner" })).ctx;
  const spec: [string, number, number, string?][] = [
    ["Bravo", 100, 500, "vision"],
    ["alpha", 200, 200, "nlp"],
    ["charlie", 200, 300],
    ["delta", 50, 900, "Vision"],
  ];
  for (const [name, created, updated, team] of spec) {
    const id = (await createExperiment(owner, { name: `x-${name}` })).experiment_id;
    ids[name] = id;
    if (team) await setExperimentTag(owner, { experiment_id: id, key: "team", value: team });
    await db.experiment.update({ where: { id: Number(id) }, data: { creationTime: BigInt(created), lastUpdateTime: BigInt(updated) } });
  }
  await deleteExperiment(owner, { experiment_id: ids.delta! });
  // the deleted experiment's last_update_time moved; put it back for the time filters.
  await db.experiment.update({ where: { id: Number(ids.delta) }, data: { lastUpdateTime: 900n } });
});

describe("searchExperiments", () => {
  it("defaults to creation_time DESC then experiment_id ASC, active only", async () => {
    expect(names(await search())).toEqual(["alpha", "charlie", "Bravo"]);
  });

  it("order_by keys; ties fall back to experiment_id DESC", async () => {
    expect(names(await search({ order_by: ["name"] }))).toEqual(["Bravo", "alpha", "charlie"]);
    expect(names(await search({ order_by: ["name DESC"] }))).toEqual(["charlie", "alpha", "Bravo"]);
    expect(names(await search({ order_by: ["creation_time ASC"] }))).toEqual(["Bravo", "charlie", "alpha"]);
    expect(names(await search({ order_by: ["last_update_time DESC"] }))).toEqual(["Bravo", "charlie", "alpha"]);
    expect(names(await search({ order_by: ["experiment_id DESC"] }))).toEqual(["charlie", "alpha", "Bravo"]);
  });

  it("filters on name, times and tags", async () => {
    expect(names(await search({ filter: "name = 'x-alpha'" }))).toEqual(["alpha"]);
    expect(names(await search({ filter: "name != 'x-alpha' AND name LIKE 'x-%'" }))).toEqual(["charlie", "Bravo"]);
    expect(names(await search({ filter: "name ILIKE 'X-B%'" }))).toEqual(["Bravo"]);
    expect(names(await search({ filter: "name LIKE 'x-b%'" }))).toEqual([]);
    expect(names(await search({ filter: "name LIKE 'x-%' AND creation_time >= 200" }))).toEqual(["alpha", "charlie"]);
    expect(names(await search({ filter: "name LIKE 'x-%' AND attribute.last_update_time < 300" }))).toEqual(["alpha"]);
    expect(names(await search({ filter: "tags.team ILIKE 'vision'", view_type: "ALL" }))).toEqual(["Bravo", "delta"]);
    expect(names(await search({ filter: "tag.team = 'nlp'" }))).toEqual(["alpha"]);
  });

  it("view types", async () => {
    expect(names(await search({ view_type: "DELETED_ONLY" }))).toEqual(["delta"]);
    expect(names(await search({ view_type: "ALL" }))).toEqual(["alpha", "charlie", "Bravo", "delta"]);
  });

  it("pages through without duplicates or gaps", async () => {
    const seen: string[] = [];
    let page_token: string | undefined;
    do {
      const out = await search({ max_results: 1, page_token, view_type: "ALL" });
      seen.push(...names(out));
      page_token = out.next_page_token;
    } while (page_token);
    expect(seen).toEqual(["alpha", "charlie", "Bravo", "delta"]);
  });

  it("returns only experiments the caller may read", async () => {
    const other = await makeUser(db, { prefix: "exp-other" });
    await createExperiment(other.ctx, { name: "x-mine" });
    const find = (ctx: Ctx) => searchExperiments(ctx, { max_results: 100, filter: "name LIKE 'x-%'" }).then(names);
    expect(await find(other.ctx)).toEqual(["mine"]);
    await setExperimentPermission(owner, { experiment_id: ids.alpha!, username: other.user.username, level: "READ" });
    expect((await find(other.ctx)).sort()).toEqual(["alpha", "mine"]);
    expect(await find(owner)).not.toContain("mine");
  });

  it("max_results is required, positive and at most 50000", async () => {
    await expect(searchExperiments(owner, {})).rejects.toMatchObject({ code: "INVALID_PARAMETER_VALUE", message: "Invalid value for request parameter max_results. It must be a positive integer, but got 0" });
    await expect(searchExperiments(owner, { max_results: 50001 })).rejects.toMatchObject({ code: "INVALID_PARAMETER_VALUE" });
    await expect(searchExperiments(owner, { max_results: 10, page_token: "***" })).rejects.toMatchObject({ message: "Invalid page token, could not base64-decode" });
  });
});
