// What bench:registry's phases get: the server, the database, and the sizes to use.
import type { Endpoint } from "./mlflow-http.ts";
import type { Row } from "./report.ts";

export interface RegistrySizes {
  /** Versions created on one model by the concurrent clients (or as many as fit in createMaxMs). */
  createVersions: number;
  createMaxMs: number;
  createClients: number;
  searchModels: number;
  versionsPerModel: number;
  searchRuns: number;
  /** Measured requests per search (after warm-ups). */
  repeats: number;
}

export const REGISTRY_FULL_SIZES: RegistrySizes = { createVersions: 4000, createMaxMs: 20_000, createClients: 32, searchModels: 10_000, versionsPerModel: 10, searchRuns: 2000, repeats: 40 };
/** --quick: for trying the bench out; the sizes are not the targets', so the run cannot pass. */
export const REGISTRY_QUICK_SIZES: RegistrySizes = { createVersions: 400, createMaxMs: 10_000, createClients: 32, searchModels: 1000, versionsPerModel: 10, searchRuns: 200, repeats: 10 };

export interface RegistryContext {
  api: Endpoint;
  /** The parse-only server (bench/parse-only-server.ts), the Python rows' ceiling. */
  ceiling: Endpoint;
  /** The server process (for its CPU time). */
  serverPid: number;
  databaseUrl: string;
  /** The server's own pool size: the ceiling measurement uses as many connections. */
  serverPoolSize: number;
  sizes: RegistrySizes;
  stamp: string;
  log: (line: string) => void;
}

export interface RegistryPhase {
  targets: (sizes: RegistrySizes) => { target: string; required: string }[];
  run: (ctx: RegistryContext) => Promise<Row[]>;
}
