// bench:serving's load generator: worker threads (own event loops, so the clients never run on the
// bench's loop, and the server is another process anyway), each running a few clients. A client is
// an async loop over its own keep-alive node:http socket with one request in flight, sending
// prepared single-row bodies and checking every answer (status, and the prediction against the
// model's own predict()). Latencies come back as a Float64Array per thread.
import type { Worker } from "node:worker_threads";
import { askWorker, tsxWorkers } from "./tsx-worker.ts";

export interface LoadTarget {
  /** Full URL of the scoring route. */
  url: string;
  token: string;
  /** "model": each answer's prediction must equal the body's expected value; "fixed": the body must be {"predictions":[0]}. */
  check: "model" | "fixed";
}

export interface ServingLoadSpec {
  bodies: string[];
  expected: number[];
}

export type ToLoadWorker =
  | { type: "prepare"; spec: ServingLoadSpec; clients: number; clientOffset: number }
  | { type: "run"; target: LoadTarget; ms: number; record: boolean };

interface LoadWorkerResult {
  type: "done";
  requests: number;
  errors: number;
  firstError?: string;
  mismatches: number;
  firstMismatch?: string;
  /** One per answered request, in ms (empty when not recording). */
  latencies: Float64Array;
}

export type FromLoadWorker = { type: "prepared" } | LoadWorkerResult;

export interface LoadResult {
  requests: number;
  seconds: number;
  errors: number;
  firstError?: string;
  mismatches: number;
  firstMismatch?: string;
  latencies: Float64Array;
}

export class ServingLoad {
  private readonly workers: Worker[];

  /** `clients` spread over `threads` worker threads. */
  constructor(
    readonly threads: number,
    readonly clients: number,
  ) {
    this.workers = tsxWorkers(new URL("../serving-client-worker.ts", import.meta.url), threads);
  }

  private ask<T extends FromLoadWorker["type"]>(w: Worker, msg: ToLoadWorker, expect: T): Promise<Extract<FromLoadWorker, { type: T }>> {
    return askWorker<FromLoadWorker, T>(w, msg, expect, "load worker");
  }


  /** Hands each thread its share of the clients and the bodies they cycle through (outside the clock). */
  async prepare(spec: ServingLoadSpec): Promise<void> {
    let offset = 0;
    await Promise.all(
      this.workers.map((w, i) => {
        const n = Math.floor(this.clients / this.threads) + (i < this.clients % this.threads ? 1 : 0);
        const msg: ToLoadWorker = { type: "prepare", spec, clients: n, clientOffset: offset };
        offset += n;
        return this.ask(w, msg, "prepared");
      }),
    );
  }

  /** All clients send to `target` for `ms`, one request in flight each. */
  async run(target: LoadTarget, ms: number, record = true): Promise<LoadResult> {
    const t0 = performance.now();
    const done = await Promise.all(this.workers.map((w) => this.ask(w, { type: "run", target, ms, record }, "done")));
    const seconds = (performance.now() - t0) / 1000;
    const latencies = new Float64Array(done.reduce((n, d) => n + d.latencies.length, 0));
    let at = 0;
    for (const d of done) {
      latencies.set(d.latencies, at);
      at += d.latencies.length;
    }
    const err = done.find((d) => d.firstError);
    const mis = done.find((d) => d.firstMismatch);
    return {
      requests: done.reduce((n, d) => n + d.requests, 0),
      seconds,
      errors: done.reduce((n, d) => n + d.errors, 0),
      mismatches: done.reduce((n, d) => n + d.mismatches, 0),
      latencies,
      ...(err?.firstError ? { firstError: err.firstError } : {}),
      ...(mis?.firstMismatch ? { firstMismatch: mis.firstMismatch } : {}),
    };
  }

  async close() {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** Adds `b` into `a` (rounds of the same target). */
export function mergeLoads(a: LoadResult | null, b: LoadResult): LoadResult {
  if (!a) return b;
  const latencies = new Float64Array(a.latencies.length + b.latencies.length);
  latencies.set(a.latencies);
  latencies.set(b.latencies, a.latencies.length);
  const firstError = a.firstError ?? b.firstError;
  const firstMismatch = a.firstMismatch ?? b.firstMismatch;
  return {
    requests: a.requests + b.requests,
    seconds: a.seconds + b.seconds,
    errors: a.errors + b.errors,
    mismatches: a.mismatches + b.mismatches,
    latencies,
    ...(firstError ? { firstError } : {}),
    ...(firstMismatch ? { firstMismatch } : {}),
  };
}

/** The q-quantile (0..1) of latencies, nearest rank. */
export function quantile(xs: Float64Array, q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}
