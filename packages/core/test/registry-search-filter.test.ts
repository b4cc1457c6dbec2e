import { Prisma } from "@modelgate/db";
import { describe, expect, it } from "vitest";
import {
  modelFilterSql,
  modelOrderSql,
  parseModelFilter,
  parseModelOrderBy,
  parseVersionFilter,
  parseVersionOrderBy,
  versionFilterSql,
  versionOrderSql,
} from "../src/registry/search-filter.ts";

const err = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return { code: (e as { code?: string }).code, message: (e as Error).message };
  }
  throw new Error("expected an error");
};

const invalid = (message: string) => ({ code: "INVALID_PARAMETER_VALUE", message });

/** The conditions ANDed into one statement, as the search functions will use them. */
const where = (conds: Prisma.Sql[]) => Prisma.join(conds, " AND ");

describe("registered model filter: parsing", () => {
  it("an empty, blank or missing filter is no clauses", () => {
    expect(parseModelFilter("")).toEqual([]);
    expect(parseModelFilter("  ")).toEqual([]);
    expect(parseModelFilter(undefined)).toEqual([]);
    expect(parseModelFilter(null)).toEqual([]);
  });

  it.each(["", "attribute.", "attributes."])("name with prefix '%s' is the name attribute", (prefix) => {
    expect(parseModelFilter(`${prefix}name LIKE 'fra%'`)).toEqual([{ type: "attribute", key: "name", comparator: "LIKE", value: "fra%" }]);
  });

  it("name takes = != LIKE ILIKE, single or double quoted", () => {
    expect(parseModelFilter(`name = "a" and name != 'b' AND name like 'c%' AND name ILIKE '%D'`)).toEqual([
      { type: "attribute", key: "name", comparator: "=", value: "a" },
      { type: "attribute", key: "name", comparator: "!=", value: "b" },
      { type: "attribute", key: "name", comparator: "LIKE", value: "c%" },
      { type: "attribute", key: "name", comparator: "ILIKE", value: "%D" },
    ]);
  });

  it("timestamps are numeric and keep their literal", () => {
    expect(parseModelFilter("creation_timestamp >= 1700000000000 AND last_updated_timestamp < 5.5")).toEqual([
      { type: "attribute", key: "creation_timestamp", comparator: ">=", value: 1700000000000, literal: "1700000000000" },
      { type: "attribute", key: "last_updated_timestamp", comparator: "<", value: 5.5, literal: "5.5" },
    ]);
  });

  it.each(["tag", "tags"])("%s.<key> is a tag; quoted keys may hold dots and spaces", (t) => {
    expect(parseModelFilter(`${t}.team = 'risk' AND ${t}.\`mlflow.owner\` != "x" AND ${t}."a b" ILIKE '%q%'`)).toEqual([
      { type: "tag", key: "team", comparator: "=", value: "risk" },
      { type: "tag", key: "mlflow.owner", comparator: "!=", value: "x" },
      { type: "tag", key: "a b", comparator: "ILIKE", value: "%q%" },
    ]);
  });
});

describe("registered model filter: errors", () => {
  it("an unknown attribute lists the valid keys", () => {
    expect(err(() => parseModelFilter("run_id = 'x'"))).toEqual(
      invalid("Invalid attribute key 'run_id' specified. Valid keys are '{'name', 'creation_timestamp', 'last_updated_timestamp'}'"),
    );
  });

  it("an unknown entity type lists the valid ones", () => {
    expect(err(() => parseModelFilter("params.x = 'y'"))).toEqual(
      invalid("Invalid entity type 'params'. Valid entity types are ('attribute', 'attributes', 'tag', 'tags')"),
    );
  });

  it("a numeric comparator on name, a string one on a timestamp, and '>>>' are rejected", () => {
    expect(err(() => parseModelFilter("name > 'a'"))).toEqual(invalid("Invalid comparator '>' not one of '{'!=', '=', 'LIKE', 'ILIKE'}'"));
    expect(err(() => parseModelFilter("creation_timestamp LIKE 5"))).toEqual(invalid("Invalid comparator 'LIKE' not one of '{'>', '>=', '!=', '=', '<', '<='}'"));
    expect(err(() => parseModelFilter("tags.a >>> 'b'"))).toEqual(invalid("Invalid comparator '>>>' not one of '{'!=', '=', 'LIKE', 'ILIKE'}'"));
  });

  it("lists are not supported for registered models", () => {
    expect(err(() => parseModelFilter("name IN ('a', 'b')"))).toEqual(invalid("Only the 'run_id' attribute supports comparison with a list of quoted string values."));
  });

  it("value types are checked", () => {
    expect(err(() => parseModelFilter("name = 5"))).toEqual(invalid("Expected a quoted string value or a list of quoted string values for attributes. Got value 5"));
    expect(err(() => parseModelFilter("name = abc"))).toEqual(
      invalid("Parameter value is either not quoted or unidentified quote types used for string value abc. Use either single or double quotes."),
    );
    expect(err(() => parseModelFilter("creation_timestamp > 'soon'"))).toEqual(invalid("Expected numeric value type for numeric attribute: creation_timestamp. Found 'soon'"));
    expect(err(() => parseModelFilter("tags.a = 1"))).toEqual(invalid("Expected a quoted string value for tag (e.g. 'my-value'). Got value 1"));
  });

  it("OR is not part of the grammar", () => {
    expect(err(() => parseModelFilter("name = 'a' OR name = 'b'"))).toEqual(invalid("Invalid clause(s) in filter string: 'name = 'a' OR name = 'b''"));
  });
});

