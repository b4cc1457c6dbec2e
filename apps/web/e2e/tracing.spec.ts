import crypto from "node:crypto";
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { adminPassword, mlflow, shot, signInAsAdmin } from "./helpers.ts";

// GenAI tracing: an app instrumented with MLflow 3 exports its spans over OTLP (POST /v1/traces)
// and then the trace record (POST /api/3.0/mlflow/traces), as the mlflow client does. A reviewer
// finds traces on the experiment's Traces tab (filters, live arrival), reads one (span tree and
// waterfall, inputs/outputs, the conversation, an exception), records feedback, and sees it in the
// table, on the run and on the logged model the trace was produced with.

const BASIC = () => ({ authorization: `Basic ${Buffer.from(`admin:${adminPassword}`).toString("base64")}` });
const hex = (bytes: 8 | 16) => crypto.randomBytes(bytes).toString("hex");
const MS = 1_000_000n;

interface SpanSpec {
  id: string;
  parent: string | null;
  name: string;
  type: string;
  startMs: number;
  durationMs: number;
  inputs?: unknown;
  outputs?: unknown;
  error?: { message: string; type: string };
}

/** The MLflow client's attributes: every value JSON text (json.dumps), strings included. */
const attr = (key: string, value: unknown) => ({ key, value: { stringValue: JSON.stringify(value) } });

function otlpSpan(otel: string, t0: bigint, s: SpanSpec) {
  const start = t0 + BigInt(s.startMs) * MS;
  const end = start + BigInt(s.durationMs) * MS;
  return {
    traceId: otel,
    spanId: s.id,
    ...(s.parent ? { parentSpanId: s.parent } : {}),
    name: s.name,
    startTimeUnixNano: String(start),
    endTimeUnixNano: String(end),
    attributes: [
      attr("mlflow.traceRequestId", `tr-${otel}`),
      attr("mlflow.spanType", s.type),
      ...(s.inputs !== undefined ? [attr("mlflow.spanInputs", s.inputs)] : []),
      ...(s.outputs !== undefined ? [attr("mlflow.spanOutputs", s.outputs)] : []),
    ],
    events: s.error
      ? [{ name: "exception", timeUnixNano: String(start + 5n * MS), attributes: [{ key: "exception.type", value: { stringValue: s.error.type } }, { key: "exception.message", value: { stringValue: s.error.message } }, { key: "exception.stacktrace", value: { stringValue: `Traceback (most recent call last):\n  File "tools.py", line 12, in call\n${s.error.type}: ${s.error.message}` } }] }]
      : [],
    status: s.error ? { code: 2, message: s.error.message } : { code: 1 },
  };
}

/** One traced request: the spans over OTLP, then the trace record; answers the trace id. */
async function sendTrace(request: APIRequestContext, experimentId: string, spans: SpanSpec[], o: { tags?: Record<string, string>; metadata?: Record<string, string>; state?: "OK" | "ERROR"; t0?: number } = {}) {
  const otel = hex(16);
  const t0ms = o.t0 ?? Date.now();
  const t0 = BigInt(t0ms) * MS;
  const body = { resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ scope: { name: "mlflow.tracing" }, spans: spans.map((s) => otlpSpan(otel, t0, s)) }] }] };
  const r1 = await request.post("/v1/traces", { headers: { ...BASIC(), "x-mlflow-experiment-id": experimentId, "content-type": "application/json" }, data: body });
  expect(r1.status(), `OTLP export: ${await r1.text()}`).toBe(200);
  const root = spans.find((s) => s.parent === null)!;
  const traceId = `tr-${otel}`;
  const r2 = await request.post("/api/3.0/mlflow/traces", {
    headers: BASIC(),
    data: {
      trace: {
        trace_info: {
          trace_id: traceId,
          trace_location: { type: "MLFLOW_EXPERIMENT", mlflow_experiment: { experiment_id: experimentId } },
          request_time: new Date(t0ms).toISOString(),
          execution_duration: `${(root.durationMs / 1000).toFixed(3)}s`,
          state: o.state ?? (spans.some((s) => s.error && s.parent === null) ? "ERROR" : "OK"),
          trace_metadata: { "mlflow.trace.sizeStats": JSON.stringify({ num_spans: spans.length }), ...(o.metadata ?? {}) },
          tags: o.tags ?? {},
        },
      },
    },
  });
  expect(r2.status(), `StartTraceV3: ${await r2.text()}`).toBe(200);
  return traceId;
}

