import { describe, expect, it } from "vitest";
import { mysqlDialect, postgresDialect } from "../../../src/sources/dialects";
import type { SourceColumn } from "../../../src/sources/types";
import { buildPageQuery, pageLimit } from "./keyset";

const column = (name: string, sourceType: string): SourceColumn => ({
  name,
  sourceType,
  nullable: false,
  sqliteType: "TEXT",
});
const T = "2024-01-01T00:00:00.000001Z";

describe("buildPageQuery on PostgreSQL", () => {
  const id = column("id", "bigint");
  const at = column("updated_at", "timestamp(6) with time zone");
  const plan = {
    dialect: postgresDialect,
    schema: "app",
    table: "orders",
    columns: [id, at, column("note", "text")],
    tracking: at,
    key: [id],
    limit: 500,
  };
  const head = `SELECT "id", "updated_at", "note" FROM "app"."orders" WHERE`;
  const tail = `ORDER BY "updated_at", "id" LIMIT ?`;
  const ts = "?::timestamp(6) with time zone";

  it("starts at the first non-NULL tracking value", () => {
    expect(buildPageQuery({ ...plan, after: null })).toEqual({
      sql: `${head} "updated_at" IS NOT NULL ${tail}`,
      params: [500],
    });
  });

  it("reads a lookback window from its tracking value on, inclusive", () => {
    expect(buildPageQuery({ ...plan, after: { tracking: T, key: null } })).toEqual({
      sql: `${head} "updated_at" >= ${ts} ${tail}`,
      params: [T, 500],
    });
  });

  it("reads in key order below a tracking value, for a first copy (pull/first-copy.ts)", () => {
    const below = buildPageQuery({
      ...plan,
      tracking: id,
      key: [],
      after: { tracking: "41", key: [] },
      notNull: [at],
      trackingBelow: { column: at, value: T },
    });
    expect(below).toEqual({
      sql:
        `${head} "id" >= ?::bigint AND "id" > ?::bigint AND "updated_at" IS NOT NULL AND "updated_at" < ${ts} ` +
        `ORDER BY "id" LIMIT ?`,
      params: ["41", "41", T, 500],
    });
  });

  it("reads strictly after (tracking, key), with a range bound an index can use", () => {
    expect(buildPageQuery({ ...plan, after: { tracking: T, key: ["9007199254740993"] } })).toEqual({
      sql: `${head} "updated_at" >= ${ts} AND ("updated_at" > ${ts} OR ("updated_at" = ${ts} AND "id" > ?::bigint)) ${tail}`,
      params: [T, T, T, "9007199254740993", 500],
    });
  });
});

describe("buildPageQuery on MySQL", () => {
  const id = column("id", "bigint(20)");
  const at = column("updated_at", "datetime(6)");
  const tenant = column("tenant", "varchar(10)");
  const plan = {
    dialect: mysqlDialect,
    table: "orders",
    columns: [tenant, id, at],
    tracking: at,
    key: [tenant, id],
    limit: 2,
  };

  it("spells out a composite key, binding values with exact casts", () => {
    expect(buildPageQuery({ ...plan, after: { tracking: "2024-01-01T00:00:00.000001", key: ["a", 7] } })).toEqual({
      sql:
        "SELECT `tenant`, `id`, `updated_at` FROM `orders` WHERE `updated_at` >= CAST(? AS DATETIME(6)) AND " +
        "(`updated_at` > CAST(? AS DATETIME(6)) OR (`updated_at` = CAST(? AS DATETIME(6)) AND " +
        "(`tenant` > ? OR (`tenant` = ? AND `id` > CAST(? AS SIGNED))))) ORDER BY `updated_at`, `tenant`, `id` LIMIT ?",
      params: [...Array(3).fill("2024-01-01 00:00:00.000001"), "a", "a", "7", 2],
    });
  });

  it("keeps the statement's text whatever the limit, so the source layer knows it again from page to page", () => {
    const after = { tracking: "2024-01-01T00:00:00.000001", key: ["a", 7] };
    const small = buildPageQuery({ ...plan, after, limit: 3 });
    const large = buildPageQuery({ ...plan, after, limit: 3_000 });
    expect(small.sql).toBe(large.sql);
    expect([small.params.at(-1), large.params.at(-1)]).toEqual([3, 3_000]);
  });

  it("never asks for fewer than one row", () => {
    expect(buildPageQuery({ ...plan, after: null, limit: 0 }).params).toEqual([1]);
  });
});

describe("pageLimit", () => {
  it.each([
    [1000, 1000, 400_000, 4_000_000, 1000], // narrow rows: the full batch
    [1000, 1000, 40_000_000, 4_000_000, 100], // 40 kB rows: 100 rows make 4 MB
    [1000, 10, 30_000_000, 4_000_000, 1], // rows over the page target: one at a time
    [1000, 0, 0, 4_000_000, 1000], // an empty page says nothing about width
  ])("batch %i after %i rows of %i bytes (target %i): %i", (batch, rows, bytes, target, expected) => {
    expect(pageLimit(batch, rows, bytes, target)).toBe(expected);
  });
});

describe("buildPageQuery with extra values", () => {
  it("selects them after the columns (the row hash, a soft-delete flag)", () => {
    const id = column("id", "bigint");
    const query = buildPageQuery({
      dialect: postgresDialect,
      table: "t",
      columns: [id],
      tracking: id,
      key: [id],
      after: null,
      limit: 10,
      extra: ["h(x)", "CASE WHEN d IS NULL THEN 0 ELSE 1 END"],
    });
    expect(query.sql).toBe(
      `SELECT "id", h(x), CASE WHEN d IS NULL THEN 0 ELSE 1 END FROM "t" WHERE "id" IS NOT NULL ORDER BY "id", "id" LIMIT ?`,
    );
  });
});
