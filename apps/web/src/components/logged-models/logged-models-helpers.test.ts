import { describe, expect, it } from "vitest";
import type { LinkedMetricView, LoggedModelView } from "@modelgate/core";
import { isPrompt, promptTemplateOf, withoutPromptTags } from "../registry/prompt";
import { artifactUrl } from "../tracking/artifacts-api";
import { latestByKey, metricColumnsOf, metricsByDataset, metricValueOf } from "./format";

const point = (key: string, value: number, timestamp: number, step = 0, dataset?: [string, string]): LinkedMetricView => ({
  key,
  value,
  timestamp,
  step,
  ...(dataset ? { dataset_name: dataset[0], dataset_digest: dataset[1] } : {}),
});

function model(metrics: LinkedMetricView[]): LoggedModelView {
  return {
    info: { model_id: "m-1", experiment_id: "1", name: "m", creation_timestamp_ms: 1, last_updated_timestamp_ms: 1, artifact_uri: "", status: "LOGGED_MODEL_READY", model_type: "", source_run_id: "" },
    data: { metrics },
  };
}

describe("logged model metrics", () => {
  it("keeps each key's latest point: latest timestamp, then highest step (the server's order)", () => {
    const latest = latestByKey([point("acc", 0.5, 10, 3), point("acc", 0.7, 20, 1), point("acc", 0.6, 20, 0), point("loss", 1, 5)]);
    expect(latest.map((m) => [m.key, m.value])).toEqual([["acc", 0.7], ["loss", 1]]);
  });

  it("groups metrics per dataset, the no-dataset group first", () => {
    const groups = metricsByDataset([point("acc", 0.9, 2, 0, ["test", "d2"]), point("acc", 0.8, 1), point("acc", 0.95, 3, 0, ["eval", "d1"])]);
    expect(groups.map((g) => g.dataset?.name ?? null)).toEqual([null, "eval", "test"]);
    expect(groups.map((g) => g.metrics[0]?.value)).toEqual([0.8, 0.95, 0.9]);
  });

  it("offers a column per key (latest on any dataset) and per key and dataset, telling digests apart", () => {
    const m = model([point("acc", 0.8, 1), point("acc", 0.9, 2, 0, ["eval", "aaaaaaaaaa"]), point("acc", 0.7, 3, 0, ["eval", "bbbbbbbbbb"])]);
    const columns = metricColumnsOf([m]);
    expect(columns.map((c) => c.label)).toEqual(["acc", "acc (eval #aaaaaaaa)", "acc (eval #bbbbbbbb)"]);
    expect(columns.map((c) => metricValueOf(m, c))).toEqual([0.7, 0.9, 0.7]);
  });
});

describe("prompts", () => {
  it("reads a text template and its variables", () => {
    const tags = [{ key: "mlflow.prompt.is_prompt", value: "true" }, { key: "mlflow.prompt.text", value: "Hello {{ name }}, about {{topic}} and {{ name }}" }, { key: "team", value: "x" }];
    expect(isPrompt(tags)).toBe(true);
    expect(withoutPromptTags(tags)).toEqual([{ key: "team", value: "x" }]);
    expect(promptTemplateOf(tags)).toMatchObject({ type: "text", messages: null, variables: ["name", "topic"] });
  });

  it("reads a chat template as role/content messages", () => {
    const text = JSON.stringify([{ role: "system", content: "Be brief." }, { role: "user", content: "{{ question }}" }]);
    const prompt = promptTemplateOf([{ key: "mlflow.prompt.text", value: text }, { key: "_mlflow_prompt_type", value: "chat" }]);
    expect(prompt?.type).toBe("chat");
    expect(prompt?.messages).toEqual([{ role: "system", content: "Be brief." }, { role: "user", content: "{{ question }}" }]);
    expect(prompt?.variables).toEqual(["question"]);
  });
});

describe("artifact roots", () => {
  it("reads a run's files through the proxy and a logged model's through its files endpoint", () => {
    expect(artifactUrl({ kind: "run", experimentId: "3", runId: "abc" }, "model/MLmodel")).toBe("/ajax-api/2.0/mlflow-artifacts/artifacts/3/abc/artifacts/model/MLmodel");
    expect(artifactUrl({ kind: "model", modelId: "m-1" }, "sub dir/MLmodel")).toBe("/ajax-api/2.0/mlflow/logged-models/m-1/artifacts/files?artifact_file_path=sub+dir%2FMLmodel");
  });
});
