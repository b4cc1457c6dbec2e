import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configureRegistry, configureTracking, setExperimentPermission, setModelPermission } from "@modelgate/core";
import type { Db } from "@modelgate/db";
import { useTestDatabase } from "@modelgate/db/test-db";
import { createCaller } from "../src/trpc/index.ts";
import { batchHarness, csvOf, J, linearModel, uploadInput, waitForJob, type BatchHarness } from "./batch-fixtures.ts";
import { registryClient, uniq, type RegistryClient } from "./registry-fixtures.ts";
import { registerVersion } from "./serving-fixtures.ts";

// Who may create, read and cancel batch jobs: READ on the model and on the input, EDIT on the
// output experiment to create; READ on the model to see a job (otherwise it does not exist);
// the creator or MANAGE on the model to cancel. Nobody has any access by default in this file.

let db: Db;
let h: BatchHarness;
let owner: RegistryClient;
let reader: RegistryClient;
let stranger: RegistryClient;
let admin: RegistryClient;
let model: Awaited<ReturnType<typeof linearModel>>;
let ownerExp: string;
let readerExp: string;
let input: Awaited<ReturnType<typeof uploadInput>>;

beforeAll(async () => {
  configureRegistry({ defaultModelPermission: "NONE" });
  configureTracking({ defaultExperimentPermission: "NONE" });
  const t = await useTestDatabase();
  db = t.db;
  h = await batchHarness(db, t.url);
  owner = await registryClient(h.app, db);
  reader = await registryClient(h.app, db);
  stranger = await registryClient(h.app, db);
  admin = await registryClient(h.app, db, "ADMIN");
  model = await linearModel(h.app, owner);
  await setModelPermission(owner.ctx, { name: model.name, username: reader.user.username, level: "READ" });
  ownerExp = (await owner.call("POST", "/experiments/create", { name: uniq("o") })).body.experiment_id;
  readerExp = (await reader.call("POST", "/experiments/create", { name: uniq("r") })).body.experiment_id;
  input = await uploadInput(h.app, owner, "in.csv", csvOf(100));
  // the reader may read the owner's input run, not write to its experiment
  await setExperimentPermission(owner.ctx, { experiment_id: input.experimentId, username: reader.user.username, level: "READ" });
  await setExperimentPermission(owner.ctx, { experiment_id: ownerExp, username: reader.user.username, level: "READ" });
});

afterAll(async () => {
  await h?.close();
  configureRegistry({ defaultModelPermission: "READ" });
  configureTracking({ defaultExperimentPermission: "READ" });
});

const body = (exp: string, extra: Record<string, unknown> = {}) => ({ model_name: model.name, version: "1", experiment_id: exp, input: { run_id: input.runId, path: "in.csv" }, ...extra });

describe("batch scoring permissions", () => {
  it("creating needs READ on the model, READ on the input and EDIT on the output experiment", async () => {
    // no access to the model: it does not exist for them
    const s = await stranger.call("POST", "/create", body(ownerExp), J);
    expect(s.status).toBe(404);
    // READ on the model but only READ on the output experiment
    const r1 = await reader.call("POST", "/create", body(ownerExp), J);
    expect(r1.status).toBe(403);
    // their own experiment: allowed
    const r2 = await reader.call("POST", "/create", body(readerExp), J);
    expect(r2.status, r2.raw).toBe(200);
    expect(r2.body.job).toMatchObject({ creator: reader.user.username, permission_level: "READ", can_cancel: true });
  });

  it("refuses an input the caller may not read, as not found", async () => {
    const mine = await uploadInput(h.app, stranger, "secret.csv", csvOf(5));
    const r = await reader.call("POST", "/create", body(readerExp, { input: { run_id: mine.runId, path: "secret.csv" } }), J);
    expect(r.status).toBe(404);
    const up = await reader.call("POST", "/create", body(readerExp, { input: { upload_path: mine.storePath } }), J);
    expect(up.status).toBe(404);
  });

  it("refuses a version that cannot be served", async () => {
    await registerVersion(h.app, owner, model.name, { MLmodel: "artifact_path: model\nflavors:\n  sklearn:\n    pickled_model: model.pkl\n", "model.pkl": "x" });
    const r = await owner.call("POST", "/create", body(ownerExp, { version: "2" }), J);
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(/no onnx flavor \(flavors found: sklearn\)/);
  });

  it("jobs of models the caller may not read are invisible; cancelling needs the creator or MANAGE", async () => {
    await h.stopWorker(); // keep the jobs QUEUED
    const created = await owner.call("POST", "/create", body(ownerExp), J);
    expect(created.status, created.raw).toBe(200);
    const id = created.body.job.id as string;

    expect((await stranger.call("GET", "/get", { id }, J)).status).toBe(404);
    expect((await stranger.call("POST", "/cancel", { id }, J)).status).toBe(404);
    const strangerList = await createCaller({ db, actor: stranger.actor, requestId: "t" }).batch.list();
    expect(strangerList.jobs.map((j) => j.id)).not.toContain(id);

    const seen = await reader.call("GET", "/get", { id }, J);
    expect(seen.status).toBe(200);
    expect(seen.body.job.can_cancel).toBe(false);
    expect((await reader.call("GET", "/list", {}, J)).body.jobs.map((j: { id: string }) => j.id)).toContain(id);
    expect((await reader.call("POST", "/cancel", { id }, J)).status).toBe(403);

    // MANAGE on the model (an admin) may cancel someone else's job
    const byAdmin = await admin.call("POST", "/cancel", { id }, J);
    expect(byAdmin.status, byAdmin.raw).toBe(200);
    expect(byAdmin.body.job.status).toBe("CANCELLED");

    // the creator may cancel their own job with READ only on the model
    const own = await reader.call("POST", "/create", body(readerExp), J);
    const mine = await reader.call("POST", "/cancel", { id: own.body.job.id }, J);
    expect(mine.status, mine.raw).toBe(200);
    expect(mine.body.job.status).toBe("CANCELLED");

    // jobs written while no worker ran are picked up when one starts
    const later = await owner.call("POST", "/create", body(ownerExp), J);
    await h.startWorker();
    const { job } = await waitForJob(owner, later.body.job.id);
    expect(job.status, job.error ?? "").toBe("SUCCEEDED");
    expect(job.rows_done).toBe(100);
  });

  it("needs authentication", async () => {
    const r = await h.app.inject({ method: "GET", url: `${J}/list` });
    expect(r.statusCode).toBe(401);
  });
});
