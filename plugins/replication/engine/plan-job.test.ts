import { describe, expect, it } from "vitest";
import type { TableInfo } from "../../../src/sources/types";
import { planJobColumns } from "./plan-job";

const info: TableInfo = {
  schema: "public",
  name: "orders",
  primaryKey: ["id"],
  columns: [
    { name: "id", sourceType: "bigint", nullable: false, sqliteType: "INTEGER" },
    { name: "updated_at", sourceType: "timestamp(6) with time zone", nullable: true, sqliteType: "TEXT" },
    { name: "note", sourceType: "text", nullable: true, sqliteType: "TEXT" },
  ],
};

describe("planJobColumns", () => {
  it("takes every column and the source's key by default, warning about a nullable tracking column", () => {
    const plan = planJobColumns(info, { table_name: "orders", tracking_col: "updated_at", tracking_type: "timestamp" });
    expect(plan.columns.map((c) => c.name)).toEqual(["id", "updated_at", "note"]);
    expect(plan.primaryKey).toEqual(["id"]);
    expect(plan.warnings[0]).toMatch(/NULL are not replicated/);
  });

  it("accepts a column subset that holds the key and tracking column", () => {
    const plan = planJobColumns(info, {
      table_name: "orders",
      columns: ["updated_at", "id"],
      tracking_col: "id",
      tracking_type: "id",
    });
    expect(plan.columns.map((c) => c.name)).toEqual(["updated_at", "id"]);
  });

  it.each([
    [{ columns: ["note", "id"] }, /columns must include the tracking and key columns; missing: updated_at/],
    [{ columns: ["nope"] }, /columns\[\] "nope" is not a column of public.orders/],
    [{ tracking_col: "missing" }, /tracking_col "missing" is not a column/],
    [{ primary_key: "ghost" }, /primary_key "ghost" is not a column/],
    [{ tracking_type: "id" as const }, /tracking_type "id" needs an integer type/],
    [{ tracking_col: "note" }, /is text; tracking_type "timestamp" needs a date or timestamp type/],
  ])("refuses %j", (change, message) => {
    const request = {
      table_name: "orders",
      tracking_col: "updated_at",
      tracking_type: "timestamp" as const,
      ...change,
    };
    expect(() => planJobColumns(info, request)).toThrow(message);
  });

  it("refuses a table with no primary key unless one is given", () => {
    const keyless = { ...info, primaryKey: [] };
    expect(() => planJobColumns(keyless, { table_name: "orders", tracking_col: "id", tracking_type: "id" })).toThrow(
      /has no primary key/,
    );
    expect(
      planJobColumns(keyless, { table_name: "orders", tracking_col: "id", tracking_type: "id", primary_key: ["id"] })
        .primaryKey,
    ).toEqual(["id"]);
  });
});
