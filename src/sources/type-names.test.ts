import { describe, expect, it } from "vitest";
import { isSafePgTypeName } from "./type-names";

describe("isSafePgTypeName", () => {
  it.each([
    "bigint",
    "timestamp(6) with time zone",
    "character varying(200)",
    "numeric(14,4)",
    "numeric(14, 4)",
    "double precision",
    "interval day to second(3)",
    "bit varying(5)",
    "text[]",
    "integer[][]",
    "character(1)[]",
    '"MyType"',
    'public."odd ""name"""',
    "app.status",
  ])("accepts %s", (name) => {
    expect(isSafePgTypeName(name)).toBe(true);
  });

  it.each([
    "bigint; DROP TABLE t",
    "text) OR (1=1",
    "int /* x */",
    "int -- x",
    "text'",
    '"unterminated',
    "numeric(1,2,3)",
    "",
    "a".repeat(201),
    "bigint\u0000",
  ])("refuses %j", (name) => {
    expect(isSafePgTypeName(name)).toBe(false);
  });
});
