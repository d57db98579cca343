import { describe, expect, it } from "vitest";
import { mysqlDialect, postgresDialect } from "../../../src/sources/dialects";
import type { TableInfo } from "../../../src/sources/types";
import { deletedFlagSql, liveRowSql, planSoftDelete, softDeleteKindOf, splitSoftDeleted } from "./soft-delete";

describe("softDeleteKindOf", () => {
  it.each([
    ["postgresql", "timestamp(6) with time zone", "timestamp"],
    ["postgresql", "date", "timestamp"],
    ["postgresql", "boolean", "boolean"],
    ["postgresql", "integer", "integer"],
    ["postgresql", "bigint", "integer"],
    ["postgresql", "bit(1)", undefined],
    ["postgresql", "text", undefined],
    ["postgresql", "numeric(1,0)", undefined],
    ["mysql", "datetime(6)", "timestamp"],
    ["mysql", "tinyint(1)", "integer"],
    ["mysql", "int(11) unsigned", "integer"],
    ["mysql", "bit(1)", "integer"],
    ["mysql", "varchar(5)", undefined],
    ["mysql", "enum('y','n')", undefined],
  ] as const)("%s %s: %s", (dialect, type, kind) => {
    expect(softDeleteKindOf(dialect, type)).toBe(kind);
  });
});

describe("planSoftDelete", () => {
  const info: TableInfo = {
    schema: "public",
    name: "orders",
    primaryKey: ["id"],
    columns: [
      { name: "id", sourceType: "bigint", nullable: false, sqliteType: "INTEGER" },
      { name: "Deleted_At", sourceType: "timestamp with time zone", nullable: true, sqliteType: "TEXT" },
      { name: "note", sourceType: "text", nullable: true, sqliteType: "TEXT" },
    ],
  };

  it("takes the column as the source spells it", () => {
    expect(planSoftDelete("postgresql", info, "deleted_at", ["id"])).toEqual({
      column: "Deleted_At",
      kind: "timestamp",
    });
  });

  it.each([
    ["missing", /soft_delete_col "missing" is not a column of public.orders/],
    ["note", /soft_delete_col "note" of public.orders is text: it must be a timestamp, boolean or integer column/],
    ["id", /soft_delete_col "id" is part of the primary key/],
  ])("refuses %s", (name, message) => {
    expect(() => planSoftDelete("postgresql", info, name, ["id"])).toThrow(message);
  });
});

describe("liveRowSql and deletedFlagSql", () => {
  it.each([
    [postgresDialect, "timestamp", `"d" IS NULL`],
    [postgresDialect, "boolean", `"d" IS NOT TRUE`],
    [postgresDialect, "integer", `("d" IS NULL OR "d" = 0)`],
    [mysqlDialect, "boolean", "(`d` IS NULL OR `d` = 0)"],
    [mysqlDialect, "timestamp", "`d` IS NULL"],
  ] as const)("%s %s", (dialect, kind, live) => {
    expect(liveRowSql(dialect, { column: "d", kind })).toBe(live);
    expect(deletedFlagSql(dialect, { column: "d", kind })).toBe(`CASE WHEN ${live} THEN 0 ELSE 1 END`);
  });
});

describe("splitSoftDeleted", () => {
  it("keeps live rows without their flag, and the keys of deleted ones", () => {
    const rows = [
      [1, "a", 11, 0],
      [2, "b", 22, 1],
      [3, "c", 33, 0],
    ];
    expect(splitSoftDeleted(rows, 3, [0])).toEqual({
      live: [
        [1, "a", 11],
        [3, "c", 33],
      ],
      deletedKeys: [[2]],
    });
  });
});
