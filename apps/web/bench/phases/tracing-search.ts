// bench:tracing search: POST /api/3.0/mlflow/traces/search over 100,000 traces of one experiment
// with tag filters, as the MLflow client's search_traces sends it. The traces are seeded in SQL
// (INSERT ... SELECT generate_series: trace rows, 5 tags and 3 metadata entries each, 3 spans on
// every 10th trace), then ANALYZEd; the first page is checked against SQL before timing.
import { withPg } from "../lib/database.ts";
import { createExperiment, errorOf, type Endpoint } from "../lib/mlflow-http.ts";
import { fmtInt, fmtMs, median, type Row } from "../lib/report.ts";
import { quantile } from "../lib/serving-load.ts";
import type { TracingContext, TracingPhase, TracingSizes } from "../lib/tracing-context.ts";

const GOAL_MS = 50;
const USERS = 1000;

const targets = (s: TracingSizes) => [
  { target: `trace search: ${fmtInt(s.searchTraces)} traces, tags.env = 'prod', 100 per page (median)`, required: `≤ ${GOAL_MS} ms` },
  { target: `trace search: ${fmtInt(s.searchTraces)} traces, tags.user = 'u123' (median)`, required: `≤ ${GOAL_MS} ms` },
];

interface Page {
  traces?: { trace_id: string }[];
  next_page_token?: string;
}

async function search(ep: Endpoint, experimentId: string, filter: string, pageToken?: string): Promise<Page> {
  const res = await fetch(`${ep.baseUrl}/api/3.0/mlflow/traces/search`, {
    method: "POST",
    headers: { authorization: `Bearer ${ep.token}`, "content-type": "application/json" },
    body: JSON.stringify({ locations: [{ type: "MLFLOW_EXPERIMENT", mlflow_experiment: { experiment_id: experimentId } }], filter, max_results: 100, ...(pageToken ? { page_token: pageToken } : {}) }),
  });
  if (!res.ok) throw await errorOf(res, "traces/search");
  return (await res.json()) as Page;
}

async function seed(ctx: TracingContext, experimentId: string, n: number): Promise<number> {
  const t0 = performance.now();
  await withPg(ctx.databaseUrl, async (c) => {
    const exp = Number(experimentId);
    const base = Date.now() - n * 1000;
    await c.query("BEGIN");
    await c.query(
      `INSERT INTO trace (trace_id, experiment_id, request_time, execution_duration, state, request_preview, response_preview, name, span_count, size_bytes, created_at)
       SELECT 'tr-' || md5('bench-trace-' || i), $1, $2::bigint + i * 1000, 200 + (i * 7919) % 5000, CASE WHEN i % 25 = 0 THEN 'ERROR' ELSE 'OK' END,
              'How do I get a refund for order ' || i || '?', 'You can request a refund for order ' || i || ' from the orders page within 30 days.', 'agent',
              CASE WHEN i % 10 = 0 THEN 3 ELSE 0 END, CASE WHEN i % 10 = 0 THEN 2400 ELSE 0 END, $2::bigint + i * 1000
       FROM generate_series(0, $3::int - 1) AS i`,
      [exp, base, n],
    );
    await c.query(
      `INSERT INTO trace_tag (trace_id, key, value)
       SELECT 'tr-' || md5('bench-trace-' || i), k, v FROM generate_series(0, $2::int - 1) AS i,
       LATERAL (VALUES ('env', (ARRAY['prod', 'dev', 'staging'])[i % 3 + 1]), ('user', 'u' || (i % ${USERS})),
                       ('mlflow.traceName', 'agent'), ('mlflow.trace.spansLocation', 'TRACKING_STORE'),
                       ('mlflow.artifactLocation', 'mlflow-artifacts:/' || $1::text || '/traces/tr-' || md5('bench-trace-' || i) || '/artifacts')) AS x(k, v)`,
      [experimentId, n],
    );
    await c.query(
      `INSERT INTO trace_metadata (trace_id, key, value)
       SELECT 'tr-' || md5('bench-trace-' || i), k, v FROM generate_series(0, $1::int - 1) AS i,
       LATERAL (VALUES ('mlflow.trace_schema.version', '3'), ('mlflow.user', 'u' || (i % ${USERS})), ('mlflow.source.name', 'agent.py')) AS x(k, v)`,
      [n],
    );
    await c.query(
      `INSERT INTO trace_span (trace_id, span_id, parent_span_id, name, span_type, status, start_time_ns, end_time_ns, content)
       SELECT 'tr-' || md5('bench-trace-' || i), lpad(to_hex(i * 4 + j), 16, '0'), CASE WHEN j = 1 THEN NULL ELSE lpad(to_hex(i * 4 + 1), 16, '0') END,
              (ARRAY['agent', 'retrieve', 'chat_completion'])[j], (ARRAY['AGENT', 'RETRIEVER', 'CHAT_MODEL'])[j], 'OK',
              ($2::bigint + i * 1000) * 1000000 + j, ($2::bigint + i * 1000 + 200) * 1000000,
              '{"name":"' || (ARRAY['agent', 'retrieve', 'chat_completion'])[j] || '","start_time_unix_nano":"1","status":{"code":"STATUS_CODE_OK"},"attributes":[{"key":"mlflow.spanInputs","value":{"string_value":"{\\"query\\": \\"refund for order ' || i || '\\"}"}}]}'
       FROM generate_series(0, $1::int - 1, 10) AS i, generate_series(1, 3) AS j`,
      [n, base],
    );
    await c.query("COMMIT");
    await c.query("ANALYZE trace, trace_tag, trace_metadata, trace_span");
  });
  return (performance.now() - t0) / 1000;
}