const QUESTION = "How long do I have to return my headphones for a refund?";
const ANSWER = "You can return them within 30 days for a full refund.";

/** 200 spans: a CHAIN root with chat inputs/outputs, 47 steps of LLM/TOOL/RETRIEVER, one failing tool, and a deep chain at the end. */
function bigTrace(): { spans: SpanSpec[]; deepest: SpanSpec; failing: SpanSpec } {
  const root: SpanSpec = {
    id: hex(8),
    parent: null,
    name: "support_agent",
    type: "CHAIN",
    startMs: 0,
    durationMs: 5000,
    inputs: { messages: [{ role: "system", content: "You are a helpful support agent." }, { role: "user", content: QUESTION }] },
    outputs: { choices: [{ index: 0, message: { role: "assistant", content: ANSWER }, finish_reason: "stop" }] },
  };
  const spans: SpanSpec[] = [root];
  let failing: SpanSpec | undefined;
  for (let i = 0; i < 47; i++) {
    const step: SpanSpec = { id: hex(8), parent: root.id, name: `step-${i}`, type: "CHAIN", startMs: 10 + i * 100, durationMs: 90, inputs: { step: i } };
    spans.push(step);
    spans.push({ id: hex(8), parent: step.id, name: `llm-${i}`, type: "LLM", startMs: step.startMs + 2, durationMs: 40, inputs: { messages: [{ role: "user", content: `think about step ${i}` }] }, outputs: { choices: [{ message: { role: "assistant", content: `step ${i} done` } }] } });
    spans.push({ id: hex(8), parent: step.id, name: `tool-${i}`, type: "TOOL", startMs: step.startMs + 45, durationMs: 20, inputs: { order_id: 1000 + i }, outputs: { status: "shipped" } });
    spans.push({ id: hex(8), parent: step.id, name: `retrieve-${i}`, type: "RETRIEVER", startMs: step.startMs + 66, durationMs: 20, inputs: { query: `policy ${i}` }, outputs: [{ doc_id: `doc-${i}` }] });
    if (i === 3) {
      failing = { id: hex(8), parent: step.id, name: "flaky_inventory_tool", type: "TOOL", startMs: step.startMs + 80, durationMs: 8, inputs: { sku: "HP-42" }, error: { type: "ConnectionError", message: "inventory service unreachable" } };
      spans.push(failing);
    }
  }
  let parent = root.id;
  for (let d = 1; d <= 9; d++) {
    const s: SpanSpec = { id: hex(8), parent, name: `nested-${d}`, type: "CHAIN", startMs: 4800 + d * 10, durationMs: 150 - d * 10 };
    spans.push(s);
    parent = s.id;
  }
  const deepest: SpanSpec = { id: hex(8), parent, name: "deepest_retrieval", type: "RETRIEVER", startMs: 4900, durationMs: 50, inputs: { query: "refund window headphones", top_k: 3 }, outputs: [{ doc_id: "policy-7", text: "Refunds are accepted within 30 days." }, { doc_id: "faq-2", text: "Headphones count as electronics." }] };
  spans.push(deepest);
  return { spans, deepest, failing: failing! };
}

function smallTrace(question: string, answer: string, durationMs: number, error = false): SpanSpec[] {
  const root: SpanSpec = { id: hex(8), parent: null, name: "support_agent", type: "CHAIN", startMs: 0, durationMs, inputs: { messages: [{ role: "user", content: question }] }, outputs: error ? undefined : { choices: [{ message: { role: "assistant", content: answer } }] }, ...(error ? { error: { type: "RateLimitError", message: "429 from the model provider" } } : {}) };
  return [root, { id: hex(8), parent: root.id, name: "chat_model", type: "LLM", startMs: 5, durationMs: durationMs - 10 }];
}

const rowIds = (page: Page) => page.getByTestId("traces-table").locator("tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-testid")?.replace("trace-row-", "")));

