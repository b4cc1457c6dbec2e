import type { ClientPool } from "./client-pool.ts";
import type { Endpoint } from "./mlflow-http.ts";
import type { ChildServer } from "./processes.ts";
import type { Row } from "./report.ts";

/** What every phase gets: the two servers, the clients, the database, and the sizes to use. api()
 * is a function because restart() moves the server to a new port. */
export interface BenchContext {
  /** Replaces the Modelgate server with a fresh process (the history phase wants an idle one). */
  restart: () => Promise<ChildServer>;
  api: () => Endpoint;
  /** The server under test's pid (changes on restart()). */
  serverPid: () => number;
  ceiling: Endpoint;
  pool: ClientPool;
  databaseUrl: string;
  sizes: Sizes;
  /** Unique suffix for experiment names. */
  stamp: string;
  log: (line: string) => void;
}

export interface Sizes {
  ingestRuns: number;
  searchSmallRuns: number;
  searchLargeRuns: number;
  historyPoints: number;
  chartRuns: number;
  chartSteps: number;
  repeats: number;
}

export const FULL_SIZES: Sizes = { ingestRuns: 200, searchSmallRuns: 2000, searchLargeRuns: 100_000, historyPoints: 1_000_000, chartRuns: 10, chartSteps: 10_000, repeats: 20 };
/** --quick: for trying the bench out; the sizes are not the targets', so the run cannot pass. */
export const QUICK_SIZES: Sizes = { ingestRuns: 40, searchSmallRuns: 400, searchLargeRuns: 10_000, historyPoints: 100_000, chartRuns: 10, chartSteps: 2_000, repeats: 5 };

export interface Target {
  target: string;
  required: string;
}

/** A group of targets measured together; when it throws, each of its targets is reported unmeasured. */
export interface Phase {
  targets: (sizes: Sizes) => Target[];
  run: (ctx: BenchContext) => Promise<Row[]>;
}
