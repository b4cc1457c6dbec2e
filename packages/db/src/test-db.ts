// For integration test files. Each database is a fresh copy of the migrated template.
import { afterAll, inject, onTestFinished } from "vitest";
import { createTestDatabase, type TestDatabase } from "./testing.ts";
import "./vitest-context.ts";

/** In a beforeAll: a database for this file, dropped after it. */
export async function useTestDatabase(): Promise<TestDatabase> {
  const t = await createTestDatabase(inject("templateUrl"));
  afterAll(() => t.drop());
  return t;
}

/** Inside a test: a database of its own, dropped when the test ends. */
export async function freshTestDatabase(): Promise<TestDatabase> {
  const t = await createTestDatabase(inject("templateUrl"));
  onTestFinished(() => t.drop());
  return t;
}
