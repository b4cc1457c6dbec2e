// One migrated template database per integration run: on the server named by DATABASE_URL when it
// is set, otherwise on a throwaway embedded PostgreSQL. Each test file copies it (createTestDatabase).
import os from "node:os";
import type { TestProject } from "vitest/node";
import { startTestCluster } from "@modelgate/db/testing";
import "@modelgate/db/vitest-context";

export default async function setup(project: TestProject) {
  const t0 = performance.now();
  const cluster = await startTestCluster({ serverUrl: process.env.DATABASE_URL || undefined, tmpDir: os.tmpdir() });
  project.provide("templateUrl", cluster.templateUrl);
  const where = process.env.DATABASE_URL ? "DATABASE_URL server" : "embedded PostgreSQL";
  console.log(`[integration] template database ready on ${where} in ${Math.round(performance.now() - t0)} ms`);
  return async () => cluster.stop();
}
