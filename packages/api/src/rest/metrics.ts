import client from "prom-client";
import { runWireCacheStats } from "@modelgate/core";

/** Prometheus metrics of the data plane: request counts and latency per route. */
export function createMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const requests = new client.Counter({
    name: "modelgate_http_requests_total",
    help: "HTTP requests served by the data plane",
    labelNames: ["method", "route", "status"] as const,
    registers: [registry],
  });
  const duration = new client.Histogram({
    name: "modelgate_http_request_duration_seconds",
    help: "Latency of data-plane HTTP requests",
    labelNames: ["method", "route"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  // the in-process cache of runs' wire JSON (runs/search, runs/get)
  const cacheCounter = (name: string, help: string, read: () => number) =>
    new client.Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  cacheCounter("modelgate_run_wire_cache_hits_total", "Runs served from their cached wire JSON", () => runWireCacheStats().hits);
  cacheCounter("modelgate_run_wire_cache_misses_total", "Runs whose wire JSON was built from the tables", () => runWireCacheStats().misses);
  new client.Gauge({
    name: "modelgate_run_wire_cache_bytes",
    help: "Memory held by cached run wire JSON (approximate)",
    registers: [registry],
    collect() {
      this.set(runWireCacheStats().bytes);
    },
  });
  return {
    registry,
    observe(method: string, route: string, status: number, seconds: number) {
      requests.inc({ method, route, status: String(status) });
      duration.observe({ method, route }, seconds);
    },
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
