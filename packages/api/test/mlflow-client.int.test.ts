// The API driven by a client nobody here wrote: the `mlflow` package from the npm registry (an
// MLflow REST client for Node), over real HTTP, the way its users call it.
import crypto from "node:crypto";
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import MLflow from "mlflow";
import { RunStatus } from "mlflow/enum";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createToken, createUser, systemActor } from "@modelgate/core";
import { useTestDatabase } from "@modelgate/db/test-db";
import { createDataPlaneApp } from "../src/rest/index.ts";

let app: FastifyInstance;
let client: MLflow;
let anonymous: MLflow;

/** The package rejects with Error(JSON.stringify({status, statusText, data})) wrapped once more. */
async function failure(p: Promise<unknown>): Promise<{ status: number; data: { error_code: string; message: string } }> {
  const e = await p.then(
    () => {
      throw new Error("expected the call to fail");
    },
    (err: unknown) => err as Error,
  );
  const json = e.message.slice(e.message.indexOf("{"));
  return JSON.parse(json) as { status: number; data: { error_code: string; message: string } };
}

beforeAll(async () => {
  // the package logs every POST body with console.log
  vi.spyOn(console, "log").mockImplementation(() => {});
  const { db } = await useTestDatabase();
  const u = await createUser({ db, actor: systemActor("test") }, { username: `npm-${crypto.randomBytes(3).toString("hex")}`, password: "a long enough password", role: "USER" });
  const { secret } = await createToken({ db, actor: { kind: "user", userId: u.id, username: u.username, role: u.role } }, { name: "npm client" });
  app = await createDataPlaneApp({ db, version: "test" });
  await app.listen({ port: 0, host: "127.0.0.1" });
  const endpoint = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  client = new MLflow({ endpoint, headers: { Authorization: `Bearer ${secret}` } });
  anonymous = new MLflow({ endpoint });
});
afterAll(async () => {
  await app.close();
  vi.restoreAllMocks();
});

