import { describe, expect, it } from "vitest";
import { ValidationError } from "../errors";
import { dialectOf, mysqlDialect, postgresDialect } from "./dialects";
import type { SourceColumn, SqliteType, SqliteValue } from "./types";

const column = (sourceType: string, sqliteType: SqliteType = "TEXT"): SourceColumn => ({
  name: "c",
  sourceType,
  nullable: true,
  sqliteType,
});

describe("quoting", () => {
  it.each([
    [postgresDialect, 'we"ird', '"we""ird"'],
    [postgresDialect, "ok", '"ok"'],
    [mysqlDialect, "we`ird", "`we``ird`"],
    [mysqlDialect, 'a"b', '`a"b`'],
  ])("%#", (dialect, name, quoted) => expect(dialect.quoteIdentifier(name)).toBe(quoted));

  it("qualifies tables, schema optional", () => {
    expect(postgresDialect.qualifiedTable("public", "t")).toBe('"public"."t"');
    expect(mysqlDialect.qualifiedTable("db", "t")).toBe("`db`.`t`");
    expect(mysqlDialect.qualifiedTable(undefined, "t")).toBe("`t`");
  });

  it("rejects empty names and NUL", () => {
    expect(() => postgresDialect.quoteIdentifier("")).toThrow(ValidationError);
    expect(() => mysqlDialect.quoteIdentifier("a\0b")).toThrow(ValidationError);
  });
});

describe("postgres bindComparable", () => {
  it.each<[string, SqliteValue, string, unknown]>([
    ["bigint", "9223372036854775807", "?::bigint", "9223372036854775807"],
    [
      "timestamp(6) with time zone",
      "2024-01-01T00:00:00.000001Z",
      "?::timestamp(6) with time zone",
      "2024-01-01T00:00:00.000001Z",
    ],
    ["numeric(10,2)", "1.50", "?::numeric(10,2)", "1.50"],
    ["boolean", 1, "?::boolean", 1],
    ["bytea", new Uint8Array([0, 255]).buffer, "?::bytea", "\\x00ff"],
  ])("%s", (sourceType, value, sql, param) => {
    expect(postgresDialect.bindComparable(column(sourceType), value)).toEqual({ sql, param });
  });

  it("refuses array columns", () => {
    expect(() => postgresDialect.bindComparable(column("integer[]"), "[1]")).toThrow(ValidationError);
  });
});

describe("mysql bindComparable", () => {
  it.each<[string, SqliteValue, string, unknown]>([
    ["bigint(20)", "9223372036854775807", "CAST(? AS SIGNED)", "9223372036854775807"],
    ["bigint(20)", 5, "CAST(? AS SIGNED)", "5"],
    ["bigint(20) unsigned", "18446744073709551615", "CAST(? AS UNSIGNED)", "18446744073709551615"],
    ["bit(64)", "18446744073709551615", "CAST(? AS UNSIGNED)", "18446744073709551615"],
    ["decimal(40,20)", "1.5", "CAST(? AS DECIMAL(40,20))", "1.5"],
    ["float", 1.1, "CAST(? AS FLOAT)", 1.1],
    ["double", 0.1, "CAST(? AS DOUBLE)", 0.1],
    ["datetime(6)", "2024-01-02T03:04:05.123456", "CAST(? AS DATETIME(6))", "2024-01-02 03:04:05.123456"],
    ["timestamp(3)", "2024-01-02T03:04:05.123000Z", "CAST(? AS DATETIME(6))", "2024-01-02 03:04:05.123000"],
    ["date", "2024-01-02", "CAST(? AS DATE)", "2024-01-02"],
    ["time(6)", "-838:59:59.000000", "CAST(? AS TIME(6))", "-838:59:59.000000"],
    ["varbinary(4)", new Uint8Array([0, 1]).buffer, "UNHEX(?)", "0001"],
    ["varchar(20)", "héllo", "?", "héllo"],
    ["int(11)", null, "CAST(? AS SIGNED)", null],
  ])("%s %s", (sourceType, value, sql, param) => {
    expect(mysqlDialect.bindComparable(column(sourceType), value)).toEqual({ sql, param });
  });
});

describe("dialectOf", () => {
  it("accepts names and aliases, rejects others", () => {
    expect(dialectOf("postgresql")).toBe(postgresDialect);
    expect(dialectOf("postgres")).toBe(postgresDialect);
    expect(dialectOf("mysql")).toBe(mysqlDialect);
    expect(dialectOf("mariadb")).toBe(mysqlDialect);
    expect(() => dialectOf("oracle")).toThrow(ValidationError);
  });
});
