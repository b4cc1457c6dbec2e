import { describe, expect, it } from "vitest";
import {
  decodePageToken,
  encodePageToken,
  parseExperimentFilter,
  parseExperimentOrderByList,
  parseRunFilter,
  parseRunOrderBy,
  validateRunFilter,
} from "../src/index.ts";

const err = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return { code: (e as { code?: string }).code, message: (e as Error).message };
  }
  throw new Error("expected an error");
};

describe("run filter: identifiers and type aliases", () => {
  it("an empty or blank filter is no clauses", () => {
    expect(parseRunFilter("")).toEqual([]);
    expect(parseRunFilter("   ")).toEqual([]);
    expect(parseRunFilter(undefined)).toEqual([]);
  });

  it.each(["metric", "metrics"])("%s.<key> is a metric", (t) => {
    expect(parseRunFilter(`${t}.rmse < 0.5`)).toEqual([{ type: "metric", key: "rmse", comparator: "<", value: 0.5, literal: "0.5" }]);
  });

  it.each(["parameter", "parameters", "param", "params"])("%s.<key> is a parameter", (t) => {
    expect(parseRunFilter(`${t}.lr = '0.01'`)).toEqual([{ type: "parameter", key: "lr", comparator: "=", value: "0.01" }]);
  });

  it.each(["tag", "tags"])("%s.<key> is a tag", (t) => {
    expect(parseRunFilter(`${t}.team = "vision"`)).toEqual([{ type: "tag", key: "team", comparator: "=", value: "vision" }]);
  });

  it.each(["attribute", "attr", "attributes", "run", ""])("'%s' prefix (or none) is an attribute", (t) => {
    const id = t ? `${t}.status` : "status";
    expect(parseRunFilter(`${id} = 'FINISHED'`)).toEqual([{ type: "attribute", key: "status", comparator: "=", value: "FINISHED" }]);
  });

  it.each(["dataset", "datasets"])("%s.<key> is a dataset field", (t) => {
    expect(parseRunFilter(`${t}.context = 'training'`)).toEqual([{ type: "dataset", key: "context", comparator: "=", value: "training" }]);
  });

  it("keys in double quotes or backticks may hold spaces, dots and dashes", () => {
    expect(parseRunFilter(`metrics."val loss" > 1 and params.\`learning-rate\` = '3' AND tags."a.b" != 'x'`)).toEqual([
      { type: "metric", key: "val loss", comparator: ">", value: 1, literal: "1" },
      { type: "parameter", key: "learning-rate", comparator: "=", value: "3" },
      { type: "tag", key: "a.b", comparator: "!=", value: "x" },
    ]);
  });

  it("a dotted key without quotes keeps everything after the first dot", () => {
    expect(parseRunFilter("metrics.val.loss >= -1.5e-3")).toEqual([{ type: "metric", key: "val.loss", comparator: ">=", value: -0.0015, literal: "-1.5e-3" }]);
  });

  it("a backticked entity type is accepted", () => {
    expect(parseRunFilter("`metrics`.a = 2")[0]).toMatchObject({ type: "metric", key: "a" });
  });

  it("aliases: created is start_time; run name / Run name / Run Name is run_name", () => {
    expect(parseRunFilter("created > 10")).toEqual([{ type: "attribute", key: "start_time", comparator: ">", value: 10, literal: "10" }]);
    expect(parseRunFilter("attributes.Created <= 10")[0]).toMatchObject({ key: "start_time" });
    for (const alias of ["run name", "Run name", "Run Name", "attributes.run_name", "attributes.`run name`"]) {
      expect(parseRunFilter(`${alias} = 'r1'`), alias).toEqual([{ type: "attribute", key: "run_name", comparator: "=", value: "r1" }]);
    }
  });

  it("AND is case-insensitive; keywords LIKE/ILIKE too", () => {
    expect(parseRunFilter("params.a like 'x%' aNd tags.b ilike '%Y'")).toEqual([
      { type: "parameter", key: "a", comparator: "LIKE", value: "x%" },
      { type: "tag", key: "b", comparator: "ILIKE", value: "%Y" },
    ]);
  });
});

