import { describe, expect, it } from "vitest";
import { DomainError } from "@modelgate/core";
import { isDataPlanePath, newRequestId, toMlflowError } from "../src/rest/index.ts";

describe("data-plane routing", () => {
  it("sends MLflow, artifact, health, version and metrics paths to the data plane, the rest to Next", () => {
    for (const p of ["/api/2.0/mlflow/runs/get?run_id=1", "/ajax-api/2.0/mlflow/experiments/search", "/api/2.0/mlflow-artifacts/artifacts/0/a", "/health", "/version", "/metrics"]) {
      expect(isDataPlanePath(p), p).toBe(true);
    }
    for (const p of ["/", "/sign-in", "/api/trpc/me.get", "/api/auth/session", "/api/2.0/mlflowx", "/healthz", "/_next/static/x.js"]) {
      expect(isDataPlanePath(p), p).toBe(false);
    }
  });

  it("keeps sane request ids and replaces others", () => {
    expect(newRequestId("abcdefgh-1234")).toBe("abcdefgh-1234");
    expect(newRequestId("short")).toMatch(/^[0-9a-f-]{36}$/);
    expect(newRequestId(["a", "b"])).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("MLflow error mapping", () => {
  it("uses MLflow's statuses: already-exists is 400, missing is 404, never 5xx for a caller's mistake", () => {
    expect(toMlflowError(new DomainError("RESOURCE_ALREADY_EXISTS", "x"))).toEqual({ code: "RESOURCE_ALREADY_EXISTS", status: 400, message: "x" });
    expect(toMlflowError(new DomainError("RESOURCE_DOES_NOT_EXIST", "y")).status).toBe(404);
    expect(toMlflowError(new DomainError("PERMISSION_DENIED", "z")).status).toBe(403);
    expect(toMlflowError(new DomainError("INVALID_STATE", "s")).status).toBe(400);
    expect(toMlflowError(Object.assign(new Error("too big"), { code: "FST_ERR_CTP_BODY_TOO_LARGE", statusCode: 413 })).status).toBe(413);
    expect(toMlflowError(Object.assign(new Error("bad"), { code: "FST_ERR_CTP_INVALID_MEDIA_TYPE", statusCode: 415 }))).toMatchObject({ status: 400, code: "INVALID_PARAMETER_VALUE" });
  });
  it("hides unexpected errors behind a generic 500", () => {
    expect(toMlflowError(new Error("relation \"user\" does not exist"))).toEqual({ code: "INTERNAL_ERROR", status: 500, message: "Internal error" });
  });
});
