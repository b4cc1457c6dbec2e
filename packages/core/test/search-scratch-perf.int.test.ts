import { beforeAll, it } from "vitest";
import { useTestDatabase } from "@modelgate/db/test-db";
import { Prisma, type Db } from "@modelgate/db";
import { createExperiment, searchRuns, type Ctx } from "../src/index.ts";
import { runPageSql } from "../src/tracking/search/run-sql.ts";
import { parseRunFilter } from "../src/tracking/search/run-filter.ts";
import { parseRunOrderBy } from "../src/tracking/search/order-by.ts";
import { makeUser } from "./helpers.ts";

let db: Db; let ctx: Ctx;
async function gen(n: number) {
  const e = Number((await createExperiment(ctx, { name: `perf-${n}` })).experiment_id);
  await db.$executeRaw`INSERT INTO run (id, experiment_id, name, user_id, start_time, artifact_uri, lifecycle_stage, status)
    SELECT md5(${e}::text || '-' || i::text), ${e}, 'r' || i, 'u', 1700000000000 + i * 1000, 'x', 'active', 'FINISHED' FROM generate_series(1, ${n}) i`;
  await db.$executeRaw`INSERT INTO latest_metric (run_pk, key, value, timestamp, step) SELECT r.pk, 'm' || k, random(), 0, 0 FROM run r, generate_series(0, 4) k WHERE r.experiment_id = ${e}`;
  await db.$executeRaw`INSERT INTO param (run_pk, key, value) SELECT r.pk, 'p' || k, (random()*100)::int::text FROM run r, generate_series(0, 2) k WHERE r.experiment_id = ${e}`;
  await db.$executeRaw`INSERT INTO run_tag (run_pk, key, value) SELECT r.pk, 'mlflow.runName', r.name FROM run r WHERE r.experiment_id = ${e}`;
  await db.$executeRaw`ANALYZE`;
  return String(e);
}
beforeAll(async () => { db = (await useTestDatabase()).db; ctx = (await makeUser(db, { role: "ADMIN" })).ctx; }, 600_000);

async function timeIt(label: string, f: () => Promise<unknown>, n = 20) {
  const ts: number[] = [];
  for (let i = 0; i < n; i++) { const t = performance.now(); await f(); ts.push(performance.now() - t); }
  ts.sort((a, b) => a - b);
  console.log(label, "median", ts[Math.floor(n / 2)]!.toFixed(1), "ms; max", ts.at(-1)!.toFixed(1));
}
async function explain(exp: string, filter: string, order: string[], offset = 0, probe = false) {
  const q = { probe, experimentIds: [Number(exp)], clauses: parseRunFilter(filter), viewType: "ACTIVE_ONLY" as const, orderBy: order.map(parseRunOrderBy) };
  const rows = await db.$queryRaw<{ "QUERY PLAN": string }[]>(Prisma.sql`EXPLAIN ANALYZE ${runPageSql(q, offset, 1001)}`);
  console.log(filter, order, offset, "\n" + rows.map((r) => r["QUERY PLAN"]).join("\n"));
}

it("perf", async () => {
  const small = await gen(2000);
  const big = await gen(100_000);
  await explain(small, "metrics.m0 > 0.5", ["metrics.m0"], 0, true);
  await explain(small, "params.p0 = '5'", ["metrics.m1 DESC"], 0, true);
  for (const [exp, label] of [[small, "2k"], [big, "100k"]] as const) {
    await timeIt(`${label} first page m0>0.5 order m0`, () => searchRuns(ctx, { experiment_ids: [exp], filter: "metrics.m0 > 0.5", order_by: ["metrics.m0"] }));
    await timeIt(`${label} 100/page m0>0.5 order m0`, () => searchRuns(ctx, { experiment_ids: [exp], filter: "metrics.m0 > 0.5", order_by: ["metrics.m0"], max_results: 100 }));
    await timeIt(`${label} first page default`, () => searchRuns(ctx, { experiment_ids: [exp] }));
    await timeIt(`${label} order m1 desc (no filter)`, () => searchRuns(ctx, { experiment_ids: [exp], order_by: ["metrics.m1 DESC"] }), 5);
    await timeIt(`${label} params.p0 = '5' order params.p1`, () => searchRuns(ctx, { experiment_ids: [exp], filter: "params.p0 = '5'", order_by: ["params.p1"] }), 5);
  }
}, 600_000);
