import { describe, expect, it } from "vitest";
import type { RunView } from "@modelgate/core";
import { baseName, dirName, formatBytes, previewKind } from "./artifacts-api";
import { formatDuration, formatMetric, quoteKey } from "./format";
import { toChartData } from "./metric-series";
import { groupByParent } from "./runs-tree";

function run(id: string, parent?: string): RunView {
  return {
    info: { run_id: id, run_uuid: id, run_name: id, experiment_id: "1", user_id: "u", status: "FINISHED", start_time: 1, artifact_uri: "", lifecycle_stage: "active" },
    data: parent ? { tags: [{ key: "mlflow.parentRunId", value: parent }] } : {},
    inputs: {},
  };
}

describe("runs tree", () => {
  it("nests loaded children under their parent and keeps orphans at the top", () => {
    const roots = groupByParent([run("p"), run("c1", "p"), run("c2", "p"), run("g", "c1"), run("orphan", "missing")]);
    expect(roots.map((n) => n.run.info.run_id)).toEqual(["p", "orphan"]);
    expect(roots[0]!.children.map((n) => n.run.info.run_id)).toEqual(["c1", "c2"]);
    expect(roots[0]!.children[0]!.children.map((n) => n.run.info.run_id)).toEqual(["g"]);
  });

  it("never hides runs caught in a parent cycle or naming themselves", () => {
    const roots = groupByParent([run("a", "b"), run("b", "a"), run("self", "self")]);
    const all = (ns: ReturnType<typeof groupByParent>): string[] => ns.flatMap((n) => [n.run.info.run_id, ...all(n.children)]);
    expect(all(roots).sort()).toEqual(["a", "b", "self"]);
  });
});

describe("formatting", () => {
  it("shows metric values as MLflow does, NaN and infinities included", () => {
    expect(formatMetric(Number.NaN)).toBe("NaN");
    expect(formatMetric(Number.POSITIVE_INFINITY)).toBe("Infinity");
    expect(formatMetric(Number.NEGATIVE_INFINITY)).toBe("-Infinity");
    expect(formatMetric(3)).toBe("3");
    expect(formatMetric(0.123456789)).toBe("0.123457");
    expect(formatMetric(0.00001234)).toBe("1.2340e-5");
    expect(formatMetric(undefined)).toBe("");
  });

  it("formats durations and sizes", () => {
    expect(formatDuration(450)).toBe("450 ms");
    expect(formatDuration(200_000)).toBe("3m 20s");
    expect(formatDuration(3 * 3600_000 + 60_000)).toBe("3h 1m");
    expect(formatBytes(900)).toBe("900 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
  });

  it("quotes search keys so dots and spaces stay in one identifier", () => {
    expect(quoteKey("val loss.top-1")).toBe("`val loss.top-1`");
  });
});

describe("charts", () => {
  const points = [
    { step: 0, timestamp: 10_000, value: 1 },
    { step: 1, timestamp: 12_000, value: Number.NaN },
    { step: 2, timestamp: 14_000, value: 0.5 },
  ];
  it("maps points to the chosen x axis and leaves gaps for values a chart cannot draw", () => {
    expect(toChartData(points, "step", 0)).toEqual([[0, 1], [1, null], [2, 0.5]]);
    expect(toChartData(points, "wall", 0)).toEqual([[10_000, 1], [12_000, null], [14_000, 0.5]]);
    expect(toChartData(points, "relative", 0)).toEqual([[0, 1], [2, null], [4, 0.5]]);
  });
});

describe("artifact previews", () => {
  it.each([
    ["model/MLmodel", "mlmodel"],
    ["a/b/plot.PNG", "image"],
    ["data.csv", "csv"],
    ["conf.yml", "yaml"],
    ["m.json", "json"],
    ["train.log", "text"],
    ["model.pkl", "none"],
  ])("picks a preview by file name: %s is %s", (path, kind) => {
    expect(previewKind(path)).toBe(kind);
  });

  it("splits paths", () => {
    expect(baseName("a/b/c.txt")).toBe("c.txt");
    expect(dirName("a/b/c.txt")).toBe("a/b");
    expect(dirName("c.txt")).toBe("");
  });
});