test("traces are listed live, filtered, read span by span, assessed, and linked from their run and model", async ({ page, request }) => {
  await signInAsAdmin(page);
  const api = mlflow(request, `admin:${adminPassword}`);
  const suffix = crypto.randomBytes(3).toString("hex");
  const { experiment_id: experimentId } = await api.post("experiments/create", { name: `e2e-traces-${suffix}` });
  const { run } = await api.post("runs/create", { experiment_id: experimentId, run_name: "eval-run", start_time: Date.now(), tags: [] });
  const runId = run.info.run_id as string;
  const { model } = await api.post("logged-models", { experiment_id: experimentId, name: "support-agent", source_run_id: runId });
  const modelId = model.info.model_id as string;

  const now = Date.now();
  const big = bigTrace();
  const bigId = await sendTrace(request, experimentId, big.spans, { t0: now - 60_000, tags: { env: "prod" }, metadata: { "mlflow.modelId": modelId, "mlflow.sourceRun": runId } });
  const prodId = await sendTrace(request, experimentId, smallTrace("Where is my order 1234?", "It ships tomorrow.", 1200), { t0: now - 50_000, tags: { env: "prod", customer: "acme" }, metadata: { "mlflow.sourceRun": runId } });
  const devId = await sendTrace(request, experimentId, smallTrace("Cancel my subscription", "Done, it is cancelled.", 300), { t0: now - 40_000, tags: { env: "dev" } });
  const errId = await sendTrace(request, experimentId, smallTrace("Translate this manual", "", 800, true), { t0: now - 30_000, tags: { env: "prod" } });

  // ---- the Traces tab ----
  await page.goto(`/experiments/${experimentId}`);
  await page.getByTestId("tab-traces").click();
  await expect(page).toHaveURL(/tab=traces/);
  await expect(page.getByTestId("traces-count")).toHaveText("4 traces");
  expect(await rowIds(page)).toEqual([errId, devId, prodId, bigId]);
  const bigRow = page.getByTestId(`trace-row-${bigId}`);
  await expect(bigRow.getByTestId("trace-request")).toHaveText(QUESTION);
  await expect(bigRow.getByTestId("trace-response")).toHaveText(ANSWER);
  await expect(bigRow.getByTestId("trace-state")).toHaveText("OK");
  await expect(bigRow.getByTestId("trace-latency")).toHaveText("5.00 s");
  await expect(page.getByTestId(`trace-row-${prodId}`).getByTestId("trace-tags")).toContainText("customer: acme");
  await expect(page.getByTestId(`trace-row-${errId}`).getByTestId("trace-state")).toHaveText("ERROR");
  await expect(page.getByTestId(`trace-row-${devId}`).getByTestId("trace-latency")).toHaveText("300 ms");
  await shot(page, "tracing-01-traces-tab");

  // filter: only the prod traces; the filter is in the URL
  const filter = page.getByTestId("trace-filter");
  await filter.fill("tags.env = 'prod'");
  await filter.press("Enter");
  await expect(page.getByTestId("traces-count")).toHaveText("3 traces");
  expect(await rowIds(page)).toEqual([errId, prodId, bigId]);
  await expect(page).toHaveURL(/filter=tags\.env/);
  await shot(page, "tracing-02-filtered");

  // a bad filter: MLflow's message, inline, and the table keeps the last good filter
  await filter.fill("trace.bogus = 'x'");
  await expect(page.getByText("Invalid attribute key 'bogus' specified.", { exact: false })).toBeVisible();
  await expect(page.getByRole("button", { name: "Apply" })).toBeDisabled();
  await expect(page.getByTestId("traces-count")).toHaveText("3 traces");
  await shot(page, "tracing-03-bad-filter");
  await page.getByRole("button", { name: "Clear" }).click();
  await expect(page.getByTestId("traces-count")).toHaveText("4 traces");

  // live arrival: a trace logged while the tab is open shows up at the top, marked new
  const liveId = await sendTrace(request, experimentId, smallTrace("Is the store open on Sunday?", "Yes, 10:00 to 16:00.", 450), { tags: { env: "prod" } });
  const liveRow = page.getByTestId(`trace-row-${liveId}`);
  await expect(liveRow).toBeVisible({ timeout: 15_000 });
  await expect(liveRow).toHaveAttribute("data-new", "true");
  await expect(page.getByTestId("traces-new")).toHaveText("1 new trace");
  expect((await rowIds(page))[0]).toBe(liveId);
  await expect(liveRow.getByTestId("trace-request")).toHaveText("Is the store open on Sunday?");
  await shot(page, "tracing-04-live-arrival");
  await page.getByTestId("traces-new").click();
  await expect(page.getByTestId("traces-new")).toHaveCount(0);
  await expect(liveRow).not.toHaveAttribute("data-new", "true");

  // ---- the trace page ----
  const started = Date.now();
  await page.getByTestId(`trace-link-${bigId}`).click();
  await expect(page.getByTestId("span-count")).toHaveText("200 spans");
  console.log(`[tracing] trace page with 200 spans ready ${Date.now() - started} ms after the click`);
  await expect(page.getByTestId("trace-span-count")).toHaveText("200");
  await expect(page.getByTestId("trace-id")).toHaveText(bigId);
  await expect(page.getByTestId("trace-latency")).toHaveText("5.00 s");
  await expect(page.getByTestId("trace-run-link")).toHaveAttribute("href", `/experiments/${experimentId}/runs/${runId}`);
  await expect(page.getByTestId("trace-model-link")).toHaveAttribute("href", `/experiments/${experimentId}/models/${modelId}`);
  await expect(page.getByTestId("trace-header-tags")).toContainText("env: prod");
  // virtualized: far fewer rows in the page than spans in the trace
  const rendered = await page.locator('[data-testid^="span-row-"]').count();
  expect(rendered).toBeLessThan(80);

  // the root is selected: its conversation
  await expect(page.getByTestId("span-details-name")).toHaveText("support_agent");
  await expect(page.getByTestId("chat-turn-user")).toHaveText(/user\s*How long do I have to return my headphones/);
  await expect(page.getByTestId("chat-turn-assistant")).toContainText(ANSWER);
  await expect(page.getByTestId("chat-turn-system")).toContainText("helpful support agent");
  await shot(page, "tracing-05-trace-chat");

  // scroll the virtualized tree down to the deepest span, open it
  const deepRow = page.getByTestId(`span-row-${big.deepest.id}`);
  const tree = page.getByTestId("span-tree-scroll");
  for (let i = 0; i < 40 && !(await deepRow.isVisible()); i++) await tree.evaluate((el) => el.scrollBy(0, 300));
  await expect(deepRow).toBeVisible();
  await expect(deepRow).toHaveAttribute("aria-level", "11");
  await deepRow.click();
  await expect(page.getByTestId("span-details-name")).toHaveText("deepest_retrieval");
  await page.getByTestId("span-tab-inputs").click();
  await expect(page.getByTestId("span-inputs")).toContainText("refund window headphones");
  await expect(page.getByTestId("span-inputs")).toContainText("top_k");
  await page.getByTestId("span-tab-outputs").click();
  const outputs = page.getByTestId("span-outputs");
  await expect(outputs).toContainText("[2 items]");
  await expect(outputs).not.toContainText("policy-7"); // nested objects start collapsed
  await page.getByTestId("span-outputs-search").fill("policy");
  await expect(outputs.getByTestId("json-match").first()).toHaveText("policy");
  await expect(outputs).toContainText("policy-7");
  await expect(outputs).not.toContainText("faq-2"); // the branch without a match is left out
  await shot(page, "tracing-06-deep-span-outputs");

  // the failing tool: status and its exception event
  await tree.evaluate((el) => el.scrollTo(0, 0));
  await page.getByTestId("span-search").fill("flaky");
  await page.getByTestId(`span-row-${big.failing.id}`).click();
  await expect(page.getByTestId("span-status-message")).toHaveText("inventory service unreachable");
  await page.getByTestId("span-tab-events").click();
  const exception = page.getByTestId("span-event-exception");
  await expect(exception).toContainText("ConnectionError");
  await expect(exception).toContainText("inventory service unreachable");
  await expect(exception).toContainText("Traceback (most recent call last)");
  await shot(page, "tracing-07-error-event");
  await page.getByTestId("span-search").fill("");

  // a reviewer's feedback
  await page.getByTestId("assessment-name").fill("correctness");
  await page.getByTestId("assessment-rationale-input").fill("Cites the 30-day refund policy correctly.");
  await page.getByTestId("assessment-submit").click();
  const fb = page.getByTestId("assessment-row-correctness");
  await expect(fb.getByTestId("assessment-value")).toHaveText("yes");
  await expect(fb.getByTestId("assessment-rationale")).toHaveText("Cites the 30-day refund policy correctly.");
  await expect(fb).toContainText("human · admin");

  // an expectation, then revised by its author
  const form = page.getByTestId("assessment-form");
  await form.locator("label", { hasText: /^Expectation$/ }).click();
  await page.getByTestId("assessment-name").fill("expected_answer");
  await form.locator("label", { hasText: /^Text$/ }).click();
  await page.getByTestId("assessment-text").fill("30 days");
  await page.getByTestId("assessment-submit").click();
  const ex = page.getByTestId("assessment-row-expected_answer");
  await expect(ex.getByTestId("assessment-value")).toHaveText("30 days");
  await page.getByTestId("assessment-edit-expected_answer").click();
  await page.getByTestId("assessment-edit-text").fill("30 days, full refund");
  await page.getByTestId("assessment-edit-rationale").fill("The policy page says full refund.");
  await page.getByTestId("assessment-edit-save").click();
  await expect(ex.getByTestId("assessment-value")).toHaveText("30 days, full refund");
  await expect(ex.getByTestId("assessment-rationale")).toHaveText("The policy page says full refund.");
  await shot(page, "tracing-08-feedback");

  // ---- the feedback as a column of the table, and as a filter ----
  await page.goto(`/experiments/${experimentId}?tab=traces`);
  await expect(page.locator('th[data-column="assessment.correctness"]')).toHaveText("correctness");
  await expect(page.getByTestId(`trace-row-${bigId}`).getByTestId("assessment-cell-correctness")).toHaveText("yes");
  await shot(page, "tracing-09-assessment-column");
  await page.getByTestId("trace-filter").fill("feedback.correctness = 'yes'");
  await page.getByTestId("trace-filter").press("Enter");
  await expect(page.getByTestId("traces-count")).toHaveText("1 trace");

  // ---- the run: its traces, linked to the filtered tab ----
  await page.goto(`/experiments/${experimentId}/runs/${runId}`);
  await expect(page.getByTestId("run-traces-count")).toHaveText("2 traces produced in this run");
  await shot(page, "tracing-10-run-traces");
  await page.getByTestId("run-traces-link").click();
  await expect(page.getByTestId("trace-filter")).toHaveValue(`trace.run_id = '${runId}'`);
  await expect(page.getByTestId("traces-count")).toHaveText("2 traces");
  expect(await rowIds(page)).toEqual([prodId, bigId]);

  // ---- the logged model: its traces and their feedback ----
  await page.goto(`/experiments/${experimentId}/models/${modelId}`);
  await expect(page.getByTestId("model-traces-count")).toHaveText("1 trace with this model active · 1 assessed");
  const agg = page.getByTestId("model-feedback-correctness");
  await expect(agg).toContainText("1 / 1");
  await page.getByTestId("model-traces").scrollIntoViewIfNeeded();
  await shot(page, "tracing-11-model-traces");
  await page.getByTestId("model-traces-link").click();
  await expect(page.getByTestId("traces-count")).toHaveText("1 trace");
  expect(await rowIds(page)).toEqual([bigId]);

  // ---- the same feedback as evidence on a promotion request for the model's registered version ----
  const ready = await request.patch(`/api/2.0/mlflow/logged-models/${modelId}`, { headers: BASIC(), data: { status: "LOGGED_MODEL_READY" } });
  expect(ready.status(), await ready.text()).toBe(200);
  const agentName = `e2e-agent-${suffix}`;
  await api.post("registered-models/create", { name: agentName });
  await api.post("model-versions/create", { name: agentName, source: `models:/${modelId}`, model_id: modelId });
  const { request: promotion } = await api.post("transition-requests/create", { name: agentName, version: "1", stage: "Production" });
  await page.goto(`/approvals/${promotion.id}`);
  const evidence = page.getByTestId("trace-evidence");
  await expect(evidence.getByTestId("trace-evidence-link")).toHaveText(`1 trace of logged model ${modelId}`);
  const row = evidence.getByTestId("trace-evidence-correctness");
  await expect(row.locator("td").nth(0)).toHaveText("correctness");
  await expect(row.locator("td").nth(2)).toHaveText("1");
  await expect(row.locator("td").nth(3)).toHaveText("1 of 1");
  await evidence.scrollIntoViewIfNeeded();
  await shot(page, "tracing-13-request-evidence");

  // ---- deleting traces (with confirmation) ----
  await page.goto(`/experiments/${experimentId}?tab=traces`);
  await page.getByRole("checkbox", { name: `Select trace ${devId}` }).check();
  await page.getByRole("checkbox", { name: `Select trace ${liveId}` }).check();
  await page.getByTestId("traces-delete").click();
  await expect(page.getByRole("dialog", { name: "Delete traces" })).toContainText("Delete 2 traces");
  await page.getByTestId("traces-delete-confirm").click();
  await expect(page.getByTestId("traces-count")).toHaveText("3 traces");
  expect(await rowIds(page)).toEqual([errId, prodId, bigId]);

  // retention (MANAGE): shown and set
  await page.getByTestId("trace-retention").click();
  await page.getByTestId("trace-retention-days").fill("30");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByTestId("trace-retention")).toHaveText("Retention: 30 days");
});

