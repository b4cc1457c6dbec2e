import { describe, expect, it } from "vitest";
import { toWireJson, WireJson } from "../src/wire-json.ts";

describe("toWireJson", () => {
  it("writes non-finite metric values as MLflow does, on both the fast and the exact path", () => {
    expect(toWireJson({ metrics: [{ key: "a", value: NaN }, { key: "b", value: Infinity }, { key: "c", value: -Infinity }, { key: "d", value: 1.5 }] })).toBe(
      '{"metrics":[{"key":"a","value":"NaN"},{"key":"b","value":"Infinity"},{"key":"c","value":"-Infinity"},{"key":"d","value":1.5}]}',
    );
    expect(toWireJson({ value: 2, step: 3 })).toBe('{"value":2,"step":3}');
  });

  it("writes bigint as a number, drops undefined fields and keeps a user's text 'null' as it is", () => {
    expect(toWireJson({ id: 12n, gone: undefined, params: [{ key: "p", value: "null" }] })).toBe('{"id":12,"params":[{"key":"p","value":"null"}]}');
    expect(toWireJson({ note: "null", v: NaN })).toBe('{"note":"null","v":"NaN"}');
  });

  it("leaves out empty repeated fields, as proto3 JSON does, but keeps empty arrays inside arrays", () => {
    expect(toWireJson({ runs: [], next_page_token: undefined })).toBe("{}");
    expect(toWireJson({ run: { data: { metrics: [], tags: [{ key: "[]", value: "" }] } } })).toBe('{"run":{"data":{"tags":[{"key":"[]","value":""}]}}}');
    expect(toWireJson({ nested: [[], [1]] })).toBe('{"nested":[[],[1]]}');
  });

  it("sends parts (text and cached UTF-8 bodies) as one UTF-8 body", () => {
    const body = Buffer.from(toWireJson({ name: "café ✓ 模型" }));
    const wire = new WireJson('{"run":', body, "}");
    expect(wire.text).toBe('{"run":{"name":"café ✓ 模型"}}');
    expect(wire.bytes.length).toBe(Buffer.byteLength('{"run":{"name":"café ✓ 模型"}}'));
    expect(new WireJson("{}").text).toBe("{}");
  });
});