describe("run filter: comparators per type", () => {
  const numeric = [">", ">=", "!=", "=", "<", "<="];
  const strings = ["=", "!=", "LIKE", "ILIKE"];

  it.each(numeric)("metric accepts %s", (c) => expect(parseRunFilter(`metrics.m ${c} 1`)[0]).toMatchObject({ comparator: c }));
  it.each(["LIKE", "ILIKE"])("metric rejects %s", (c) => {
    expect(err(() => parseRunFilter(`metrics.m ${c} 1`))).toEqual({
      code: "INVALID_PARAMETER_VALUE",
      message: `Invalid comparator '${c}' not one of '{'>', '>=', '!=', '=', '<', '<='}'`,
    });
  });

  it.each(strings)("params and tags accept %s", (c) => {
    expect(parseRunFilter(`params.p ${c} 'v'`)[0]).toMatchObject({ comparator: c });
    expect(parseRunFilter(`tags.t ${c} 'v'`)[0]).toMatchObject({ comparator: c });
  });
  it.each([">", ">=", "<", "<="])("params and tags reject %s", (c) => {
    expect(err(() => parseRunFilter(`params.p ${c} 'v'`)).message).toBe(`Invalid comparator '${c}' not one of '{'!=', '=', 'LIKE', 'ILIKE'}'`);
    expect(err(() => parseRunFilter(`tags.t ${c} 'v'`)).message).toBe(`Invalid comparator '${c}' not one of '{'!=', '=', 'LIKE', 'ILIKE'}'`);
  });

  it.each(["run_id", "run_name", "status", "user_id", "artifact_uri"])("string attribute %s accepts = != LIKE ILIKE and rejects >", (a) => {
    for (const c of strings) expect(parseRunFilter(`attributes.${a} ${c} 'v'`)[0]).toMatchObject({ type: "attribute", comparator: c });
    expect(err(() => parseRunFilter(`${a} > 'v'`)).message).toBe(`Invalid comparator '>' not one of '{'!=', '=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'}'`);
  });

  it("IN / NOT IN lists work for run_id only", () => {
    expect(parseRunFilter("run_id IN ('a1', 'b2')")).toEqual([{ type: "attribute", key: "run_id", comparator: "IN", value: ["a1", "b2"] }]);
    expect(parseRunFilter("attributes.run_id not in ('a1')")).toEqual([{ type: "attribute", key: "run_id", comparator: "NOT IN", value: ["a1"] }]);
    expect(err(() => parseRunFilter("run_name IN ('a')")).message).toBe("Only the 'run_id' attribute supports comparison with a list of quoted string values.");
    expect(err(() => parseRunFilter("run_id IN ()")).message).toBe("While parsing a list in the query, expected a non-empty list of string values, but got empty list");
    expect(err(() => parseRunFilter("run_id IN ('a', 1)")).message).toBe(
      "While parsing a list in the query, expected string value, punctuation, or whitespace, but got different type in list: ('a', 1)",
    );
    expect(err(() => parseRunFilter("run_id IN 'a'")).message).toBe("Invalid clause(s) in filter string: 'run_id IN 'a''");
  });

  it.each(["start_time", "end_time", "created"])("numeric attribute %s takes numeric comparators and numbers", (a) => {
    for (const c of numeric) expect(parseRunFilter(`${a} ${c} 5`)[0]).toMatchObject({ comparator: c, value: 5 });
    expect(err(() => parseRunFilter(`${a} LIKE 5`)).message).toBe(`Invalid comparator 'LIKE' not one of '{'>', '>=', '!=', '=', '<', '<='}'`);
    expect(err(() => parseRunFilter(`${a} > '5'`)).message).toBe(`Expected numeric value type for numeric attribute: ${a}. Found '5'`);
  });

  it("dataset name/digest/context take string comparators and lists", () => {
    for (const k of ["name", "digest", "context"]) {
      for (const c of strings) expect(parseRunFilter(`dataset.${k} ${c} 'v'`)[0]).toMatchObject({ type: "dataset", key: k, comparator: c });
      expect(parseRunFilter(`datasets.${k} IN ('a', 'b')`)[0]).toEqual({ type: "dataset", key: k, comparator: "IN", value: ["a", "b"] });
    }
    expect(err(() => parseRunFilter("dataset.source = 'x'")).message).toBe("Invalid dataset key 'source' specified. Valid keys are '{'name', 'digest', 'context'}'");
    expect(err(() => parseRunFilter("dataset.name > 'x'")).message).toBe(`Invalid comparator '>' not one of '{'!=', '=', 'LIKE', 'ILIKE'}'`);
  });
});

