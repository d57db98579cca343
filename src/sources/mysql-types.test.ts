import { describe, expect, it } from "vitest";
import { MYSQL_TYPE, mysqlSqliteTypeOf, mysqlToSqliteValue, type MysqlRawValue } from "./mysql-types";
import { shortestFloat32 } from "./numbers";

const UNSIGNED = 32;
const field = (columnType: number, flags = 0, columnLength = 0, decimals?: number) => ({
  columnType,
  flags,
  columnLength,
  decimals,
});

describe("mysqlToSqliteValue", () => {
  const cases: Array<[string, ReturnType<typeof field>, MysqlRawValue, unknown]> = [
    ["null", field(MYSQL_TYPE.LONG), null, null],
    ["tinyint", field(MYSQL_TYPE.TINY), -128, -128],
    ["int unsigned", field(MYSQL_TYPE.LONG, UNSIGNED), 4294967295, 4294967295],
    ["year", field(MYSQL_TYPE.YEAR), 2155, 2155],
    ["bigint safe", field(MYSQL_TYPE.LONGLONG), "-9007199254740991", -9007199254740991],
    ["bigint max", field(MYSQL_TYPE.LONGLONG), "9223372036854775807", "9223372036854775807"],
    ["bigint min", field(MYSQL_TYPE.LONGLONG), "-9223372036854775808", "-9223372036854775808"],
    ["bigint unsigned small", field(MYSQL_TYPE.LONGLONG, UNSIGNED), "5", "5"],
    ["bigint unsigned max", field(MYSQL_TYPE.LONGLONG, UNSIGNED), "18446744073709551615", "18446744073709551615"],
    [
      "decimal",
      field(MYSQL_TYPE.NEWDECIMAL),
      "-12345678901234567890.123456789012345678",
      "-12345678901234567890.123456789012345678",
    ],
    ["float", field(MYSQL_TYPE.FLOAT), 1.100000023841858, 1.1],
    ["double", field(MYSQL_TYPE.DOUBLE), 0.1, 0.1],
    ["datetime", field(MYSQL_TYPE.DATETIME), "2024-01-02 03:04:05.12", "2024-01-02T03:04:05.120000"],
    ["datetime zero", field(MYSQL_TYPE.DATETIME), "0000-00-00 00:00:00", "0000-00-00T00:00:00.000000"],
    ["timestamp", field(MYSQL_TYPE.TIMESTAMP), "2024-01-02 03:04:05.000001", "2024-01-02T03:04:05.000001Z"],
    ["date", field(MYSQL_TYPE.DATE), "2024-02-29", "2024-02-29"],
    ["time negative", field(MYSQL_TYPE.TIME), "-838:59:59.000000", "-838:59:59.000000"],
    ["time(6) binary protocol", field(MYSQL_TYPE.TIME, 0, 0, 6), "838:59:59", "838:59:59.000000"],
    ["time(3)", field(MYSQL_TYPE.TIME, 0, 0, 3), "-01:02:03.5", "-01:02:03.500"],
    ["time(0)", field(MYSQL_TYPE.TIME, 0, 0, 0), "10:00:00", "10:00:00"],
    ["time expression", field(MYSQL_TYPE.TIME, 0, 0, 39), "10:00:00.5", "10:00:00.5"],
    ["varchar", field(253), "héllo 🙂", "héllo 🙂"],
    ["bit(8)", field(MYSQL_TYPE.BIT, UNSIGNED, 8), new Uint8Array([0xff]), 255],
    ["bit(64)", field(MYSQL_TYPE.BIT, UNSIGNED, 64), new Uint8Array(8).fill(0xff), "18446744073709551615"],
    ["bit(63) small", field(MYSQL_TYPE.BIT, UNSIGNED, 63), new Uint8Array([0, 0, 0, 0, 0, 0, 0, 3]), 3],
  ];
  it.each(cases)("%s", (_name, f, raw, expected) => expect(mysqlToSqliteValue(f, raw)).toEqual(expected));

  it("binary data becomes an ArrayBuffer holding exactly the bytes", () => {
    const backing = new Uint8Array([9, 0, 1, 0, 9]);
    const value = mysqlToSqliteValue(field(252), backing.subarray(1, 4));
    expect(value).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(value as ArrayBuffer)]).toEqual([0, 1, 0]);
  });
});

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
