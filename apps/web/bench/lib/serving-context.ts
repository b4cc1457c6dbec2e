// What bench:serving's phases get: the server, the parse-only ceiling, the model served (set up
// through the API), and the sizes to use.
import type { Endpoint } from "./mlflow-http.ts";
import type { ChildServer } from "./processes.ts";
import type { Row } from "./report.ts";

export interface ServingSizes {
  /** Concurrent clients, one request in flight each, spread over clientThreads worker threads. */
  clients: number;
  clientThreads: number;
  /** Warm-up per target before measuring (not recorded). */
  warmupMs: number;
  /** Measured rounds per target, alternating real endpoint and ceiling so both see the same machine. */
  rounds: number;
  roundMs: number;
  /** Distinct single-row bodies the clients cycle through. */
  distinctRows: number;
  batchRows: number;
  /** Longest wait for a batch job. */
  batchTimeoutMs: number;
}

export const SERVING_FULL_SIZES: ServingSizes = { clients: 10, clientThreads: 2, warmupMs: 3000, rounds: 2, roundMs: 5000, distinctRows: 1000, batchRows: 1_000_000, batchTimeoutMs: 300_000 };
/** --quick: for trying the bench out; the sizes are not the targets', so the run cannot pass. */
export const SERVING_QUICK_SIZES: ServingSizes = { clients: 10, clientThreads: 2, warmupMs: 1000, rounds: 2, roundMs: 1500, distinctRows: 200, batchRows: 100_000, batchTimeoutMs: 120_000 };

/** The linear model as the bench set it up: logged to a run, registered, behind an endpoint. */
export interface ServedModel {
  features: number;
  columns: string[];
  predict: (row: number[]) => number;
  experimentId: string;
  runId: string;
  /** `mlflow-artifacts:/<exp>/<run>/artifacts` */
  artifactUri: string;
  modelName: string;
  version: string;
  endpointName: string;
}

export interface ServingContext {
  api: Endpoint;
  /** The Modelgate server process (for its CPU time). */
  serverPid: number;
  /** The parse-only scoring server (the ceiling), started when the online phase runs. */
  ceiling: ChildServer | null;
  model: ServedModel;
  sizes: ServingSizes;
  stamp: string;
  log: (line: string) => void;
}

export interface ServingPhase {
  targets: (sizes: ServingSizes) => { target: string; required: string }[];
  run: (ctx: ServingContext) => Promise<Row[]>;
}
