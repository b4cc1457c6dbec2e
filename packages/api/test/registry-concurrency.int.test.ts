import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getModelHistory, setModelPermission, setPolicy, systemActor } from "@modelgate/core";
import type { Db } from "@modelgate/db";
import { useTestDatabase } from "@modelgate/db/test-db";
import { createDataPlaneApp } from "../src/rest/index.ts";
import { modelWithVersions, registryClient, uniq, type RegistryClient } from "./registry-fixtures.ts";

// Concurrent writers on one model through the REST edge (MLflow's issue #22635 is the failure to
// avoid): version numbers distinct and gap-free, alias moves with a complete history, one version
// left in Production after racing archive_existing_versions transitions.

let db: Db;
let app: FastifyInstance;
let c: RegistryClient;

beforeAll(async () => {
  db = (await useTestDatabase()).db;
  // the registry's own rules: no target protected by the approval workflow (tested on its own)
  await setPolicy({ db, actor: systemActor("test") }, { rules: [] });
  app = await createDataPlaneApp({ db, version: "test" });
  c = await registryClient(app, db);
});
afterAll(() => app.close());

describe("concurrent writers on one model", () => {
  it("32 parallel model-versions/create get 32 distinct, gap-free numbers with no error", async () => {
    const m = await modelWithVersions(c, 0);
    const results = await Promise.all(
      Array.from({ length: 32 }, (_, i) => c.call("POST", "/model-versions/create", { name: m.name, source: `${m.source}`, tags: [{ key: "i", value: String(i) }] })),
    );
    expect(results.filter((r) => r.status !== 200).map((r) => r.raw)).toEqual([]);
    const numbers = results.map((r) => Number(r.body.model_version.version)).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
    // every response carries its own tags (no cross-talk between the statements)
    const tagOf = new Map(results.map((r) => [r.body.model_version.version as string, r.body.model_version.tags[0].value as string]));
    expect(new Set(tagOf.values()).size).toBe(32);
    const model = await db.registeredModel.findUniqueOrThrow({ where: { name: m.name } });
    expect(model.nextVersion).toBe(33);
    expect(await db.stageTransition.count({ where: { modelId: model.id } })).toBe(32);
    expect(await db.auditEvent.count({ where: { action: "model_version.create", resourceId: { startsWith: `${model.id}/` } } })).toBe(32);
  });

  it("concurrent alias moves: the final alias matches the last history event, one event per actual move", async () => {
    const m = await modelWithVersions(c, 4);
    const targets = Array.from({ length: 24 }, (_, i) => String((i % 4) + 1));
    const results = await Promise.all(targets.map((version) => c.call("POST", "/registered-models/alias", { name: m.name, alias: "champion", version })));
    expect(results.filter((r) => r.status !== 200).map((r) => r.raw)).toEqual([]);

    const history = await getModelHistory(c.ctx, { name: m.name });
    const events = [...history.aliases].reverse(); // oldest first
    const final = (await c.call("GET", "/registered-models/alias", { name: m.name, alias: "champion" })).body.model_version.version;
    expect(String(events.at(-1)!.to_version)).toBe(final);
    // a chain: each event starts where the previous one ended, and every event is a real move
    expect(events[0]!.from_version).toBeNull();
    for (let i = 1; i < events.length; i++) expect(events[i]!.from_version).toBe(events[i - 1]!.to_version);
    for (const e of events) expect(e.from_version).not.toBe(e.to_version);
    expect(events.length).toBeGreaterThanOrEqual(1);
    expect(events.length).toBeLessThanOrEqual(targets.length);
    const audit = await db.auditEvent.count({ where: { action: "registered_model.alias_set", resourceType: "registered_model", resourceId: String((await db.registeredModel.findUniqueOrThrow({ where: { name: m.name } })).id) } });
    expect(audit).toBe(events.length);
    expect(await db.registeredModelAlias.count({ where: { model: { name: m.name } } })).toBe(1);
  });

  it("concurrent transitions to Production with archive_existing_versions leave exactly one version in Production", async () => {
    const m = await modelWithVersions(c, 8);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => c.call("POST", "/model-versions/transition-stage", { name: m.name, version: String(i + 1), stage: "Production", archive_existing_versions: true })),
    );
    expect(results.filter((r) => r.status !== 200).map((r) => r.raw)).toEqual([]);
    const versions = await db.modelVersion.findMany({ where: { model: { name: m.name } }, select: { version: true, currentStage: true } });
    const production = versions.filter((v) => v.currentStage === "Production");
    expect(production).toHaveLength(1);
    expect(versions.filter((v) => v.currentStage === "Archived")).toHaveLength(7);
    // the history agrees: the last transition into Production is the survivor's
    const history = await getModelHistory(c.ctx, { name: m.name });
    const lastIntoProduction = history.stages.find((s) => s.to_stage === "Production");
    expect(lastIntoProduction?.version).toBe(production[0]!.version);
  });

  it("creates racing a model delete never leave a version behind or answer 500", async () => {
    const name = uniq("race");
    await c.call("POST", "/registered-models/create", { name });
    const creates = Array.from({ length: 8 }, () => c.call("POST", "/model-versions/create", { name, source: "s3://bucket/m" }));
    const del = c.call("DELETE", "/registered-models/delete", { name });
    const results = await Promise.all([...creates, del]);
    expect(results.filter((r) => r.status >= 500).map((r) => r.raw)).toEqual([]);
    expect(await db.registeredModel.count({ where: { name } })).toBe(0);
  });

  it("racing creates of one name: one 200, the rest 400 RESOURCE_ALREADY_EXISTS, never a 500", async () => {
    const name = uniq("dup");
    const results = await Promise.all(Array.from({ length: 12 }, () => c.call("POST", "/registered-models/create", { name })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(new Set(results.filter((r) => r.status !== 200).map((r) => `${r.status} ${r.body.error_code}`))).toEqual(new Set(["400 RESOURCE_ALREADY_EXISTS"]));
  });

  it("racing tag writes and permission grants on one key never answer 500", async () => {
    const m = await modelWithVersions(c, 1);
    const other = await registryClient(app, db);
    const results = await Promise.all([
      ...Array.from({ length: 8 }, (_, i) => c.call("POST", "/registered-models/set-tag", { name: m.name, key: "k", value: String(i) })),
      ...Array.from({ length: 8 }, (_, i) => c.call("POST", "/model-versions/set-tag", { name: m.name, version: "1", key: "k", value: String(i) })),
    ]);
    expect(results.filter((r) => r.status !== 200).map((r) => r.raw)).toEqual([]);
    const grants = await Promise.allSettled(Array.from({ length: 8 }, () => setModelPermission(c.ctx, { name: m.name, username: other.user.username, level: "EDIT" })));
    expect(grants.filter((g) => g.status === "rejected").map((g) => String((g as PromiseRejectedResult).reason))).toEqual([]);
    expect(await db.registeredModelTag.count({ where: { model: { name: m.name } } })).toBe(1);
  });
});
