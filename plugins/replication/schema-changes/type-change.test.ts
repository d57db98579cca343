import { describe, expect, it } from "vitest";
import type { Dialect } from "../../../src/sources/types";
import { keepsValues } from "./type-change";

describe("keepsValues: a type change the replica can carry on through", () => {
  it.each<[Dialect, string, string, boolean]>([
    ["postgresql", "integer", "bigint", true],
    ["postgresql", "smallint", "integer", true],
    ["postgresql", "bigint", "integer", false],
    ["postgresql", "character varying(10)", "character varying(40)", true],
    ["postgresql", "character varying(40)", "text", true],
    ["postgresql", "text", "character varying", true],
    ["postgresql", "text", "jsonb", false],
    ["postgresql", "json", "jsonb", false],
    ["postgresql", "character(4)", "text", false],
    ["postgresql", "numeric(10,2)", "numeric(14,2)", true],
    ["postgresql", "numeric(10, 2)", "numeric", true],
    ["postgresql", "numeric(10,2)", "numeric(10,4)", false],
    ["postgresql", "numeric", "numeric(10,2)", false],
    ["postgresql", "numeric(10)", "numeric(12,0)", true],
    ["postgresql", "timestamp(3) with time zone", "timestamp with time zone", true],
    ["postgresql", "timestamp with time zone", "timestamp(3) with time zone", false],
    ["postgresql", "timestamp without time zone", "timestamp with time zone", false],
    ["postgresql", "time(2) without time zone", "time without time zone", true],
    ["postgresql", "integer", "numeric", false],
    ["postgresql", "Integer", " integer ", true],
    ["mysql", "int(11)", "bigint(20)", true],
    ["mysql", "int", "int(11)", true],
    ["mysql", "tinyint(4)", "int(11)", true],
    ["mysql", "bigint(20)", "int(11)", false],
    ["mysql", "int(10) unsigned", "bigint(20)", true],
    ["mysql", "int(10) unsigned", "int(11)", false],
    ["mysql", "int(11)", "int(10) unsigned", false],
    ["mysql", "int(10) unsigned", "bigint(20) unsigned", true],
    ["mysql", "int(11)", "int(11) zerofill", false],
    ["mysql", "varchar(20)", "varchar(200)", true],
    ["mysql", "varchar(20)", "longtext", true],
    ["mysql", "char(4)", "varchar(4)", false],
    ["mysql", "decimal(10,2)", "decimal(14,2)", true],
    ["mysql", "decimal(10,2)", "decimal(10,3)", false],
    ["mysql", "datetime(3)", "datetime(6)", false],
    ["mysql", "text", "json", false],
  ])("%s: %s -> %s keeps values: %s", (dialect, from, to, expected) => {
    expect(keepsValues(dialect, from, to)).toBe(expected);
  });
});