describe("the mlflow npm client", () => {
  it("creates an experiment and a run, logs params, metrics and tags, reads them back and searches", async () => {
    const name = `npm-client-${Date.now()}`;
    const { experiment_id } = (await client.Experiments.create({ name, artifact_location: "" })) as unknown as { experiment_id: string };
    expect(experiment_id).toMatch(/^\d+$/);
    const { experiment } = (await client.Experiments.get({ experiment_id })) as unknown as { experiment: { name: string; lifecycle_stage: string; artifact_location: string } };
    expect(experiment).toMatchObject({ name, lifecycle_stage: "active", artifact_location: `mlflow-artifacts:/${experiment_id}` });

    const started = Date.now();
    const { run } = (await client.Runs.create({ experiment_id, user_id: "data-scientist", start_time: started, tags: [{ key: "team", value: "vision" }] })) as unknown as {
      run: { info: { run_id: string; run_uuid: string; status: string; artifact_uri: string; run_name: string } };
    };
    const runId = run.info.run_id;
    expect(runId).toMatch(/^[0-9a-f]{32}$/);
    expect(run.info).toMatchObject({ run_uuid: runId, status: "RUNNING", artifact_uri: `mlflow-artifacts:/${experiment_id}/${runId}/artifacts` });
    expect(run.info.run_name).toMatch(/^[a-z]+-[a-z]+-\d+$/);

    await client.Runs.logParameter({ run_id: runId, key: "lr", value: "0.01" });
    for (let step = 0; step < 5; step++) {
      await client.Runs.logMetric({ run_id: runId, key: "loss", value: 1 / (step + 1), timestamp: started + step, step });
    }
    await client.Runs.logBatch({
      run_id: runId,
      metrics: [{ key: "acc", value: 0.9, timestamp: started, step: 0 }],
      params: [{ key: "epochs", value: "5" }],
      tags: [{ key: "stage", value: "train" }],
    });
    await client.Runs.setTag({ run_id: runId, key: "note", value: "hello" });
    await client.Runs.update({ run_id: runId, status: RunStatus.FINISHED, end_time: started + 10 });

    const got = (await client.Runs.get({ run_id: runId })) as unknown as {
      run: { info: { status: string; end_time: number }; data: { metrics: { key: string; value: number; step: number }[]; params: { key: string; value: string }[]; tags: { key: string; value: string }[] } };
    };
    expect(got.run.info).toMatchObject({ status: "FINISHED", end_time: started + 10 });
    // the latest loss is the one with the greatest step
    expect(got.run.data.metrics).toEqual(expect.arrayContaining([expect.objectContaining({ key: "loss", value: 0.2, step: 4 }), expect.objectContaining({ key: "acc", value: 0.9 })]));
    expect(got.run.data.params).toEqual(expect.arrayContaining([{ key: "lr", value: "0.01" }, { key: "epochs", value: "5" }]));
    expect(got.run.data.tags).toEqual(expect.arrayContaining([{ key: "team", value: "vision" }, { key: "note", value: "hello" }, { key: "stage", value: "train" }]));

    const history = (await client.Metrics.getHistory({ run_id: runId, metric_key: "loss" })) as unknown as { metrics: { step: number; value: number }[] };
    expect(history.metrics.map((m) => m.step)).toEqual([0, 1, 2, 3, 4]);

    const second = (await client.Runs.create({ experiment_id, user_id: "data-scientist", start_time: started + 1 })) as unknown as { run: { info: { run_id: string } } };
    await client.Runs.logMetric({ run_id: second.run.info.run_id, key: "loss", value: 0.9, timestamp: started, step: 0 });
    const found = (await client.Runs.search({ experiment_ids: [experiment_id], filter: "metrics.loss < 0.5", order_by: ["metrics.loss ASC"] })) as unknown as { runs: { info: { run_id: string } }[] };
    expect(found.runs.map((r) => r.info.run_id)).toEqual([runId]);
    const all = (await client.Runs.search({ experiment_ids: [experiment_id], order_by: ["metrics.loss DESC"] })) as unknown as { runs: { info: { run_id: string } }[] };
    expect(all.runs.map((r) => r.info.run_id)).toEqual([second.run.info.run_id, runId]);

    await client.Runs.delete({ run_id: second.run.info.run_id });
    const active = (await client.Runs.search({ experiment_ids: [experiment_id] })) as unknown as { runs: unknown[] };
    expect(active.runs).toHaveLength(1);
    await client.Runs.restore({ run_id: second.run.info.run_id });

    const listed = (await client.Experiments.list({ view_type: "ACTIVE_ONLY" as never })) as unknown as { experiments: { experiment_id: string; name: string }[] };
    expect(listed.experiments).toEqual(expect.arrayContaining([expect.objectContaining({ experiment_id, name }), expect.objectContaining({ experiment_id: "0", name: "Default" })]));

    await client.Experiments.update({ experiment_id, new_name: `${name}-renamed` });
    expect(((await client.Experiments.get({ experiment_id })) as unknown as { experiment: { name: string } }).experiment.name).toBe(`${name}-renamed`);
  });

  it("sees MLflow's errors: a changed param is 400 INVALID_PARAMETER_VALUE, an unknown run 404, no token 401", async () => {
    const { run } = (await client.Runs.create({ experiment_id: "0", user_id: "data-scientist", start_time: Date.now() })) as unknown as { run: { info: { run_id: string } } };
    await client.Runs.logParameter({ run_id: run.info.run_id, key: "seed", value: "1" });
    await client.Runs.logParameter({ run_id: run.info.run_id, key: "seed", value: "1" }); // same value: fine
    const changed = await failure(client.Runs.logParameter({ run_id: run.info.run_id, key: "seed", value: "2" }));
    expect(changed.status).toBe(400);
    expect(changed.data.error_code).toBe("INVALID_PARAMETER_VALUE");

    const missing = await failure(client.Runs.get({ run_id: "0".repeat(32) }));
    expect(missing.status).toBe(404);
    expect(missing.data).toEqual({ error_code: "RESOURCE_DOES_NOT_EXIST", message: `Run with id=${"0".repeat(32)} not found` });

    const unauthenticated = await failure(anonymous.Runs.get({ run_id: run.info.run_id }));
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.data.error_code).toBe("UNAUTHENTICATED");
  });
});
