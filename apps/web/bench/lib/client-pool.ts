// The bench's concurrent clients: N worker threads, driven in lock-step (prepare, then send).
import type { Worker } from "node:worker_threads";
import { askWorker, tsxWorkers } from "./tsx-worker.ts";
import type { Endpoint } from "./mlflow-http.ts";
import type { FromWorker, LoadSpec, SeedSpec, ToWorker } from "./worker-protocol.ts";

type Reply<K extends FromWorker["type"]> = Extract<FromWorker, { type: K }>;

export interface LoadResult {
  requests: number;
  points: number;
  bytes: number;
  seconds: number;
  error?: string;
  endpointMissing: boolean;
}

export class ClientPool {
  private readonly workers: Worker[];
  private prepared: Reply<"prepared">[] = [];

  constructor(readonly size: number) {
    this.workers = tsxWorkers(new URL("../client-worker.ts", import.meta.url), size);
  }

  private ask<K extends FromWorker["type"]>(worker: Worker, msg: ToWorker, expect: K): Promise<Reply<K>> {
    return askWorker<FromWorker, K>(worker, msg, expect, "client");
  }


  /** Builds each client's bodies (outside the clock); send() can then replay them to any target. */
  async prepare(specs: LoadSpec[]): Promise<void> {
    if (specs.length !== this.size) throw new Error(`need ${this.size} specs, got ${specs.length}`);
    this.prepared = await Promise.all(specs.map((spec, i) => this.ask(this.workers[i]!, { type: "prepare", spec }, "prepared")));
  }

  /** Times all clients sending their prepared bodies at once, one request in flight per client. */
  async send(target: Endpoint): Promise<LoadResult> {
    const t0 = performance.now();
    const sent = await Promise.all(this.workers.map((w) => this.ask(w, { type: "send", baseUrl: target.baseUrl, token: target.token }, "sent")));
    const seconds = (performance.now() - t0) / 1000;
    const failed = sent.find((s) => s.error);
    return {
      requests: sent.reduce((n, s) => n + s.requests, 0),
      points: this.prepared.reduce((n, p) => n + p.points, 0),
      bytes: this.prepared.reduce((n, p) => n + p.bytes, 0),
      seconds,
      endpointMissing: failed?.endpointMissing ?? false,
      ...(failed?.error ? { error: failed.error } : {}),
    };
  }

  /** Creates and fills runs from all clients at once (data set-up, not measured). */
  async seed(target: Endpoint, specs: SeedSpec[]): Promise<{ runIds: string[]; error?: string; endpointMissing: boolean }> {
    const replies = await Promise.all(specs.map((spec, i) => this.ask(this.workers[i % this.size]!, { type: "seed", baseUrl: target.baseUrl, token: target.token, spec }, "seeded")));
    const failed = replies.find((r) => r.error);
    return { runIds: replies.flatMap((r) => r.runIds), endpointMissing: failed?.endpointMissing ?? false, ...(failed?.error ? { error: failed.error } : {}) };
  }

  async close() {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
