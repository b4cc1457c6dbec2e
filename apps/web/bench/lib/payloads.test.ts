import { describe, expect, it } from "vitest";
import { logBatchBodies, runData, seriesBodies } from "./payloads.ts";

interface Body {
  run_id: string;
  metrics: unknown[];
  params: unknown[];
  tags: unknown[];
}
const parse = (bodies: string[]) => bodies.map((b) => JSON.parse(b) as Body);

describe("log-batch bodies as MlflowClient.log_batch chunks them", () => {
  it("tops the params chunk up with metrics to 1000 entities, then sends the rest", () => {
    const d = runData({ params: 20, metricKeys: 10, steps: 100, tags: 0 }, 1_700_000_000_000);
    const bodies = parse(logBatchBodies("a".repeat(32), d.metrics, d.params, d.tags));
    expect(bodies.map((b) => [b.params.length, b.metrics.length])).toEqual([
      [20, 980],
      [0, 20],
    ]);
    expect(bodies.every((b) => b.run_id === "a".repeat(32))).toBe(true);
  });

  it("keeps every batch within 1000 metrics, 100 params and 100 tags", () => {
    const d = runData({ params: 150, metricKeys: 3, steps: 700, tags: 120 }, 0);
    const bodies = parse(logBatchBodies("r", d.metrics, d.params, d.tags));
    for (const b of bodies) {
      expect(b.metrics.length).toBeLessThanOrEqual(1000);
      expect(b.params.length).toBeLessThanOrEqual(100);
      expect(b.tags.length).toBeLessThanOrEqual(100);
      expect(b.metrics.length + b.params.length + b.tags.length).toBeLessThanOrEqual(1000);
    }
    expect(bodies.reduce((n, b) => n + b.metrics.length, 0)).toBe(2100);
    expect(bodies.reduce((n, b) => n + b.params.length, 0)).toBe(150);
    expect(bodies.reduce((n, b) => n + b.tags.length, 0)).toBe(120);
  });

  it("splits a series into bodies of 1000 points with the steps asked for", () => {
    const bodies = parse(seriesBodies("r", "loss", 500, 2700, 0));
    expect(bodies.map((b) => b.metrics.length)).toEqual([1000, 1000, 200]);
    const steps = bodies.flatMap((b) => (b.metrics as { step: number }[]).map((m) => m.step));
    expect(steps[0]).toBe(500);
    expect(steps.at(-1)).toBe(2699);
  });
});