async function expectedFirstPage(ctx: TracingContext, experimentId: string, key: string, value: string): Promise<string[]> {
  return withPg(ctx.databaseUrl, async (c) =>
    (
      await c.query<{ trace_id: string }>(
        `SELECT t.trace_id FROM trace t JOIN trace_tag g ON g.trace_id = t.trace_id AND g.key = $2 AND g.value = $3
         WHERE t.experiment_id = $1 ORDER BY t.request_time DESC, t.trace_id LIMIT 100`,
        [Number(experimentId), key, value],
      )
    ).rows.map((r) => r.trace_id),
  );
}

async function timeCalls(calls: number, fn: () => Promise<unknown>): Promise<Float64Array> {
  await fn(); // untimed: connection, plan cache
  const out = new Float64Array(calls);
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    await fn();
    out[i] = performance.now() - t0;
  }
  return out;
}

const stats = (xs: Float64Array) => `median ${fmtMs(median([...xs]))}, p95 ${fmtMs(quantile(xs, 0.95))}`;

async function run(ctx: TracingContext): Promise<Row[]> {
  const { sizes, api } = ctx;
  const experimentId = await createExperiment(api, `bench-trace-search-${ctx.stamp}`);
  const seconds = await seed(ctx, experimentId, sizes.searchTraces);
  ctx.log(`seeded ${fmtInt(sizes.searchTraces)} traces in experiment ${experimentId} in ${seconds.toFixed(1)} s`);

  // checked against SQL before anything is timed
  const prod = "tags.env = 'prod'";
  const user = "tags.user = 'u123'";
  for (const [filter, key, value] of [
    [prod, "env", "prod"],
    [user, "user", "u123"],
  ] as const) {
    const got = (await search(api, experimentId, filter)).traces?.map((t) => t.trace_id) ?? [];
    const want = await expectedFirstPage(ctx, experimentId, key, value);
    if (got.length !== want.length || got.some((id, i) => id !== want[i])) throw new Error(`${filter}: first page differs from SQL (${got.length} traces, expected ${want.length}; first ${got[0]} vs ${want[0]})`);
  }

  const prodTimes = await timeCalls(sizes.searchCalls, () => search(api, experimentId, prod));
  const userTimes = await timeCalls(sizes.searchCalls, () => search(api, experimentId, user));
  ctx.log(`tags.env = 'prod': ${stats(prodTimes)}; tags.user = 'u123': ${stats(userTimes)}`);

  // pages: follow the tokens to the deep page (checked: each page continues the last)
  let token = (await search(api, experimentId, prod)).next_page_token;
  const page2 = token;
  const t0 = performance.now();
  for (let p = 2; p <= sizes.deepPage && token; p++) token = (await search(api, experimentId, prod, token)).next_page_token;
  const walk = (performance.now() - t0) / (sizes.deepPage - 1);
  // the token that gives page deepPage + 1
  if (!page2 || !token) throw new Error("traces/search gave no next_page_token");
  const deepToken = token;
  const deepFirst = (await search(api, experimentId, prod, deepToken)).traces?.[0]?.trace_id;
  const deepWant = await withPg(ctx.databaseUrl, async (c) =>
    (
      await c.query<{ trace_id: string }>(
        `SELECT t.trace_id FROM trace t JOIN trace_tag g ON g.trace_id = t.trace_id AND g.key = 'env' AND g.value = 'prod'
         WHERE t.experiment_id = $1 ORDER BY t.request_time DESC, t.trace_id OFFSET $2 LIMIT 1`,
        [Number(experimentId), sizes.deepPage * 100],
      )
    ).rows[0]?.trace_id,
  );
  if (deepFirst !== deepWant) throw new Error(`page ${sizes.deepPage + 1} starts with ${deepFirst}, SQL says ${deepWant}`);
  const page2Times = await timeCalls(sizes.deepCalls, () => search(api, experimentId, prod, page2));
  const deepTimes = await timeCalls(sizes.deepCalls, () => search(api, experimentId, prod, deepToken));
  const firstMedian = median([...prodTimes]);

  const plan = await withPg(ctx.databaseUrl, async (c) => {
    const r = await c.query<{ "QUERY PLAN": string }>(
      `EXPLAIN (ANALYZE, BUFFERS OFF) SELECT t.* FROM trace t JOIN experiment e ON e.id = t.experiment_id
       WHERE t.experiment_id = ANY($1::int[]) AND EXISTS (SELECT 1 FROM trace_tag x WHERE x.trace_id = t.trace_id AND x.key = 'env' AND x.value = 'prod')
       ORDER BY t.request_time DESC NULLS LAST, t.trace_id ASC LIMIT 101`,
      [[Number(experimentId)]],
    );
    return r.rows.map((x) => x["QUERY PLAN"]);
  });
  ctx.log(`plan of the tags.env = 'prod' query's core:\n${plan.map((l) => `    ${l}`).join("\n")}`);
  const execLine = plan.find((l) => l.startsWith("Execution Time")) ?? "";

  const [tProd, tUser] = targets(sizes) as [{ target: string; required: string }, { target: string; required: string }];
  return [
    {
      ...tProd,
      measured: fmtMs(firstMedian),
      ceiling: "-",
      ratio: "-",
      pass: firstMedian <= GOAL_MS,
      note: `${stats(prodTimes)} over ${sizes.searchCalls} calls (one at a time, fetch keep-alive, after 1 untimed); 1 in 3 traces match, the answer is 100 TraceInfoV3 with their tags and metadata. First page checked against SQL. The query's core (trace ⋈ experiment, EXISTS on trace_tag, ORDER BY request_time DESC LIMIT 101) alone in Postgres: ${execLine.replace("Execution Time: ", "")}. Data: ${fmtInt(sizes.searchTraces)} traces seeded in SQL, 5 tags (env, user of ${USERS}, 3 mlflow.*) and 3 metadata each, 3 spans on every 10th, ANALYZEd`,
    },
    {
      ...tUser,
      measured: fmtMs(median([...userTimes])),
      ceiling: "-",
      ratio: "-",
      pass: median([...userTimes]) <= GOAL_MS,
      note: `${stats(userTimes)} over ${sizes.searchCalls} calls; ${fmtInt(sizes.searchTraces / USERS)} matching traces (1 in ${USERS}), all on the first page; checked against SQL`,
    },
    {
      target: `trace search: page 2 vs page ${sizes.deepPage + 1} (tags.env = 'prod', information)`,
      required: "-",
      measured: `${fmtMs(median([...page2Times]))} / ${fmtMs(median([...deepTimes]))}`,
      ceiling: "-",
      ratio: `${(median([...deepTimes]) / firstMedian).toFixed(1)}× page 1`,
      pass: null,
      note: `page 1 ${fmtMs(firstMedian)}; page 2 ${stats(page2Times)}; page ${sizes.deepPage + 1} (offset ${fmtInt(sizes.deepPage * 100)}) ${stats(deepTimes)}; ${sizes.deepCalls} calls each with the page_token the server gave; walking pages 2..${sizes.deepPage} once averaged ${fmtMs(walk)} per page. Page ${sizes.deepPage + 1}'s first trace checked against SQL`,
    },
  ];
}

export const tracingSearchPhase: TracingPhase = { targets, run };