describe("model version filter: parsing", () => {
  it("an empty or missing filter is no clauses", () => {
    expect(parseVersionFilter("")).toEqual([]);
    expect(parseVersionFilter(undefined)).toEqual([]);
  });

  it("string attributes keep their filter names (source_path is mapped only in SQL)", () => {
    expect(parseVersionFilter(`name = "x" AND source_path LIKE 's3://%' AND run_id != 'abc' AND attributes.name ILIKE 'X%'`)).toEqual([
      { type: "attribute", key: "name", comparator: "=", value: "x" },
      { type: "attribute", key: "source_path", comparator: "LIKE", value: "s3://%" },
      { type: "attribute", key: "run_id", comparator: "!=", value: "abc" },
      { type: "attribute", key: "name", comparator: "ILIKE", value: "X%" },
    ]);
  });

  it.each(["name", "run_id", "source_path"])("%s takes IN and NOT IN lists of strings", (key) => {
    expect(parseVersionFilter(`${key} IN ('a','b') AND ${key} not in ('c')`)).toEqual([
      { type: "attribute", key, comparator: "IN", value: ["a", "b"] },
      { type: "attribute", key, comparator: "NOT IN", value: ["c"] },
    ]);
  });

  it("version_number is numeric and takes integer lists", () => {
    expect(parseVersionFilter("version_number >= 3 AND version_number IN (1, 2, '7') AND version_number NOT IN (5)")).toEqual([
      { type: "attribute", key: "version_number", comparator: ">=", value: 3, literal: "3" },
      { type: "attribute", key: "version_number", comparator: "IN", value: [1, 2, 7] },
      { type: "attribute", key: "version_number", comparator: "NOT IN", value: [5] },
    ]);
  });

  it("a quoted number is accepted for a numeric attribute", () => {
    expect(parseVersionFilter("version_number = '3'")).toEqual([{ type: "attribute", key: "version_number", comparator: "=", value: 3, literal: "3" }]);
  });

  it("timestamps and tags", () => {
    expect(parseVersionFilter("creation_timestamp > 10 AND last_updated_timestamp <= 20 AND tags.stage = 'gold'")).toEqual([
      { type: "attribute", key: "creation_timestamp", comparator: ">", value: 10, literal: "10" },
      { type: "attribute", key: "last_updated_timestamp", comparator: "<=", value: 20, literal: "20" },
      { type: "tag", key: "stage", comparator: "=", value: "gold" },
    ]);
  });
});

