import { describe, expect, it } from "vitest";
import type { Prisma } from "@modelgate/db";
import { attributeValue, chatMessages, decodeAnyValue, encodeAnyValue, numericOf, otelTraceIdOf, parseTraceFilter, preview, protoDuration, protoTimestamp } from "../src/index.ts";
import { spanContent } from "../src/tracing/spans.ts";
import { parseTraceOrderBy } from "../src/tracing/search.ts";

// The pure parts of tracing: AnyValue round trips, MLflow's previews, proto JSON times, the trace
// filter language's refusals (the SQL it builds is exercised against PostgreSQL in the REST tests).

describe("AnyValue", () => {
  it("round-trips JSON values, keeping integers and doubles apart", () => {
    const v = { a: 1, b: 1.5, c: "x", d: [true, null], e: { f: -2 } };
    const enc = encodeAnyValue(v);
    expect(enc).toEqual({
      kvlist_value: {
        values: [
          { key: "a", value: { int_value: "1" } },
          { key: "b", value: { double_value: 1.5 } },
          { key: "c", value: { string_value: "x" } },
          { key: "d", value: { array_value: { values: [{ bool_value: true }, {}] } } },
          { key: "e", value: { kvlist_value: { values: [{ key: "f", value: { int_value: "-2" } }] } } },
        ],
      },
    });
    expect(decodeAnyValue(enc)).toEqual(v);
    // beyond 2^53 an int stays exact as its decimal text
    expect(decodeAnyValue({ int_value: "9007199254740993" })).toBe("9007199254740993");
  });

  it("reads MLflow attributes sent natively or as JSON text", () => {
    const attrs = [
      { key: "mlflow.spanInputs", value: { string_value: '{"q": "hi"}' } },
      { key: "mlflow.spanType", value: { string_value: '"LLM"' } },
      { key: "plain", value: { string_value: "not json {" } },
      { key: "native", value: encodeAnyValue({ q: "hi" }) },
    ];
    expect(attributeValue(attrs, "mlflow.spanInputs")).toEqual({ q: "hi" });
    expect(attributeValue(attrs, "mlflow.spanType")).toBe("LLM");
    expect(attributeValue(attrs, "plain")).toBe("not json {");
    expect(attributeValue(attrs, "native")).toEqual({ q: "hi" });
    expect(attributeValue(attrs, "absent")).toBeUndefined();
  });
});

describe("previews", () => {
  it("take the last chat message of the role, else the JSON in Python's spacing, cut to 1,000 characters", () => {
    const req = { messages: [{ role: "system", content: "be brief" }, { role: "user", content: "first" }, { role: "assistant", content: "ok" }, { role: "user", content: "second" }] };
    expect(preview(req, "user")).toBe("second");
    expect(preview({ choices: [{ message: { role: "assistant", content: [{ type: "text", text: "hello" }] } }] }, "assistant")).toBe("hello");
    expect(preview({ a: 2, b: [1, 2] }, "user")).toBe('{"a": 2, "b": [1, 2]}');
    const long = preview("x".repeat(1500), "user")!;
    expect(long).toHaveLength(1000);
    expect(long.endsWith("...")).toBe(true);
    expect(preview(undefined, "user")).toBeNull();
    expect(chatMessages({ message: { role: "user", content: "m" } })).toEqual([{ role: "user", content: "m" }]);
    expect(chatMessages([1, 2])).toBeNull();
  });
});

