import { describe, expect, it } from "vitest";
import { parseCopyLine, pgLiteral } from "./pg-copy";

describe("parseCopyLine", () => {
  it.each([
    ["1\tabc\t\\N", ["1", "abc", null]],
    ["\t", ["", ""]],
    ["a\\tb\\nc\\\\d\\re", ["a\tb\nc\\d\re"]],
    ["\\\\N", ["\\N"]],
    ["\\x41\\101\\b\\f\\v", ["AA\b\f\v"]],
    ["😀 ünï\tx", ["😀 ünï", "x"]],
    ['{"a": "b\\\\\\\\c"}', ['{"a": "b\\\\c"}']],
    ["\\\\x00ff", ["\\x00ff"]],
    ["\\\\101 \\n\\101", ["\\101 \nA"]],
    ["a\\qb\tend\\", ["aqb", "end\\"]],
  ])("%j", (line, fields) => {
    expect(parseCopyLine(line)).toEqual(fields);
  });
});

describe("pgLiteral", () => {
  it.each([
    [null, "NULL"],
    [true, "TRUE"],
    [42.5, "42.5"],
    ["9223372036854775807", "'9223372036854775807'"],
    ["O'Brien \\ x", "'O''Brien \\ x'"],
  ])("%j -> %s", (value, literal) => {
    expect(pgLiteral(value)).toBe(literal);
  });

  it("refuses values PostgreSQL text cannot hold", () => {
    expect(() => pgLiteral(Number.POSITIVE_INFINITY)).toThrow(/cannot bind Infinity/);
    expect(() => pgLiteral("a\0b")).toThrow(/NUL/);
  });
});
