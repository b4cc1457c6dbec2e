import client from "prom-client";

// Per-endpoint scoring metrics: Prometheus series for /metrics (registered on the data plane's
// registry) and a small rolling window the portal reads (rate, latency percentiles, error rate).

export interface EndpointStats {
  /** Requests per second over the window. */
  request_rate: number;
  /** Latency percentiles over the window, in milliseconds (null without requests). */
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
  /** Share of requests answered with a status ≥ 400, 0…1. */
  error_rate: number;
  /** How many requests the window holds. */
  requests: number;
  window_seconds: number;
}

const WINDOW_MS = 60_000;
/** Samples kept per endpoint: at high rates the window shrinks to the last CAPACITY requests. */
const CAPACITY = 4096;

class Window {
  private readonly at = new Float64Array(CAPACITY);
  private readonly ms = new Float64Array(CAPACITY);
  private readonly failed = new Uint8Array(CAPACITY);
  private next = 0;
  private size = 0;

  add(at: number, ms: number, failed: boolean) {
    this.at[this.next] = at;
    this.ms[this.next] = ms;
    this.failed[this.next] = failed ? 1 : 0;
    this.next = (this.next + 1) % CAPACITY;
    this.size = Math.min(this.size + 1, CAPACITY);
  }

  stats(now: number): EndpointStats {
    const latencies: number[] = [];
    let errors = 0;
    let oldest = now;
    for (let i = 0; i < this.size; i++) {
      if (now - this.at[i]! > WINDOW_MS) continue;
      latencies.push(this.ms[i]!);
      errors += this.failed[i]!;
      oldest = Math.min(oldest, this.at[i]!);
    }
    const n = latencies.length;
    // a full buffer covers less than the window: the rate is over the span it does cover
    const spanMs = this.size === CAPACITY && n === CAPACITY ? Math.max(now - oldest, 1) : WINDOW_MS;
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => (n ? round(latencies[Math.min(n - 1, Math.ceil((p / 100) * n) - 1)]!) : null);
    return { request_rate: round((n * 1000) / spanMs), p50_ms: pct(50), p95_ms: pct(95), p99_ms: pct(99), error_rate: n ? round(errors / n) : 0, requests: n, window_seconds: spanMs / 1000 };
  }
}

const round = (x: number) => Math.round(x * 1000) / 1000;

export function createServingMetrics() {
  const requests = new client.Counter({ name: "modelgate_serving_requests_total", help: "Scoring requests per serving endpoint", labelNames: ["endpoint", "status"] as const, registers: [] });
  const errors = new client.Counter({ name: "modelgate_serving_errors_total", help: "Scoring requests answered with an error (status >= 400)", labelNames: ["endpoint"] as const, registers: [] });
  const duration = new client.Histogram({
    name: "modelgate_serving_request_duration_seconds",
    help: "Latency of scoring requests per serving endpoint",
    labelNames: ["endpoint"] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [],
  });
  const windows = new Map<string, Window>();
  return {
    /** Adds the series to a registry (the data plane's, so they appear on its /metrics). */
    registerOn(registry: client.Registry) {
      if (registry.getSingleMetric("modelgate_serving_requests_total")) return;
      registry.registerMetric(requests);
      registry.registerMetric(errors);
      registry.registerMetric(duration);
    },
    observe(endpoint: string, status: number, seconds: number) {
      requests.inc({ endpoint, status: String(status) });
      if (status >= 400) errors.inc({ endpoint });
      duration.observe({ endpoint }, seconds);
      let w = windows.get(endpoint);
      if (!w) windows.set(endpoint, (w = new Window()));
      w.add(Date.now(), seconds * 1000, status >= 400);
    },
    stats(endpoint: string): EndpointStats {
      return (windows.get(endpoint) ?? new Window()).stats(Date.now());
    },
    forget(endpoint: string) {
      windows.delete(endpoint);
    },
  };
}

export type ServingMetrics = ReturnType<typeof createServingMetrics>;