describe("model version filter: errors", () => {
  it("an unknown attribute lists the valid keys", () => {
    expect(err(() => parseVersionFilter("version = 1"))).toEqual(
      invalid("Invalid attribute key 'version' specified. Valid keys are '{'name', 'run_id', 'source_path', 'version_number', 'creation_timestamp', 'last_updated_timestamp'}'"),
    );
  });

  it("comparators are checked per kind", () => {
    expect(err(() => parseVersionFilter("run_id > 'a'"))).toEqual(invalid("Invalid comparator '>' not one of '{'!=', '=', 'LIKE', 'ILIKE'}'"));
    expect(err(() => parseVersionFilter("version_number LIKE '1%'"))).toEqual(invalid("Invalid comparator 'LIKE' not one of '{'>', '>=', '!=', '=', '<', '<='}'"));
  });

  it("a number for a string attribute names the numeric attributes", () => {
    expect(err(() => parseVersionFilter("run_id = 5"))).toEqual(
      invalid("Only the '{'version_number', 'creation_timestamp', 'last_updated_timestamp'}' attributes support comparison with numeric values."),
    );
  });

  it("lists: not for timestamps or tags; integers only for version_number; strings only elsewhere", () => {
    expect(err(() => parseVersionFilter("creation_timestamp IN (1, 2)"))).toEqual(
      invalid("Only the 'name', 'run_id', 'source_path' and 'version_number' attributes support comparison with a list of values."),
    );
    expect(err(() => parseVersionFilter("tags.a IN ('x')"))).toEqual(invalid("Expected a quoted string value for tag (e.g. 'my-value'). Got value ('x')"));
    expect(err(() => parseVersionFilter("version_number IN (1.5)"))).toEqual(
      invalid("While parsing a list in the query, expected a non-empty list of integer values, but got (1.5)"),
    );
    expect(err(() => parseVersionFilter("version_number IN ()"))).toEqual(
      invalid("While parsing a list in the query, expected a non-empty list of integer values, but got ()"),
    );
    expect(err(() => parseVersionFilter("run_id IN (1, 2)"))).toEqual(
      invalid("While parsing a list in the query, expected string value, punctuation, or whitespace, but got different type in list: (1, 2)"),
    );
  });
});

describe("order_by", () => {
  it("registered models: keys, prefixes, directions; legacy timestamp is last_updated (MLflow's SQL store)", () => {
    expect(parseModelOrderBy(["name DESC", "attribute.creation_timestamp", "timestamp asc"])).toEqual([
      { key: "name", ascending: false },
      { key: "creation_timestamp", ascending: true },
      { key: "last_updated_timestamp", ascending: true },
    ]);
    expect(parseModelOrderBy([])).toEqual([]);
  });

  it("model versions: keys and directions", () => {
    expect(parseVersionOrderBy(["version_number DESC", "attributes.last_updated_timestamp", "name ASC", "creation_timestamp desc"])).toEqual([
      { key: "version_number", ascending: false },
      { key: "last_updated_timestamp", ascending: true },
      { key: "name", ascending: true },
      { key: "creation_timestamp", ascending: false },
    ]);
  });

  it("unknown keys, tags and bad directions are 400s", () => {
    expect(err(() => parseModelOrderBy(["bogus"]))).toEqual(
      invalid("Invalid order by key 'bogus' specified. Valid keys are '{'name', 'creation_timestamp', 'last_updated_timestamp', 'timestamp'}'"),
    );
    expect(err(() => parseVersionOrderBy(["version"]))).toEqual(
      invalid("Invalid order by key 'version' specified. Valid keys are '{'name', 'version_number', 'creation_timestamp', 'last_updated_timestamp'}'"),
    );
    expect(err(() => parseVersionOrderBy(["tags.x"]))).toEqual(
      invalid("Invalid order by key 'tags.x' specified. Valid keys are '{'name', 'version_number', 'creation_timestamp', 'last_updated_timestamp'}'"),
    );
    expect(err(() => parseModelOrderBy(["name sideways"]))).toEqual(invalid("Invalid ordering key in order_by clause 'name sideways'."));
    expect(err(() => parseModelOrderBy(["name ASC DESC"]))).toEqual(invalid("Invalid order_by clause 'name ASC DESC'. Could not be parsed."));
  });

  it("a field named twice is rejected (timestamp and last_updated_timestamp are the same field)", () => {
    expect(err(() => parseModelOrderBy(["timestamp", "last_updated_timestamp DESC"]))).toEqual(
      invalid("`order_by` contains duplicate fields: ['timestamp', 'last_updated_timestamp DESC']"),
    );
    expect(err(() => parseVersionOrderBy(["name", "name DESC"]))).toEqual(invalid("`order_by` contains duplicate fields: ['name', 'name DESC']"));
  });
});

