import { describe, expect, it } from "vitest";
import { parsePgArray } from "./pg-array";
import { builtinPgType, pgSqliteTypeOf, pgToSqliteValue, pgValueConverter, type PgValueType } from "./pg-types";

function bytes(...values: number[]): ArrayBuffer {
  return new Uint8Array(values).buffer;
}

describe("pgToSqliteValue", () => {
  const cases: Array<[string, PgValueType, string | null, unknown]> = [
    ["null", 23, null, null],
    ["int2", 21, "-32768", -32768],
    ["int4", 23, "2147483647", 2147483647],
    ["int8 safe", 20, "9007199254740991", 9007199254740991],
    ["int8 -safe", 20, "-9007199254740991", -9007199254740991],
    ["int8 2^53", 20, "9007199254740992", "9007199254740992"],
    ["int8 max", 20, "9223372036854775807", "9223372036854775807"],
    ["int8 min", 20, "-9223372036854775808", "-9223372036854775808"],
    [
      "numeric 40 digits",
      1700,
      "1234567890123456789012345.678901234567890",
      "1234567890123456789012345.678901234567890",
    ],
    ["numeric NaN", 1700, "NaN", "NaN"],
    ["float8", 701, "0.1", 0.1],
    ["float8 exp", 701, "1e+300", 1e300],
    ["float8 NaN", 701, "NaN", "NaN"],
    ["float8 -Infinity", 701, "-Infinity", "-Infinity"],
    ["float4", 700, "1.1", 1.1],
    ["bool t", 16, "t", 1],
    ["bool f", 16, "f", 0],
    ["text", 25, "", ""],
    ["char padding", 1042, "ab   ", "ab   "],
    ["uuid", 2950, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"],
    ["date", 1082, "2024-02-29", "2024-02-29"],
    ["date BC", 1082, "0044-03-15 BC", "0044-03-15 BC"],
    ["time", 1083, "23:59:59.999999", "23:59:59.999999"],
    ["timetz", 1266, "12:00:00+05:30", "12:00:00+05:30"],
    ["timestamp", 1114, "2024-01-02 03:04:05.5", "2024-01-02T03:04:05.500000"],
    ["timestamp infinity", 1114, "infinity", "infinity"],
    ["timestamptz", 1184, "2024-01-02 03:04:05.000001+00", "2024-01-02T03:04:05.000001Z"],
    ["interval", 1186, "P1Y2M3DT4H5M6.5S", "P1Y2M3DT4H5M6.5S"],
    ["jsonb", 3802, '{"a": [1, {"b": null}]}', '{"a": [1, {"b": null}]}'],
    ["unknown enum oid", 99999, "happy", "happy"],
    ["int4[] empty", { arrayOf: 23 }, "{}", "[]"],
    ["int4[]", { arrayOf: 23 }, "{1,NULL,-3}", "[1,null,-3]"],
    ["int4[][]", { arrayOf: 23 }, "{{1,2},{3,4}}", "[[1,2],[3,4]]"],
    ["int8[]", { arrayOf: 20 }, "{1,9223372036854775807}", '[1,"9223372036854775807"]'],
    ["numeric[]", { arrayOf: 1700 }, "{1.50,NaN}", '["1.50","NaN"]'],
    ["float8[]", { arrayOf: 701 }, "{1.5,Infinity}", '[1.5,"Infinity"]'],
    ["bool[]", { arrayOf: 16 }, "{t,f}", "[true,false]"],
    ["text[]", { arrayOf: 25 }, '{a,"b,c","q\\"t","NULL",NULL,"🙂"}', '["a","b,c","q\\"t","NULL",null,"🙂"]'],
    ["jsonb[]", { arrayOf: 3802 }, '{"{\\"a\\": 1}",null}', '[{"a": 1},null]'],
    ["timestamptz[]", { arrayOf: 1184 }, '{"2024-01-01 00:00:00+00"}', '["2024-01-01T00:00:00.000000Z"]'],
    ["bounds", { arrayOf: 23 }, "[0:1]={7,8}", "[7,8]"],
  ];
  it.each(cases)("%s", (_name, type, raw, expected) => {
    expect(pgToSqliteValue(type, raw)).toEqual(expected);
  });

  // The bulk read converts through the per-column converter: it must store exactly what pgToSqliteValue does.
  it.each([
    ...cases.filter(([, , raw]) => raw !== null),
    ["int8 15 digits", 20, "999999999999999", 999999999999999],
    ["int8 -15 digits", 20, "-999999999999999", -999999999999999],
    ["float8 -0", 701, "-0", -0],
    ["float8 Infinity", 701, "Infinity", "Infinity"],
    ["float4 small", 700, "1.2345e-05", 1.2345e-5],
    ["timestamptz offset", 1184, "2024-01-02 03:04:05+05:30", "2024-01-01T21:34:05.000000Z"],
  ] as typeof cases)("pgValueConverter: %s", (_name, type, raw, expected) => {
    const convert = pgValueConverter(type);
    expect(convert ? convert(raw as string) : raw).toEqual(expected);
    expect(pgToSqliteValue(type, raw)).toEqual(expected);
  });

  it.each([
    ["\\x", bytes()],
    ["\\x00ff0001", bytes(0, 255, 0, 1)],
    ["a\\000\\\\", bytes(97, 0, 92)],
  ])("bytea %s", (raw, expected) => {
    const value = pgToSqliteValue(17, raw);
    expect(value).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(value as ArrayBuffer)]).toEqual([...new Uint8Array(expected)]);
  });
});

describe("pgSqliteTypeOf", () => {
  it.each([
    ["smallint", "INTEGER"],
    ["integer", "INTEGER"],
    ["bigint", "INTEGER"],
    ["boolean", "INTEGER"],
    ["real", "REAL"],
    ["double precision", "REAL"],
    ["numeric(10,2)", "TEXT"],
    ["numeric", "TEXT"],
    ["bytea", "BLOB"],
    ["integer[]", "TEXT"],
    ["timestamp(6) with time zone", "TEXT"],
    ["character varying(20)", "TEXT"],
    ["mood", "TEXT"],
    ["jsonb", "TEXT"],
  ])("%s -> %s", (sourceType, expected) => expect(pgSqliteTypeOf(sourceType)).toBe(expected));
});

describe("builtinPgType", () => {
  it("knows scalars and arrays, leaves others to the catalog", () => {
    expect(builtinPgType(20)).toBe(20);
    expect(builtinPgType(1016)).toEqual({ arrayOf: 20 });
    expect(builtinPgType(123456)).toBeUndefined();
  });
});

describe("parsePgArray", () => {
  it("rejects malformed input", () => {
    expect(() => parsePgArray("{1,2")).toThrow(SyntaxError);
    expect(() => parsePgArray("1,2")).toThrow(SyntaxError);
  });
});
