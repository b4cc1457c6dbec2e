// bench:tracing page: the portal's trace page on a 2,000-span trace. The trace is sent as the
// MLflow client sends it (its spans through POST /v1/traces, in 4 OTLP exports of 500, then the
// trace record through POST /api/3.0/mlflow/traces); Chromium (Playwright, as the e2e tests run
// it) signs in as the admin and opens /experiments/<id>/traces/<trace id> afresh each time. A load
// is timed from navigation start (the document's performance.now() origin) to the frame where the
// span tree shows the root span's row and rows down to the bottom of the tree's visible area (or
// every span, when they all fit).
import crypto from "node:crypto";
import fs from "node:fs";
import { chromium, type Browser, type Request } from "@playwright/test";
import { withPg } from "../lib/database.ts";
import { createExperiment, errorOf } from "../lib/mlflow-http.ts";
import { exportRequest, traceSpans } from "../lib/otlp-payloads.ts";
import { fmtInt, fmtMs, median, type Row } from "../lib/report.ts";
import { portalUrl, type TracingContext, type TracingPhase, type TracingSizes } from "../lib/tracing-context.ts";

const GOAL_MS = 1000;
const ROOT_NAME = "bench_root_agent";
const EXPORT_SPANS = 500;
const ROW = '[data-testid^="span-row-"]';

const target = (s: TracingSizes) => ({ target: `trace page: ${fmtInt(s.pageSpans)}-span trace shows its tree (median of ${s.pageLoads} loads)`, required: `< ${GOAL_MS} ms` });

export const chromiumPath = () => process.env.CHROMIUM_PATH || "/usr/bin/chromium";

/** Sends one trace of `n` spans as the MLflow 3.x client does; returns its MLflow trace id. */
async function sendTrace(ctx: TracingContext, experimentId: string, n: number): Promise<string> {
  const otelId = crypto.randomBytes(16);
  otelId[0] = otelId[0]! | 1;
  const baseNs = BigInt(Date.now() - 60_000) * 1_000_000n;
  const spans = traceSpans(otelId, n, 4242, baseNs);
  spans[0]!.name = ROOT_NAME;
  const traceId = `tr-${otelId.toString("hex")}`;
  // children first, the root last: an exporter flushes spans as they end
  const order = [...spans.slice(1), spans[0]!];
  for (let i = 0; i < order.length; i += EXPORT_SPANS) {
    const res = await fetch(`${ctx.api.baseUrl}/v1/traces`, {
      method: "POST",
      headers: { authorization: `Bearer ${ctx.api.token}`, "content-type": "application/x-protobuf", "x-mlflow-experiment-id": experimentId },
      body: new Uint8Array(exportRequest(order.slice(i, i + EXPORT_SPANS))),
    });
    if (!res.ok) throw new Error(`POST /v1/traces: HTTP ${res.status} ${(await res.text()).slice(0, 300)}`);
    await res.arrayBuffer();
  }
  const root = spans[0]!;
  const durationMs = Number((root.endNs - root.startNs) / 1_000_000n);
  const res = await fetch(`${ctx.api.baseUrl}/api/3.0/mlflow/traces`, {
    method: "POST",
    headers: { authorization: `Bearer ${ctx.api.token}`, "content-type": "application/json" },
    body: JSON.stringify({
      trace: {
        trace_info: {
          trace_id: traceId,
          trace_location: { type: "MLFLOW_EXPERIMENT", mlflow_experiment: { experiment_id: experimentId } },
          request_time: new Date(Number(root.startNs / 1_000_000n)).toISOString(),
          execution_duration: `${(durationMs / 1000).toFixed(3)}s`,
          state: "OK",
          request_preview: "How do I get a refund?",
          response_preview: "You can request a refund from the orders page.",
          trace_metadata: { "mlflow.trace_schema.version": "3", "mlflow.traceInputs": '{"question": "How do I get a refund?"}', "mlflow.user": "bench" },
          tags: { "mlflow.traceName": ROOT_NAME, env: "prod" },
        },
      },
    }),
  });
  if (!res.ok) throw await errorOf(res, "traces (StartTraceV3)");
  await res.arrayBuffer();
  const stored = await withPg(ctx.databaseUrl, async (c) => Number((await c.query<{ n: string }>("SELECT count(*) AS n FROM trace_span WHERE trace_id = $1", [traceId])).rows[0]!.n));
  if (stored !== n) throw new Error(`the trace has ${stored} spans stored, expected ${n}`);
  return traceId;
}

interface Load {
  /** The tRPC call that fetches the trace (tracing.get): ms from navigation start to its answer's end, and its size. */
  dataMs: number;
  dataBytes: number;
  shownMs: number;
  rows: number;
  ttfbMs: number;
  dclMs: number;
}