describe("run filter: errors", () => {
  it("a bad comparator names itself", () => {
    expect(err(() => parseRunFilter("metrics.acc >>> 1"))).toEqual({
      code: "INVALID_PARAMETER_VALUE",
      message: "Invalid comparator '>>>' not one of '{'>', '>=', '!=', '=', '<', '<='}'",
    });
    expect(err(() => parseRunFilter("params.a == 'x'")).message).toContain("Invalid comparator '==' not one of");
  });

  it("an unknown attribute lists the valid keys", () => {
    expect(err(() => parseRunFilter("bogus = 'x'")).message).toBe(
      "Invalid attribute key 'bogus' specified. Valid keys are '{'artifact_uri', 'end_time', 'run_id', 'run_name', 'start_time', 'status', 'user_id', 'created', 'Created', 'run name', 'Run name', 'Run Name'}'",
    );
  });

  it("an unknown entity type lists the valid ones", () => {
    expect(err(() => parseRunFilter("foo.bar = 'x'")).message).toBe("Invalid entity type 'foo'. Valid values are ['metric', 'parameter', 'tag', 'attribute', 'dataset']");
  });

  it("values must match the type", () => {
    expect(err(() => parseRunFilter("metrics.a > 'x'")).message).toBe("Expected numeric value type for metric. Found 'x'");
    expect(err(() => parseRunFilter("params.a = 1")).message).toBe("Expected a quoted string value for parameter (e.g. 'my-value'). Got value 1");
    expect(err(() => parseRunFilter("tags.a = 1")).message).toBe("Expected a quoted string value for tag (e.g. 'my-value'). Got value 1");
    expect(err(() => parseRunFilter("params.a = abc")).message).toBe(
      "Parameter value is either not quoted or unidentified quote types used for string value abc. Use either single or double quotes.",
    );
    expect(err(() => parseRunFilter("status = 3")).message).toBe("Expected a quoted string value for attributes. Got value 3");
  });

  it("OR, parentheses and dangling parts are invalid clauses", () => {
    expect(err(() => parseRunFilter("metrics.a > 1 OR metrics.b < 2")).message).toBe("Invalid clause(s) in filter string: 'metrics.a > 1 OR metrics.b < 2'");
    expect(err(() => parseRunFilter("metrics.a > 1 AND")).message).toBe("Invalid clause(s) in filter string: 'AND'");
    expect(err(() => parseRunFilter("metrics.a >")).message).toBe("Invalid clause(s) in filter string: 'metrics.a >'");
    expect(err(() => parseRunFilter("(metrics.a > 1)")).message).toBe("Invalid clause(s) in filter string: '(metrics.a > 1)'");
  });

  it("unlexable input is a parse error naming the filter", () => {
    expect(err(() => parseRunFilter("params.a = 'unterminated"))).toEqual({ code: "INVALID_PARAMETER_VALUE", message: "Error on parsing filter 'params.a = 'unterminated'" });
    expect(err(() => parseRunFilter("metrics.a > 1 @")).message).toBe("Error on parsing filter 'metrics.a > 1 @'");
    expect(err(() => parseRunFilter("metrics.a > 1; metrics.b > 2")).message).toBe(
      "Search filter contained multiple expression 'metrics.a > 1; metrics.b > 2'. Provide AND-ed expression list.",
    );
  });

  it("validateRunFilter returns null or the message, for the portal", () => {
    expect(validateRunFilter("metrics.a > 1")).toBeNull();
    expect(validateRunFilter("metrics.a >>> 1")).toMatch(/^Invalid comparator '>>>'/);
  });

  it("quoted string values keep their inside verbatim", () => {
    expect(parseRunFilter(`tags.q = 'say "hi"'`)[0]).toMatchObject({ value: 'say "hi"' });
    expect(parseRunFilter(`tags.q = "it's"`)[0]).toMatchObject({ value: "it's" });
    expect(parseRunFilter(`tags.q = 'a''b'`)[0]).toMatchObject({ value: "a''b" });
  });
});

