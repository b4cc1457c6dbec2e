// bench:tracing's OTLP exporters: worker threads (own event loops; the servers are other
// processes), each running a few clients. A client is an async loop over its own keep-alive
// node:http socket with one request in flight, as an OTLP/HTTP exporter's BatchSpanProcessor sends:
// POST /v1/traces, application/x-protobuf, a batch of spans built beforehand (new trace ids written
// into it before each send). Every answer must be 200; latencies come back per thread.
import type { Worker } from "node:worker_threads";
import { askWorker, tsxWorkers } from "./tsx-worker.ts";

export interface OtlpTarget {
  /** Base URL of the server (POST <url>/v1/traces). */
  url: string;
  token: string;
  experimentId: string;
}

export type ToOtlpWorker =
  | { type: "prepare"; clients: number; clientOffset: number; traces: number; spansPerTrace: number; variants: number }
  | { type: "run"; target: OtlpTarget; ms: number };

export interface OtlpWorkerResult {
  type: "done";
  requests: number;
  spans: number;
  errors: number;
  firstError?: string;
  latencies: Float64Array;
}

export type FromOtlpWorker = { type: "prepared"; bytesPerBody: number } | OtlpWorkerResult;

export interface OtlpLoadResult {
  requests: number;
  /** Spans in the requests answered 200. */
  spans: number;
  seconds: number;
  errors: number;
  firstError?: string;
  latencies: Float64Array;
}

export class OtlpLoad {
  private readonly workers: Worker[];
  bytesPerBody = 0;

  constructor(
    readonly threads: number,
    readonly clients: number,
  ) {
    this.workers = tsxWorkers(new URL("../otlp-client-worker.ts", import.meta.url), threads);
  }

  private ask<T extends FromOtlpWorker["type"]>(w: Worker, msg: ToOtlpWorker, expect: T): Promise<Extract<FromOtlpWorker, { type: T }>> {
    return askWorker<FromOtlpWorker, T>(w, msg, expect, "OTLP worker");
  }


  /** Each client builds `variants` bodies of `traces` × `spansPerTrace` spans (outside the clock). */
  async prepare(traces: number, spansPerTrace: number, variants: number): Promise<void> {
    let offset = 0;
    const replies = await Promise.all(
      this.workers.map((w, i) => {
        const n = Math.floor(this.clients / this.threads) + (i < this.clients % this.threads ? 1 : 0);
        const msg: ToOtlpWorker = { type: "prepare", clients: n, clientOffset: offset, traces, spansPerTrace, variants };
        offset += n;
        return this.ask(w, msg, "prepared");
      }),
    );
    this.bytesPerBody = replies[0]?.bytesPerBody ?? 0;
  }

  /** All clients export to `target` for `ms`, one request in flight each. */
  async run(target: OtlpTarget, ms: number): Promise<OtlpLoadResult> {
    const t0 = performance.now();
    const done = await Promise.all(this.workers.map((w) => this.ask(w, { type: "run", target, ms }, "done")));
    const seconds = (performance.now() - t0) / 1000;
    const latencies = new Float64Array(done.reduce((n, d) => n + d.latencies.length, 0));
    let at = 0;
    for (const d of done) {
      latencies.set(d.latencies, at);
      at += d.latencies.length;
    }
    const err = done.find((d) => d.firstError);
    return {
      requests: done.reduce((n, d) => n + d.requests, 0),
      spans: done.reduce((n, d) => n + d.spans, 0),
      seconds,
      errors: done.reduce((n, d) => n + d.errors, 0),
      latencies,
      ...(err?.firstError ? { firstError: err.firstError } : {}),
    };
  }

  async close() {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** Adds `b` into `a` (rounds of the same target). */
export function mergeOtlp(a: OtlpLoadResult | null, b: OtlpLoadResult): OtlpLoadResult {
  if (!a) return b;
  const latencies = new Float64Array(a.latencies.length + b.latencies.length);
  latencies.set(a.latencies);
  latencies.set(b.latencies, a.latencies.length);
  const firstError = a.firstError ?? b.firstError;
  return { requests: a.requests + b.requests, spans: a.spans + b.spans, seconds: a.seconds + b.seconds, errors: a.errors + b.errors, latencies, ...(firstError ? { firstError } : {}) };
}