describe("registered model SQL", () => {
  it("name LIKE and a tag become parameterised conditions on m", () => {
    const sql = where(modelFilterSql(parseModelFilter("name LIKE 'fra%' AND tags.team = 'risk'")));
    expect(sql.text).toBe("m.name LIKE $1 AND EXISTS (SELECT 1 FROM registered_model_tag t WHERE t.model_id = m.id AND t.key = $2 AND t.value = $3)");
    expect(sql.values).toEqual(["fra%", "team", "risk"]);
  });

  it("!= is <>, ILIKE stays ILIKE, numbers are cast parameters", () => {
    const sql = where(modelFilterSql(parseModelFilter("name != 'a' AND name ILIKE 'B%' AND creation_timestamp > 1700000000000 AND last_updated_timestamp <= 1.5")));
    expect(sql.text).toBe("m.name <> $1 AND m.name ILIKE $2 AND m.creation_timestamp > $3::bigint AND m.last_updated_timestamp <= $4::numeric");
    expect(sql.values).toEqual(["a", "B%", "1700000000000", "1.5"]);
  });

  it("hostile values never reach the SQL text", () => {
    const sql = where(modelFilterSql(parseModelFilter(`name = "x'; DROP TABLE registered_model; --" AND tags."k'y" = 'v'`)));
    expect(sql.sql).not.toContain("DROP");
    expect(sql.sql).not.toContain("k'y");
    expect(sql.values).toEqual(["x'; DROP TABLE registered_model; --", "k'y", "v"]);
  });

  it("order: name ASC by default, name ASC breaks ties, bytewise name collation", () => {
    expect(modelOrderSql([]).text).toBe('m.name COLLATE "C" ASC');
    expect(modelOrderSql(parseModelOrderBy(["timestamp DESC"])).text).toBe('m.last_updated_timestamp DESC, m.name COLLATE "C" ASC');
    expect(modelOrderSql(parseModelOrderBy(["name DESC", "creation_timestamp"])).text).toBe('m.name COLLATE "C" DESC, m.creation_timestamp ASC');
    expect(modelOrderSql([]).values).toEqual([]);
  });
});

describe("model version SQL", () => {
  it("run_id IN becomes a parameter list", () => {
    const sql = where(versionFilterSql(parseVersionFilter("run_id IN ('a','b')")));
    expect(sql.text).toBe("v.run_id IN ($1,$2)");
    expect(sql.values).toEqual(["a", "b"]);
  });

  it("name is the model's name and source_path is v.source", () => {
    const sql = where(versionFilterSql(parseVersionFilter(`name = "x" AND source_path LIKE 's3://%'`)));
    expect(sql.text).toBe("m.name = $1 AND v.source LIKE $2");
    expect(sql.values).toEqual(["x", "s3://%"]);
  });

  it("version_number compares as bigint, singly and in lists", () => {
    const sql = where(versionFilterSql(parseVersionFilter("version_number >= 3 AND version_number NOT IN (4, 5)")));
    expect(sql.text).toBe("v.version >= $1::bigint AND v.version NOT IN ($2::bigint,$3::bigint)");
    expect(sql.values).toEqual(["3", "4", "5"]);
  });

  it("tags are EXISTS on model_version_tag by pk; timestamps are on v", () => {
    const sql = where(versionFilterSql(parseVersionFilter("tags.stage ILIKE 'gold%' AND name NOT IN ('m1') AND creation_timestamp < 99")));
    expect(sql.text).toBe(
      "EXISTS (SELECT 1 FROM model_version_tag t WHERE t.version_pk = v.pk AND t.key = $1 AND t.value ILIKE $2) AND m.name NOT IN ($3) AND v.creation_timestamp < $4::bigint",
    );
    expect(sql.values).toEqual(["stage", "gold%", "m1", "99"]);
  });

  it("order: MLflow's default, and its tie-breakers appended when missing", () => {
    expect(versionOrderSql([]).text).toBe('v.last_updated_timestamp DESC, m.name COLLATE "C" ASC, v.version DESC');
    expect(versionOrderSql(parseVersionOrderBy(["creation_timestamp ASC"])).text).toBe('v.creation_timestamp ASC, m.name COLLATE "C" ASC, v.version DESC');
    expect(versionOrderSql(parseVersionOrderBy(["version_number ASC"])).text).toBe('v.version ASC, m.name COLLATE "C" ASC');
    expect(versionOrderSql(parseVersionOrderBy(["name DESC", "version_number"])).text).toBe('m.name COLLATE "C" DESC, v.version ASC');
  });
});
