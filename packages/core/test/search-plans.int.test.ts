import crypto from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "@modelgate/db/test-db";
import type { Db } from "@modelgate/db";
import { createExperiment, systemActor } from "../src/index.ts";
import { parseRunFilter } from "../src/tracking/search/run-filter.ts";
import { parseRunOrderBy } from "../src/tracking/search/order-by.ts";
import { runCountSql, runPageSql } from "../src/tracking/search/run-sql.ts";

// searchRuns picks one of two SQL shapes (probe per run for small experiments, index-driven joins
// for large ones). Both must return exactly what MLflow's own in-memory filter and sort return; this
// checks them against a direct transcription of MLflow's rules over a few hundred random runs.

interface FakeRun {
  pk: bigint;
  id: string;
  start: number;
  m?: number;
  k?: number;
  p?: string;
  t?: string;
}

let db: Db;
let exp: number;
const runs: FakeRun[] = [];

// A small deterministic generator, so a failure can be reproduced.
let seed = 42;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)]!;
const maybeMetric = () => (rand() < 0.15 ? undefined : rand() < 0.12 ? NaN : Math.round(rand() * 20) / 20);

beforeAll(async () => {
  db = (await useTestDatabase()).db;
  exp = Number((await createExperiment({ db, actor: systemActor("test") }, { name: "plans" })).experiment_id);
  for (let i = 0; i < 300; i++) {
    const r = {
      id: crypto.randomBytes(16).toString("hex"),
      start: 1000 + Math.floor(rand() * 40),
      m: maybeMetric(),
      k: maybeMetric(),
      p: rand() < 0.2 ? undefined : pick(["a", "A", "ab", "b", "B", "ba", "a_c"]),
      t: rand() < 0.5 ? undefined : pick(["x", "X", "y"]),
    };
    const [{ pk }] = (await db.$queryRaw<{ pk: bigint }[]>`
      INSERT INTO run (id, experiment_id, name, start_time, artifact_uri) VALUES (${r.id}, ${exp}, ${`run-${i}`}, ${r.start}, 'x') RETURNING pk`) as [{ pk: bigint }];
    for (const key of ["m", "k"] as const) {
      const v = r[key];
      if (v !== undefined) await db.$executeRaw`INSERT INTO latest_metric (run_pk, key, value, timestamp, step) VALUES (${pk}, ${key}, ${String(v)}::float8, 0, 0)`;
    }
    if (r.p !== undefined) await db.$executeRaw`INSERT INTO param (run_pk, key, value) VALUES (${pk}, 'p', ${r.p})`;
    if (r.t !== undefined) await db.$executeRaw`INSERT INTO run_tag (run_pk, key, value) VALUES (${pk}, 't', ${r.t})`;
    runs.push({ pk, ...r });
  }
  await db.$executeRaw`ANALYZE`;
});

/** MLflow's _get_value_for_sort: values first, then NaN, then missing, in both directions. */
function compareBy(key: "m" | "k" | "p" | "t", ascending: boolean) {
  const rank = (v: number | string | undefined) => (v === undefined ? 2 : typeof v === "number" && Number.isNaN(v) ? 1 : 0);
  return (a: FakeRun, b: FakeRun) => {
    const [va, vb] = [a[key], b[key]];
    const d = rank(va) - rank(vb);
    if (d !== 0 || rank(va) !== 0) return d;
    const c = va! < vb! ? -1 : va! > vb! ? 1 : 0;
    return ascending ? c : -c;
  };
}

const defaultOrder = (a: FakeRun, b: FakeRun) => b.start - a.start || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