test("a trace of 2,000 spans opens quickly and scrolls through its tree", async ({ page, request }) => {
  await signInAsAdmin(page);
  const api = mlflow(request, `admin:${adminPassword}`);
  const { experiment_id: experimentId } = await api.post("experiments/create", { name: `e2e-big-trace-${crypto.randomBytes(3).toString("hex")}` });
  const root: SpanSpec = { id: hex(8), parent: null, name: "batch_agent", type: "AGENT", startMs: 0, durationMs: 20_000, inputs: { messages: [{ role: "user", content: "Summarise 400 tickets" }] } };
  const spans: SpanSpec[] = [root];
  for (let i = 0; i < 400; i++) {
    const step: SpanSpec = { id: hex(8), parent: root.id, name: `ticket-${i}`, type: "CHAIN", startMs: i * 50, durationMs: 45, inputs: { ticket: i, text: `Customer ${i} cannot log in after the update`.repeat(3) } };
    spans.push(step);
    for (const [j, type] of (["RETRIEVER", "LLM", "TOOL", "PARSER"] as const).entries()) {
      spans.push({ id: hex(8), parent: step.id, name: `${type.toLowerCase()}-${i}`, type, startMs: i * 50 + j * 10, durationMs: 9, inputs: { i, j }, outputs: { ok: true, summary: `result ${i}.${j}` } });
    }
  }
  spans.pop(); // 1 + 400 * 5 - 1 = 2,000
  expect(spans).toHaveLength(2000);
  const traceId = await sendTrace(request, experimentId, spans);

  await page.goto(`/experiments/${experimentId}?tab=traces`);
  await expect(page.getByTestId(`trace-row-${traceId}`)).toBeVisible();
  const started = Date.now();
  const answer = page.waitForResponse((r) => r.url().includes("tracing.get"));
  await page.getByTestId(`trace-link-${traceId}`).click();
  const response = await answer;
  const fetched = Date.now() - started;
  // checked every animation frame: the moment the tree is on screen, not the next assertion retry
  await page.waitForFunction(() => document.querySelector('[data-testid="span-count"]')?.textContent === "2000 spans", null, { polling: "raf" });
  const ms = Date.now() - started;
  const timing = response.request().timing();
  console.log(
    `[tracing] 2,000 spans: tree on screen ${ms} ms after the click, ${ms - fetched} ms after tracing.get answered (${fetched} ms) (server ${Math.round(timing.responseStart - timing.requestStart)} ms, ${Math.round((await response.body()).length / 1024)} KiB)`,
  );
  expect(await page.locator('[data-testid^="span-row-"]').count()).toBeLessThan(80);

  // scrolling to the end of the tree renders the last span
  const last = spans.at(-1)!;
  await page.getByTestId("span-tree-scroll").evaluate((el) => el.scrollTo(0, el.scrollHeight));
  await page.getByTestId(`span-row-${last.id}`).click();
  await expect(page.getByTestId("span-details-name")).toHaveText(last.name);
  await shot(page, "tracing-12-2000-spans");
});
