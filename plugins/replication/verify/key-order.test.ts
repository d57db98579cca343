import { describe, expect, it } from "vitest";
import type { SourceColumn } from "../../../src/sources/types";
import { verifyMethod } from "./key-order";

const col = (name: string, sourceType: string, sqliteType: SourceColumn["sqliteType"]): SourceColumn => ({
  name,
  sourceType,
  sqliteType,
  nullable: false,
});
const c = (provider: string | null, name: string | null) => [{ column: "k", provider, name }];

describe("verifyMethod", () => {
  it.each([
    ["postgresql", col("k", "bigint", "INTEGER"), [], "key ranges"],
    ["postgresql", col("k", "uuid", "TEXT"), [], "key ranges"],
    ["postgresql", col("k", "timestamp(6) with time zone", "TEXT"), [], "key ranges"],
    ["postgresql", col("k", "bytea", "BLOB"), [], "key ranges"],
    ["postgresql", col("k", "text", "TEXT"), c("c", "C.UTF-8"), "key ranges"],
    ["postgresql", col("k", "character varying(20)", "TEXT"), c("c", "C"), "key ranges"],
    ["postgresql", col("k", "text", "TEXT"), c("c", "en_US.UTF-8"), "keys"],
    ["postgresql", col("k", "text", "TEXT"), c("i", "und-x-icu"), "keys"],
    ["postgresql", col("k", "character(4)", "TEXT"), c("c", "C"), "keys"],
    ["postgresql", col("k", "numeric(10,2)", "TEXT"), [], "keys"],
    ["postgresql", col("k", "citext", "TEXT"), c("c", "C"), "keys"],
    ["mysql", col("k", "int", "INTEGER"), [], "key ranges"],
    ["mysql", col("k", "bigint unsigned", "TEXT"), [], "keys"],
    ["mysql", col("k", "datetime(6)", "TEXT"), [], "key ranges"],
    ["mysql", col("k", "varbinary(16)", "BLOB"), [], "key ranges"],
    ["mysql", col("k", "varchar(40)", "TEXT"), c(null, "utf8mb4_general_ci"), "keys"],
    ["mysql", col("k", "varchar(40)", "TEXT"), c(null, "utf8mb4_bin"), "keys"],
    ["mysql", col("k", "varchar(40)", "TEXT"), c(null, "utf8mb4_nopad_bin"), "key ranges"],
    ["mysql", col("k", "varchar(40)", "TEXT"), c(null, "utf8mb4_0900_bin"), "key ranges"],
    ["mysql", col("k", "decimal(10,2)", "TEXT"), [], "keys"],
  ] as const)("%s %j with %j: %s", (dialect, column, collations, method) => {
    expect(verifyMethod(dialect, [column], collations)).toBe(method);
  });

  it("needs every key column to order alike", () => {
    const key = [col("a", "bigint", "INTEGER"), col("k", "text", "TEXT")];
    expect(verifyMethod("postgresql", key, c("c", "C"))).toBe("key ranges");
    expect(verifyMethod("postgresql", key, c("c", "en_US.UTF-8"))).toBe("keys");
  });
});
