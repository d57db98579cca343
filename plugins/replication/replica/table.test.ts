import { describe, expect, it } from "vitest";
import type { SourceColumn } from "../../../src/sources/types";
import { affinityOf, createTableSql, targetProblems } from "./table";

const col = (name: string, sqliteType: SourceColumn["sqliteType"]): SourceColumn => ({
  name,
  sourceType: "x",
  nullable: true,
  sqliteType,
});
const columns = [col("id", "INTEGER"), col("body", "TEXT"), col("data", "BLOB")];

describe("createTableSql", () => {
  it("creates mapped columns with the source key as primary key, quoting names", () => {
    expect(createTableSql('we"ird', columns, ["id"])).toBe(
      'CREATE TABLE IF NOT EXISTS "we""ird" ("id" INTEGER, "body" TEXT, "data" BLOB, PRIMARY KEY ("id"))',
    );
  });
});

describe("targetProblems", () => {
  it("accepts a table with the same columns and key", () => {
    const existing = [
      { name: "id", type: "INTEGER", pk: 1 },
      { name: "body", type: "TEXT", pk: 0 },
      { name: "data", type: "BLOB", pk: 0 },
    ];
    expect(targetProblems("t", existing, columns, ["id"])).toEqual([]);
  });

  it("names a missing column, a type of another affinity and another key", () => {
    const existing = [
      { name: "id", type: "TEXT", pk: 0 },
      { name: "body", type: "VARCHAR(10)", pk: 1 },
    ];
    expect(targetProblems("t", existing, columns, ["id"])).toEqual([
      'existing table "t": column "id" is TEXT, expected INTEGER',
      'existing table "t": column "data" is missing',
      'existing table "t": primary key is (body), expected (id)',
    ]);
  });
});

describe("affinityOf", () => {
  it.each([
    ["BIGINT", "INTEGER"],
    ["varchar(3)", "TEXT"],
    ["", "BLOB"],
    ["DOUBLE PRECISION", "REAL"],
    ["DECIMAL(10,2)", "NUMERIC"],
  ])("%s has %s affinity", (declared, affinity) => {
    expect(affinityOf(declared)).toBe(affinity);
  });
});