const has = (v: number | undefined): v is number => v !== undefined && !Number.isNaN(v);
const cases: { filter: string; keep: (r: FakeRun) => boolean }[] = [
  { filter: "", keep: () => true },
  { filter: "metrics.m > 0.5", keep: (r) => has(r.m) && r.m > 0.5 },
  { filter: "metrics.m >= 0.5", keep: (r) => has(r.m) && r.m >= 0.5 },
  { filter: "metrics.m < 0.25", keep: (r) => has(r.m) && r.m < 0.25 },
  { filter: "metrics.m != 0.5", keep: (r) => r.m !== undefined && r.m !== 0.5 },
  { filter: "metrics.m = 0.5", keep: (r) => r.m === 0.5 },
  { filter: "params.p LIKE 'a%'", keep: (r) => r.p?.startsWith("a") ?? false },
  { filter: "params.p ILIKE 'a_'", keep: (r) => r.p !== undefined && /^a.$/i.test(r.p) },
  { filter: "tags.t = 'x' AND metrics.k <= 0.5", keep: (r) => r.t === "x" && has(r.k) && r.k <= 0.5 },
  { filter: "params.p != 'b' AND metrics.m > 0.1 AND metrics.m < 0.9", keep: (r) => r.p !== undefined && r.p !== "b" && has(r.m) && r.m > 0.1 && r.m < 0.9 },
];
const orders: { orderBy: string[]; cmp: (a: FakeRun, b: FakeRun) => number }[] = [
  { orderBy: [], cmp: defaultOrder },
  { orderBy: ["metrics.m"], cmp: compareBy("m", true) },
  { orderBy: ["metrics.m DESC"], cmp: compareBy("m", false) },
  { orderBy: ["params.p DESC"], cmp: compareBy("p", false) },
  { orderBy: ["tags.t"], cmp: compareBy("t", true) },
  { orderBy: ["metrics.k DESC", "params.p"], cmp: (a, b) => compareBy("k", false)(a, b) || compareBy("p", true)(a, b) },
  { orderBy: ["start_time ASC"], cmp: (a, b) => a.start - b.start || (a.id < b.id ? -1 : 1) },
];

describe("both query plans match MLflow's filter and sort", () => {
  for (const { filter, keep } of cases) {
    it(`filter "${filter}"`, async () => {
      for (const { orderBy, cmp } of orders) {
        const expected = runs.filter(keep).sort((a, b) => cmp(a, b) || defaultOrder(a, b)).map((r) => r.id);
        for (const probe of [true, false]) {
          const q = { experimentIds: [exp], clauses: parseRunFilter(filter), viewType: "ACTIVE_ONLY" as const, orderBy: orderBy.map(parseRunOrderBy), probe };
          const pks = await db.$queryRaw<{ pk: bigint }[]>(runPageSql(q, 0, 1000));
          const byPk = new Map(runs.map((r) => [r.pk, r.id]));
          expect(pks.map((r) => byPk.get(r.pk)), `${orderBy.join(",")} probe=${probe}`).toEqual(expected);
          // A middle page is the same slice of the whole.
          const page = await db.$queryRaw<{ pk: bigint; ord: bigint }[]>(runPageSql(q, 7, 11));
          expect(page.map((r) => byPk.get(r.pk))).toEqual(expected.slice(7, 18));
          // ord, which orders the page's bodies, is each run's position in the whole result
          expect(page.map((r) => Number(r.ord))).toEqual(page.map((_, i) => 8 + i));
        }
        const [count] = await db.$queryRaw<{ n: number }[]>(runCountSql({ experimentIds: [exp], clauses: parseRunFilter(filter), viewType: "ACTIVE_ONLY", orderBy: [] }));
        expect(count!.n).toBe(expected.length);
      }
    });
  }

  it("every value is a bind parameter", () => {
    const sql = runPageSql({ experimentIds: [exp], clauses: parseRunFilter("params.p = 'x''; DROP TABLE run; --'"), viewType: "ALL", orderBy: [parseRunOrderBy("tags.`a'b`")] }, 0, 10);
    expect(sql.sql).not.toContain("DROP");
    expect(sql.sql).not.toContain("a'b");
    expect(sql.values).toContain("a'b");
  });
});