describe("run order_by", () => {
  it("parses keys, directions, quoting and aliases", () => {
    expect(parseRunOrderBy("metrics.rmse DESC")).toEqual({ type: "metric", key: "rmse", ascending: false });
    expect(parseRunOrderBy("params.x")).toEqual({ type: "parameter", key: "x", ascending: true });
    expect(parseRunOrderBy("attributes.start_time ASC")).toEqual({ type: "attribute", key: "start_time", ascending: true });
    expect(parseRunOrderBy("metrics.`val loss` desc")).toEqual({ type: "metric", key: "val loss", ascending: false });
    expect(parseRunOrderBy('tags."a.b" asc')).toEqual({ type: "tag", key: "a.b", ascending: true });
    expect(parseRunOrderBy("created")).toEqual({ type: "attribute", key: "start_time", ascending: true });
    expect(parseRunOrderBy("run_name DESC")).toEqual({ type: "attribute", key: "run_name", ascending: false });
  });

  it("rejects unknown keys and directions", () => {
    expect(err(() => parseRunOrderBy("bogus")).message).toBe(
      "Invalid attribute key 'bogus' specified. Valid keys are '{'artifact_uri', 'end_time', 'run_id', 'run_name', 'start_time', 'status', 'user_id', 'created', 'Created'}'",
    );
    expect(err(() => parseRunOrderBy("metrics.a DOWN")).message).toBe("Invalid ordering key in order_by clause 'metrics.a DOWN'.");
    expect(err(() => parseRunOrderBy("metrics.a DESC x")).message).toBe("Invalid order_by clause 'metrics.a DESC x'. Could not be parsed.");
    expect(err(() => parseRunOrderBy("")).message).toBe("Invalid order_by clause ''. Could not be parsed.");
    expect(err(() => parseRunOrderBy("dataset.name")).message).toBe("Invalid order_by entity type 'dataset'");
  });
});

describe("experiment filter and order_by", () => {
  it("name, times and tags", () => {
    expect(parseExperimentFilter("name LIKE 'exp%' AND creation_time > 5 AND tags.team = 'a' AND attribute.last_update_time <= 9")).toEqual([
      { type: "attribute", key: "name", comparator: "LIKE", value: "exp%" },
      { type: "attribute", key: "creation_time", comparator: ">", value: 5, literal: "5" },
      { type: "tag", key: "team", comparator: "=", value: "a" },
      { type: "attribute", key: "last_update_time", comparator: "<=", value: 9, literal: "9" },
    ]);
  });

  it("only attribute, tag and tags prefixes; only its attributes", () => {
    expect(err(() => parseExperimentFilter("metrics.a > 1")).message).toBe("Invalid entity type 'metrics'. Valid entity types are ('attribute', 'tag', 'tags')");
    expect(err(() => parseExperimentFilter("artifact_location = 'x'")).message).toBe(
      "Invalid attribute key 'artifact_location' specified. Valid keys are '{'name', 'creation_time', 'last_update_time'}'",
    );
    expect(err(() => parseExperimentFilter("name > 'x'")).message).toBe("Invalid comparator '>' not one of '{'!=', '=', 'LIKE', 'ILIKE'}'");
    expect(err(() => parseExperimentFilter("creation_time > 'x'")).message).toBe("Expected numeric value type for numeric attribute: creation_time. Found 'x'");
  });

  it("order_by keys", () => {
    expect(parseExperimentOrderByList(["name", "experiment_id DESC", "creation_time asc", "last_update_time DESC"])).toEqual([
      { key: "name", ascending: true },
      { key: "experiment_id", ascending: false },
      { key: "creation_time", ascending: true },
      { key: "last_update_time", ascending: false },
    ]);
    expect(err(() => parseExperimentOrderByList(["tags.a"])).message).toBe("Invalid order_by entity: tag");
    expect(err(() => parseExperimentOrderByList(["bogus"])).message).toBe(
      "Invalid attribute key 'bogus' specified. Valid keys are '{'name', 'experiment_id', 'creation_time', 'last_update_time'}'",
    );
  });
});

describe("page tokens", () => {
  it("are MLflow's base64 JSON", () => {
    expect(encodePageToken(1)).toBe("eyJvZmZzZXQiOiAxfQ==");
    expect(decodePageToken("eyJvZmZzZXQiOiAxfQ==")).toBe(1);
    expect(decodePageToken(encodePageToken(2000))).toBe(2000);
    expect(decodePageToken(undefined)).toBe(0);
    expect(decodePageToken("")).toBe(0);
  });

  it("garbage is a 400", () => {
    expect(err(() => decodePageToken("not a token!"))).toEqual({ code: "INVALID_PARAMETER_VALUE", message: "Invalid page token, could not base64-decode" });
    expect(err(() => decodePageToken(Buffer.from("nope").toString("base64"))).message).toBe("Invalid page token, decoded value=nope");
    expect(err(() => decodePageToken(Buffer.from('{"x": 1}').toString("base64"))).message).toBe('Invalid page token, parsed value={"x": 1}');
    expect(err(() => decodePageToken(Buffer.from('{"offset": "abc"}').toString("base64"))).message).toBe("Invalid page token, not stringable abc");
  });
});
