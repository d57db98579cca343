import { describe, expect, it } from "vitest";
import { mysqlSqliteTypeOf } from "./mysql-types";
import { shortestFloat32 } from "./numbers";

describe("mysqlSqliteTypeOf", () => {
  it.each([
    ["tinyint(1)", "INTEGER"],
    ["int(11)", "INTEGER"],
    ["int unsigned", "INTEGER"],
    ["mediumint(8) unsigned zerofill", "INTEGER"],
    ["bigint(20)", "INTEGER"],
    ["bigint(20) unsigned", "TEXT"],
    ["bigint unsigned", "TEXT"],
    ["year(4)", "INTEGER"],
    ["bit(1)", "INTEGER"],
    ["bit(63)", "INTEGER"],
    ["bit(64)", "TEXT"],
    ["decimal(65,30)", "TEXT"],
    ["float", "REAL"],
    ["double", "REAL"],
    ["datetime(6)", "TEXT"],
    ["timestamp", "TEXT"],
    ["enum('a','b')", "TEXT"],
    ["set('x')", "TEXT"],
    ["longtext", "TEXT"],
    ["json", "TEXT"],
    ["varbinary(16)", "BLOB"],
    ["binary(4)", "BLOB"],
    ["longblob", "BLOB"],
  ])("%s -> %s", (columnType, expected) => expect(mysqlSqliteTypeOf(columnType)).toBe(expected));
});

describe("shortestFloat32", () => {
  it.each([
    [1.100000023841858, 1.1],
    [0.10000000149011612, 0.1],
    [16777216, 16777216],
    [3.4028234663852886e38, 3.4028235e38],
    [-0, -0],
  ])("%s -> %s", (input, expected) => expect(shortestFloat32(input)).toBe(expected));
});