async function run(ctx: TracingContext): Promise<Row[]> {
  const { sizes } = ctx;
  if (!ctx.admin) throw new Error("the trace page needs the portal: run with --server=full (the default), which starts the compiled server with both planes");
  const exe = chromiumPath();
  if (!fs.existsSync(exe)) throw new Error(`no Chromium at ${exe} (Debian: apt-get install chromium, or set CHROMIUM_PATH)`);
  const experimentId = await createExperiment(ctx.api, `bench-trace-page-${ctx.stamp}`);
  const traceId = await sendTrace(ctx, experimentId, sizes.pageSpans);
  ctx.log(`page: trace ${traceId} with ${fmtInt(sizes.pageSpans)} spans in experiment ${experimentId}`);

  const base = portalUrl(ctx.server.url);
  const url = `${base}/experiments/${experimentId}/traces/${traceId}`;
  let browser: Browser | null = null;
  try {
    browser = await chromium.launch({
      executablePath: exe,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync"],
    });
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    // sign in as the e2e tests do
    await page.goto(`${base}/sign-in`);
    await page.getByLabel("Username or email").fill(ctx.admin.username);
    await page.getByRole("textbox", { name: "Password", exact: true }).fill(ctx.admin.password);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.getByTestId("current-user").waitFor({ timeout: 30_000 });

    const load = async (): Promise<Load> => {
      let data: { endMs: number; bytes: number } | null = null;
      const onFinished = (req: Request) => {
        if (!req.url().includes("/api/trpc/") || !req.url().includes("tracing.get")) return;
        const t = req.timing();
        void req
          .response()
          .then((r) => r?.body())
          .then((b) => {
            data = { endMs: t.startTime + t.responseEnd, bytes: b?.length ?? 0 };
          })
          .catch(() => {});
      };
      page.on("requestfinished", onFinished);
      const navStart = Date.now();
      const res = await page.goto(url, { waitUntil: "commit" });
      if (!res || res.status() === 404) throw new Error(`GET ${new URL(url).pathname}: HTTP ${res?.status() ?? "?"}: the trace page is not in this portal build`);
      if (res.status() >= 400) throw new Error(`GET ${new URL(url).pathname}: HTTP ${res.status()}`);
      const shown = await page.waitForFunction(
        ({ rowSel, root, all }) => {
          const rows = Array.from(document.querySelectorAll<HTMLElement>(rowSel)).filter((r) => r.getClientRects().length > 0);
          if (!rows.some((r) => (r.textContent ?? "").includes(root))) return false;
          if (rows.length >= all) return { at: performance.now(), rows: rows.length };
          // the rows reach the bottom of the tree's visible area (its scroll container, or the window)
          const last = rows[rows.length - 1]!;
          let limit = window.innerHeight;
          for (let el = last.parentElement; el; el = el.parentElement) {
            const oy = getComputedStyle(el).overflowY;
            if ((oy === "auto" || oy === "scroll") && el.scrollHeight > el.clientHeight) {
              limit = Math.min(limit, el.getBoundingClientRect().bottom);
              break;
            }
          }
          return last.getBoundingClientRect().bottom >= limit - 1 ? { at: performance.now(), rows: rows.length } : false;
        },
        { rowSel: ROW, root: ROOT_NAME, all: sizes.pageSpans },
        { polling: "raf", timeout: 30_000 },
      );
      const v = (await shown.jsonValue()) as { at: number; rows: number };
      const nav = await page.evaluate(() => {
        const n = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming | undefined;
        return { ttfb: n?.responseStart ?? NaN, dcl: n?.domContentLoadedEventEnd ?? NaN };
      });
      await page.waitForTimeout(50);
      page.off("requestfinished", onFinished);
      const d = data as { endMs: number; bytes: number } | null;
      return { shownMs: v.at, rows: v.rows, ttfbMs: nav.ttfb, dclMs: nav.dcl, dataMs: d ? d.endMs - navStart : NaN, dataBytes: d?.bytes ?? 0 };
    };

    const warm = await load(); // untimed: Next.js's first render of the route, the browser's cache of its scripts
    ctx.log(`page: first (untimed) load ${fmtMs(warm.shownMs)}, ${warm.rows} span rows shown`);
    const loads: Load[] = [];
    for (let i = 0; i < sizes.pageLoads; i++) loads.push(await load());
    const shown = median(loads.map((l) => l.shownMs));
    ctx.log(`page: ${loads.map((l) => fmtMs(l.shownMs)).join(", ")}`);
    return [
      {
        ...target(sizes),
        measured: fmtMs(shown),
        ceiling: "-",
        ratio: "-",
        pass: shown < GOAL_MS,
        note:
          `loads ${loads.map((l) => fmtMs(l.shownMs)).join(", ")} (after 1 untimed load: ${fmtMs(warm.shownMs)}); from navigation start to the frame where ${ROW} rows show the root span and reach the bottom of the tree's visible area (${loads[0]!.rows} rows rendered then, of ${fmtInt(sizes.pageSpans)} spans). ` +
          `Median time to first byte ${fmtMs(median(loads.map((l) => l.ttfbMs)))}, DOMContentLoaded ${fmtMs(median(loads.map((l) => l.dclMs)))}, the trace's data (tRPC tracing.get, ${(loads[0]!.dataBytes / 1024).toFixed(0)} KB) received ${fmtMs(median(loads.map((l) => l.dataMs)))} after the navigation began (wall clock, approximate). ` +
          `Chromium ${browser.version()} headless (${exe}), 1280×800, signed in as the admin, a full navigation each time (scripts from the browser's cache). ` +
          `Trace: ${fmtInt(sizes.pageSpans)} spans (root + ${fmtInt(sizes.pageSpans / 10 - 1)} turns of 10: CHAIN, CHAT_MODEL, RETRIEVER, EMBEDDING, TOOL, LLM, PARSER; inputs/outputs a few hundred bytes each) sent in ${Math.ceil(sizes.pageSpans / EXPORT_SPANS)} OTLP exports + StartTraceV3`,
      },
    ];
  } finally {
    await browser?.close();
  }
}

export const tracingPagePhase: TracingPhase = { targets: (s) => [target(s)], run };
