import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BatchJobView } from "@modelgate/core";
import type { Db } from "@modelgate/db";
import { useTestDatabase } from "@modelgate/db/test-db";
import { createCaller } from "../src/trpc/index.ts";
import { batchHarness, csvOf, J, jsonlOf, linearModel, predictionsOf, rowOf, uploadInput, waitForJob, type BatchHarness } from "./batch-fixtures.ts";
import { registryClient, uniq, type RegistryClient } from "./registry-fixtures.ts";
import { expectClose } from "./serving-fixtures.ts";

// Batch scoring end to end: a linear ONNX model logged and registered through REST, inputs
// uploaded through the artifact proxy, jobs created over REST and tRPC, run by the pg-boss worker
// with the real runtime; predictions checked row by row, progress, cancellation, bad rows.

let db: Db;
let h: BatchHarness;
let owner: RegistryClient;
let model: Awaited<ReturnType<typeof linearModel>>;
let outputExp: string;

beforeAll(async () => {
  const t = await useTestDatabase();
  db = t.db;
  h = await batchHarness(db, t.url);
  owner = await registryClient(h.app, db);
  model = await linearModel(h.app, owner);
  const exp = await owner.call("POST", "/experiments/create", { name: uniq("batch-out") });
  outputExp = exp.body.experiment_id;
  await h.startWorker();
});

afterAll(async () => {
  await h?.close();
});

const expected = (n: number) => Array.from({ length: n }, (_, i) => model.model.predict(rowOf(i)));

async function create(c: RegistryClient, body: Record<string, unknown>) {
  return c.call("POST", "/create", { model_name: model.name, version: "1", experiment_id: outputExp, ...body }, J);
}

