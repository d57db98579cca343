import { describe, expect, it } from "vitest";
import { bindMysqlParams, mysqlLiteral } from "./mysql-placeholders";

describe("bindMysqlParams", () => {
  it.each([
    ["SELECT ?", [1], "SELECT 1"],
    [
      "SELECT * FROM t WHERE a > CAST(? AS SIGNED) AND b = ?",
      ["9223372036854775807", "x"],
      "SELECT * FROM t WHERE a > CAST('9223372036854775807' AS SIGNED) AND b = 'x'",
    ],
    ["SELECT '?', \"?\", `?`, ?", [null], "SELECT '?', \"?\", `?`, NULL"],
    ["SELECT 'it\\'s ?', 'a''?', ?", [true], "SELECT 'it\\'s ?', 'a''?', TRUE"],
    ["SELECT ? -- ?\n, ? # ?\n, /* ? */ ?", [1, 2, 3], "SELECT 1 -- ?\n, 2 # ?\n, /* ? */ 3"],
  ])("%s", (sql, params, expected) => {
    expect(bindMysqlParams(sql, params)).toBe(expected);
  });

  it("reads `--` without a following space as two minus signs, as MySQL does", () => {
    expect(bindMysqlParams("SELECT 5--?", [2])).toBe("SELECT 5--2");
  });

  it("refuses a count mismatch either way, naming both counts", () => {
    expect(() => bindMysqlParams("SELECT ?, ?", [1])).toThrow(/2 placeholders but 1 parameters/);
    expect(() => bindMysqlParams("SELECT ?", [1, 2])).toThrow(/1 placeholders but 2 parameters/);
  });
});

describe("mysqlLiteral", () => {
  it.each([
    [null, "NULL"],
    [false, "FALSE"],
    [0.1, "0.1"],
    [-9007199254740991, "-9007199254740991"],
    ['O\'Brien \\ "x"', "'O\\'Brien \\\\ \\\"x\\\"'"],
    ["a\0b\nc\r\t\x1a\b", "'a\\0b\\nc\\r\\t\\Z\\b'"],
    ["emoji 😀 ünïcode", "'emoji 😀 ünïcode'"],
  ])("%j -> %s", (value, literal) => {
    expect(mysqlLiteral(value as never)).toBe(literal);
  });

  it("refuses non-finite numbers", () => {
    expect(() => mysqlLiteral(Number.NaN)).toThrow(/cannot bind NaN/);
  });
});