describe("proto JSON", () => {
  it("writes Timestamp and Duration as protobuf's JSON mapping does", () => {
    expect(protoTimestamp(1733540000000)).toBe("2024-12-07T02:53:20Z");
    expect(protoTimestamp(1733540000123)).toBe("2024-12-07T02:53:20.123Z");
    expect(protoDuration(1500)).toBe("1.500s");
    expect(protoDuration(2000)).toBe("2s");
    expect(protoDuration(5)).toBe("0.005s");
  });

  it("stores a span as proto JSON with base64 ids, as it is sent back", () => {
    const text = spanContent({
      otelTraceId: "0af7651916cd43dd8448eb211c80319c",
      spanId: "b7ad6b7169203331",
      parentSpanId: "00f067aa0ba902b7",
      name: "root",
      kind: "SPAN_KIND_INTERNAL",
      startTimeNs: 1700000000000000001n,
      endTimeNs: 1700000000500000000n,
      status: { code: "STATUS_CODE_OK", message: "" },
      attributes: [{ key: "k", value: { string_value: "v" } }, { key: "n", value: { int_value: "9007199254740993" } }],
      events: [],
    });
    // 64-bit integers as bare digits, exact (MLflow's server writes int64 as JSON numbers)
    expect(text).toContain('"start_time_unix_nano":1700000000000000001,"end_time_unix_nano":1700000000500000000');
    expect(text).toContain('{"int_value":9007199254740993}');
    const wire = JSON.parse(text);
    expect(wire).toEqual({
      trace_id: Buffer.from("0af7651916cd43dd8448eb211c80319c", "hex").toString("base64"),
      span_id: Buffer.from("b7ad6b7169203331", "hex").toString("base64"),
      parent_span_id: Buffer.from("00f067aa0ba902b7", "hex").toString("base64"),
      name: "root",
      kind: "SPAN_KIND_INTERNAL",
      start_time_unix_nano: 1700000000000000000,
      end_time_unix_nano: 1700000000500000000,
      attributes: [{ key: "k", value: { string_value: "v" } }, { key: "n", value: { int_value: 9007199254740992 } }],
      status: { code: "STATUS_CODE_OK" },
    });
    // NUL stays in the content as JSON's escape (PostgreSQL stores that text); a string never becomes a number
    const nul = spanContent({ otelTraceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", parentSpanId: null, name: "a", startTimeNs: 1n, endTimeNs: null, status: { code: "STATUS_CODE_UNSET", message: "" }, attributes: [{ key: "k", value: { string_value: "\u0000n:5\u0000" } }, { key: "d", value: { double_value: "NaN" } }], events: [] });
    expect(nul).not.toContain("\u0000");
    expect(JSON.parse(nul).attributes).toEqual([{ key: "k", value: { string_value: "\u0000n:5\u0000" } }, { key: "d", value: { double_value: "NaN" } }]);
    expect(otelTraceIdOf("tr-0af7651916cd43dd8448eb211c80319c")).toBe("0af7651916cd43dd8448eb211c80319c");
    expect(otelTraceIdOf("0af7651916cd43dd8448eb211c80319c")).toBeNull();
  });
});

describe("the trace filter language", () => {
  it("accepts MLflow's identifiers", () => {
    for (const f of [
      "trace.status = 'OK'",
      "trace.timestamp_ms > 1711089570679 AND trace.execution_time_ms <= 500",
      "tags.env = 'prod'",
      "tag.`my key` LIKE 'a%'",
      "metadata.`mlflow.sourceRun` = 'abc'",
      "request_metadata.user != 'x'",
      "trace.run_id IN ('a', 'b')",
      "span.type = 'LLM' AND span.name ILIKE '%retr%'",
      "span.content LIKE '%needle%'",
      "feedback.correctness = 'yes'",
      "expectation.answer = 42",
      "trace.text ILIKE '%refund%'",
      "status = 'ERROR'",
    ]) {
      expect(() => parseTraceFilter(f), f).not.toThrow();
    }
    expect(parseTraceFilter("")).toEqual([]);
    expect(parseTraceFilter("tags.a = 'x' AND tags.b = 'y'")).toHaveLength(2);
  });

  it("refuses what MLflow refuses, with its messages", () => {
    const err = (f: string) => {
      try {
        parseTraceFilter(f);
      } catch (e) {
        return (e as Error).message;
      }
      return "accepted";
    };
    expect(err("trace.nope = 'x'")).toMatch(/^Invalid attribute key 'nope' specified/);
    expect(err("bogus.x = 'y'")).toMatch(/^Invalid entity type 'bogus'/);
    expect(err("trace.timestamp_ms > 'abc'")).toBe("Expected numeric value type for numeric attribute: timestamp_ms. Found 'abc'");
    expect(err("trace.status > 'OK'")).toMatch(/^Invalid comparator '>'/);
    expect(err("tags.env = prod")).toMatch(/not quoted/);
    expect(err("span.colour = 'red'")).toMatch(/^Invalid span attribute 'colour'/);
    expect(err("trace.status = 'OK' AND")).toMatch(/^Invalid clause/);
  });

  it("orders by MLflow's attributes, newest first as the tie-break", () => {
    expect((parseTraceOrderBy(["timestamp_ms ASC"]) as Prisma.Sql).sql).toBe("t.request_time ASC, t.request_time DESC, t.trace_id ASC");
    expect((parseTraceOrderBy(["trace.execution_time_ms DESC"]) as Prisma.Sql).sql).toMatch(/^t\.execution_duration DESC NULLS LAST, /);
    expect(() => parseTraceOrderBy(["tags.env"])).toThrow(/Invalid order_by entity/);
    expect(() => parseTraceOrderBy(["timestamp_ms sideways"])).toThrow(/Invalid ordering key/);
  });
});

describe("numeric readings of feedback", () => {
  it("counts numbers, booleans and yes/no; leaves other text out", () => {
    expect([0.8, true, false, "yes", "No", "pass", "maybe", null, Number.NaN].map(numericOf)).toEqual([0.8, 1, 0, 1, 0, 1, null, null, null]);
  });
});