describe("batch scoring", () => {
  it("scores a 50 000-row CSV run artifact into predictions.csv of a new run, in order", async () => {
    const input = await uploadInput(h.app, owner, "data/input.csv", csvOf(50_000));
    const created = await create(owner, { input: { run_id: input.runId, path: "data/input.csv" } });
    expect(created.status, created.raw).toBe(200);
    const job0 = created.body.job as BatchJobView;
    expect(job0).toMatchObject({ model_name: model.name, version: 1, input_format: "csv", input_path: input.storePath, experiment_id: outputExp, status: "QUEUED", rows_done: 0 });
    expect(job0.output_path).toBe(`${outputExp}/${job0.run_id}/artifacts/predictions.csv`);

    const { job, seen } = await waitForJob(owner, job0.id);
    expect(job.status, job.error ?? "").toBe("SUCCEEDED");
    expect(job).toMatchObject({ rows_done: 50_000, rows_total: 50_000, rows_total_estimated: false, error: null });
    expect(job.started_at).not.toBeNull();
    expect(job.finished_at).not.toBeNull();
    // progress only moves forward
    const done = seen.map((j) => j.rows_done);
    expect(done).toEqual([...done].sort((a, b) => a - b));

    expectClose(await predictionsOf(h.app, owner, job), expected(50_000));

    const run = await owner.call("GET", "/runs/get", { run_id: job.run_id });
    expect(run.body.run.info.status).toBe("FINISHED");
    const tags = Object.fromEntries((run.body.run.data.tags as { key: string; value: string }[]).map((t) => [t.key, t.value]));
    expect(tags).toMatchObject({ "modelgate.batch.job_id": job.id, "modelgate.batch.model_name": model.name, "modelgate.batch.model_version": "1" });

    const audit = await db.auditEvent.findMany({ where: { resourceId: job.id } });
    expect(audit.map((a) => a.action)).toEqual(["serving.batch_create"]);
  });

  it("scores an uploaded JSON-lines file created through tRPC, and lists the job", async () => {
    const input = await uploadInput(h.app, owner, "uploads/rows.jsonl", jsonlOf(1234));
    const trpc = createCaller({ db, actor: owner.actor, requestId: "t" });
    const job0 = await trpc.batch.create({ model_name: model.name, version: 1, experiment_id: outputExp, input: { upload_path: input.storePath } });
    expect(job0.input_format).toBe("jsonl");
    const { job } = await waitForJob(owner, job0.id);
    expect(job.status, job.error ?? "").toBe("SUCCEEDED");
    expectClose(await predictionsOf(h.app, owner, job), expected(1234));
    expect((await trpc.batch.get({ id: job.id })).rows_done).toBe(1234);
    const listed = await trpc.batch.list({ model_name: model.name });
    expect(listed.jobs.map((j) => j.id)).toContain(job.id);
    expect((await trpc.batch.list({ model_name: model.name, status: "SUCCEEDED" })).jobs.every((j) => j.status === "SUCCEEDED")).toBe(true);
    expect((await trpc.batch.list({ model_name: model.name, status: "QUEUED" })).jobs.map((j) => j.id)).not.toContain(job.id);
    const rest = await owner.call("GET", "/list", { model_name: model.name, max_results: "1" }, J);
    expect(rest.status, rest.raw).toBe(200);
    expect(rest.body.jobs).toHaveLength(1);
    expect(rest.body.next_page_token).toBeTruthy();
  });

  it("shows progress while running, and stops at the next chunk when cancelled", async () => {
    const rows = 400_000;
    const input = await uploadInput(h.app, owner, "big.csv", csvOf(rows));
    // small chunks (one cancel check each) so the job runs long enough to be watched and cancelled
    await h.stopWorker();
    await h.startWorker({ chunkRows: 500 });
    const created = await create(owner, { input: { run_id: input.runId, path: "big.csv" } });
    expect(created.status, created.raw).toBe(200);
    const id = created.body.job.id as string;
    // watched once 20,000 rows are done: before that, the bytes the reader has buffered ahead of the
    // rows parsed weigh enough to pull the estimate below half (a flaky early reading)
    const { job: running } = await waitForJob(owner, id, (j) => (j.status === "RUNNING" && j.rows_done >= 20_000) || (j.status !== "QUEUED" && j.status !== "RUNNING"));
    expect(running.status).toBe("RUNNING");
    expect(running.rows_done).toBeGreaterThan(0);
    expect(running.rows_done).toBeLessThan(rows);
    // rows_total is an estimate from the bytes read while running (rows here grow longer with i)
    expect(running.rows_total_estimated).toBe(true);
    expect(running.rows_total).toBeGreaterThan(rows / 2);
    expect(running.rows_total).toBeLessThan(rows * 2);

    const cancelled = await owner.call("POST", "/cancel", { id }, J);
    expect(cancelled.status, cancelled.raw).toBe(200);
    expect(cancelled.body.job.cancel_requested).toBe(true);
    const { job } = await waitForJob(owner, id);
    expect(job.status).toBe("CANCELLED");
    expect(job.rows_done).toBeLessThan(rows);
    const run = await owner.call("GET", "/runs/get", { run_id: job.run_id });
    expect(run.body.run.info.status).toBe("KILLED");
    // the partial predictions file is removed
    await expect(h.store.get(job.output_path!)).rejects.toThrow();
    // cancelling again is a no-op; the audit log has both events
    expect((await owner.call("POST", "/cancel", { id }, J)).status).toBe(200);
    const audit = await db.auditEvent.findMany({ where: { resourceId: id }, orderBy: { id: "asc" } });
    expect(audit.map((a) => a.action)).toEqual(["serving.batch_create", "serving.batch_cancel"]);
    await h.stopWorker();
    await h.startWorker();
  });

  it("survives a worker restart mid-job: the job starts over and succeeds", async () => {
    const rows = 200_000;
    const input = await uploadInput(h.app, owner, "restart.csv", csvOf(rows));
    await h.stopWorker();
    await h.startWorker({ chunkRows: 500 });
    const created = await create(owner, { input: { run_id: input.runId, path: "restart.csv" } });
    const id = created.body.job.id as string;
    await waitForJob(owner, id, (j) => j.rows_done > 0 || !["QUEUED", "RUNNING"].includes(j.status));
    await h.stopWorker();
    const interrupted = (await owner.call("GET", "/get", { id }, J)).body.job as BatchJobView;
    expect(interrupted.status).toBe("RUNNING");
    expect(interrupted.rows_done).toBeLessThan(rows);
    await h.startWorker();
    const { job } = await waitForJob(owner, id);
    expect(job.status, job.error ?? "").toBe("SUCCEEDED");
    expect(job.rows_done).toBe(rows);
    expectClose(await predictionsOf(h.app, owner, job), expected(rows));
  });

  it("cancels a queued job at once", async () => {
    await h.stopWorker();
    try {
      const input = await uploadInput(h.app, owner, "q.csv", csvOf(10));
      const created = await create(owner, { input: { run_id: input.runId, path: "q.csv" } });
      const id = created.body.job.id as string;
      const r = await owner.call("POST", "/cancel", { id }, J);
      expect(r.body.job).toMatchObject({ status: "CANCELLED", can_cancel: false });
    } finally {
      await h.startWorker();
    }
  });

  it("fails the job on a row the signature refuses, naming its line", async () => {
    // data row 1234 is on line 1236 (the header is line 1)
    const input = await uploadInput(h.app, owner, "bad.csv", csvOf(5000, { row: 1234, text: "1.5,abc,2" }));
    const created = await create(owner, { input: { run_id: input.runId, path: "bad.csv" } });
    const { job } = await waitForJob(owner, created.body.job.id);
    expect(job.status).toBe("FAILED");
    expect(job.error).toMatch(/^Line 1236: /);
    expect(job.error).toContain("f1");
    const run = await owner.call("GET", "/runs/get", { run_id: job.run_id });
    expect(run.body.run.info.status).toBe("FAILED");
  });

  it("fails the job on a malformed CSV line, a missing input or a JSON line that is not an object", async () => {
    const short = await uploadInput(h.app, owner, "short.csv", csvOf(100, { row: 41, text: "1,2" }));
    const a = await create(owner, { input: { run_id: short.runId, path: "short.csv" } });
    expect((await waitForJob(owner, a.body.job.id)).job.error).toBe("Line 43: expected 3 fields (as in the header), found 2");

    const b = await create(owner, { input: { run_id: short.runId, path: "nope.csv" } });
    expect((await waitForJob(owner, b.body.job.id)).job.error).toMatch(/does not exist/);

    const jl = await uploadInput(h.app, owner, "x.jsonl", `${JSON.stringify({ f0: 1, f1: 2, f2: 3 })}\n[1,2,3]\n`);
    const c = await create(owner, { input: { run_id: jl.runId, path: "x.jsonl" } });
    expect((await waitForJob(owner, c.body.job.id)).job.error).toMatch(/^Line 2: expected a JSON object/);
  });

  it("parses quoted CSV fields and CRLF line ends", async () => {
    const text = 'f2,"f0","f1"\r\n"3",1,"2"\r\n0.5,"-1",4\r\n';
    const input = await uploadInput(h.app, owner, "quoted.csv", text);
    const created = await create(owner, { input: { run_id: input.runId, path: "quoted.csv" } });
    const { job } = await waitForJob(owner, created.body.job.id);
    expect(job.status, job.error ?? "").toBe("SUCCEEDED");
    expectClose(await predictionsOf(h.app, owner, job), [model.model.predict([1, 2, 3]), model.model.predict([-1, 4, 0.5])]);
  });

  it("refuses bad requests with clear errors", async () => {
    const input = await uploadInput(h.app, owner, "in.csv", csvOf(3));
    const missingVersion = await create(owner, { version: "7", input: { run_id: input.runId, path: "in.csv" } });
    expect(missingVersion.status).toBe(400);
    expect(missingVersion.body.message).toMatch(/does not point at any version/);
    const noFormat = await create(owner, { input: { run_id: input.runId, path: "in.txt" } });
    expect(noFormat.status).toBe(400);
    expect(noFormat.body.message).toMatch(/format/);
    const escape = await create(owner, { input: { run_id: input.runId, path: "../../x.csv" } });
    expect(escape.status).toBe(400);
    const noInput = await create(owner, {});
    expect(noInput.status).toBe(400);
    const unknown = await owner.call("GET", "/get", { id: "7d7b7a2c-1111-4222-8333-944444444444" }, J);
    expect(unknown.status).toBe(404);
  });
});
