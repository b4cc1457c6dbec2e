import { describe, expect, it } from "vitest";
import { summariseBatch } from "../src/tracking/log-batch.ts";

const m = (key: string, step: number, timestamp: number, value: number) => ({ key, step, timestamp, value });

describe("summariseBatch", () => {
  it("picks the greatest (step, timestamp, value) per key, not the last given, in key order", () => {
    const got = summariseBatch([m("loss", 2, 100, 5), m("acc", 0, 5, 0.1), m("loss", 1, 200, 9), m("acc", 3, 5, 0.3), m("loss", 2, 100, 3), m("acc", 1, 9, 0.2)]);
    expect(got.map((s) => s.latest)).toEqual([m("acc", 3, 5, 0.3), m("loss", 2, 100, 5)]);
  });

  it("orders values as Postgres does: NaN above every number, Infinity above the rest", () => {
    const pick = (...values: number[]) => summariseBatch(values.map((v) => m("k", 1, 1, v)))[0]!.latest.value;
    expect(pick(1, NaN, Infinity)).toBeNaN();
    expect(pick(NaN, Infinity, 1)).toBeNaN();
    expect(pick(-Infinity, Infinity, 3)).toBe(Infinity);
    expect(pick(-Infinity, -3)).toBe(-3);
    // a later step wins whatever its value; then a later timestamp
    expect(summariseBatch([m("k", 1, 1, NaN), m("k", 2, 1, -Infinity)])[0]!.latest.value).toBe(-Infinity);
    expect(summariseBatch([m("k", 1, 2, -1), m("k", 1, 1, NaN)])[0]!.latest.value).toBe(-1);
  });

  it("gives each key's step range and whether every step in it is present", () => {
    const got = summariseBatch([m("a", 3, 0, 0), m("a", 1, 0, 0), m("a", 2, 0, 0), m("a", 2, 1, 0), m("b", 0, 0, 0), m("b", 2, 0, 0), m("c", -1, 0, 0)]);
    expect(got.map(({ latest, minStep, maxStep, dense }) => [latest.key, minStep, maxStep, dense])).toEqual([
      ["a", 1, 3, true],
      ["b", 0, 2, false],
      ["c", -1, -1, true],
    ]);
  });
});
