import { describe, expect, it } from "vitest";
import { identifiersOf, referencesInternalTable } from "./internal-tables";

describe("referencesInternalTable", () => {
  it.each([
    ["SELECT * FROM tmp_cron_tasks", true],
    ["select * from TMP_X", true],
    ['SELECT * FROM "tmp_x"', true],
    ['SELECT * FROM "a""tmp_"', false],
    ["SELECT * FROM `tmp_x`", true],
    ["SELECT * FROM [tmp_x]", true],
    ["SELECT * FROM main.tmp_x", true],
    ["SELECT 'tmp_x'", false],
    ["SELECT 'it''s tmp_x'", false],
    ["SELECT 1 -- tmp_x", false],
    ["SELECT 1 /* tmp_x */", false],
    ["SELECT my_tmp_x FROM t", false],
    ["SELECT * FROM items", false],
  ])("%s -> %s", (sql, expected) => {
    expect(referencesInternalTable(sql)).toBe(expected);
  });
});

describe("identifiersOf", () => {
  it("unescapes doubled quotes in quoted identifiers", () => {
    expect([...identifiersOf('SELECT "a""b" FROM t')]).toEqual(["SELECT", 'a"b', "FROM", "t"]);
  });
});
