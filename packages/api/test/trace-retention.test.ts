import { describe, expect, it } from "vitest";
import { retentionCron } from "../src/jobs/trace-retention.ts";

describe("the trace retention schedule", () => {
  it("fires every N minutes below an hour, every N hours above, daily at 24 hours", () => {
    expect(retentionCron(1)).toBe("*/1 * * * *");
    expect(retentionCron(15)).toBe("*/15 * * * *");
    expect(retentionCron(60)).toBe("0 */1 * * *");
    expect(retentionCron(180)).toBe("0 */3 * * *");
    expect(retentionCron(1440)).toBe("0 0 * * *");
    expect(() => retentionCron(0)).toThrow(/1 to 1440/);
    expect(() => retentionCron(1.5)).toThrow(/1 to 1440/);
  });
});
