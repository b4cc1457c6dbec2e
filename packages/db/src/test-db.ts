// For integration test files. Each database is a fresh copy of the migrated template.
import { afterAll, inject, onTestFinished } from "vitest";
import { createTestDatabase, type TestDatabase } from "./testing.ts";
import "./vitest-context.ts";

// Hooks registered inside another hook are not run, so the file-level cleanup is registered here,
// when a test file imports this module, and drops whatever useTestDatabase created.
const fileDatabases: TestDatabase[] = [];
afterAll(async () => {
  for (const t of fileDatabases.splice(0)) await t.drop();
});

/** In a beforeAll: a database for this file, dropped after it. */
export async function useTestDatabase(): Promise<TestDatabase> {
  const t = await createTestDatabase(inject("templateUrl"));
  fileDatabases.push(t);
  return t;
}

/** Inside a test: a database of its own, dropped when the test ends. */
export async function freshTestDatabase(): Promise<TestDatabase> {
  const t = await createTestDatabase(inject("templateUrl"));
  onTestFinished(() => t.drop());
  return t;
}
