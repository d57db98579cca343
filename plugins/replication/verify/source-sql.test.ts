import { describe, expect, it } from "vitest";
import { mysqlDialect, postgresDialect } from "../../../src/sources/dialects";
import type { SourceColumn } from "../../../src/sources/types";
import { rowHashSql } from "../replica/row-hash";
import {
  aggregateStatement,
  entriesStatement,
  keyAtStatement,
  presentStatement,
  rowsStatement,
  type SourceTable,
} from "./source-sql";

const column = (name: string, sourceType: string): SourceColumn => ({
  name,
  sourceType,
  nullable: false,
  sqliteType: "TEXT",
});
const id = column("id", "bigint");
const region = column("region", "text");
const note = column("note", "text");

const pg: SourceTable = {
  dialect: postgresDialect,
  schema: "app",
  table: "t",
  columns: [id, note],
  key: [id],
  live: null,
  rowHash: "md5",
};
const pgHash = rowHashSql(postgresDialect, ["id", "note"], "md5");

describe("statements on PostgreSQL", () => {
  it("aggregates a range through the key's index: count and hash sum as text", () => {
    expect(aggregateStatement(pg, { after: [5], upTo: ["9007199254740993"] })).toEqual({
      sql: `SELECT count(*), coalesce(sum(${pgHash}), 0)::text FROM "app"."t" WHERE "id" > ?::bigint AND "id" <= ?::bigint`,
      params: [5, "9007199254740993"],
    });
  });

  it("reads the whole table when the range is open, and only live rows with soft deletes", () => {
    expect(aggregateStatement({ ...pg, live: `"deleted_at" IS NULL` }, { after: null, upTo: null }).sql).toBe(
      `SELECT count(*), coalesce(sum(${pgHash}), 0)::text FROM "app"."t" WHERE "deleted_at" IS NULL`,
    );
  });

  it("finds the key at an offset, and lists entries and rows in key order", () => {
    expect(keyAtStatement(pg, { after: [5], upTo: null }, 99)).toEqual({
      sql: `SELECT "id" FROM "app"."t" WHERE "id" > ?::bigint ORDER BY "id" LIMIT 1 OFFSET 99`,
      params: [5],
    });
    expect(entriesStatement(pg, { after: null, upTo: [9] }, 10).sql).toBe(
      `SELECT "id", ${pgHash} FROM "app"."t" WHERE "id" <= ?::bigint ORDER BY "id" LIMIT 10`,
    );
    expect(rowsStatement(pg, { after: null, upTo: null }).sql).toBe(
      `SELECT "id", "note", ${pgHash} FROM "app"."t" ORDER BY "id"`,
    );
  });

  it("spells out composite ranges with a leading bound on the first key column", () => {
    const t = { ...pg, columns: [region, id, note], key: [region, id] };
    expect(keyAtStatement(t, { after: ["eu", 7], upTo: ["us", 1] }, 0)).toEqual({
      sql:
        `SELECT "region", "id" FROM "app"."t" WHERE "region" >= ?::text AND ("region" > ?::text OR ("region" = ?::text AND "id" > ?::bigint))` +
        ` AND "region" <= ?::text AND ("region" < ?::text OR ("region" = ?::text AND "id" <= ?::bigint)) ORDER BY "region", "id" LIMIT 1`,
      params: ["eu", "eu", "eu", 7, "us", "us", "us", 1],
    });
  });

  it("asks which keys are present, one-column keys with IN, composite ones pair by pair", () => {
    expect(presentStatement(pg, [[1], ["9007199254740993"]])).toEqual({
      sql: `SELECT "id" FROM "app"."t" WHERE ("id" IN (?::bigint, ?::bigint))`,
      params: [1, "9007199254740993"],
    });
    const t = { ...pg, columns: [region, id], key: [region, id], live: `"gone" IS NULL` };
    expect(
      presentStatement(t, [
        ["eu", 1],
        ["us", 2],
      ]),
    ).toEqual({
      sql: `SELECT "region", "id" FROM "app"."t" WHERE (("region" = ?::text AND "id" = ?::bigint) OR ("region" = ?::text AND "id" = ?::bigint)) AND "gone" IS NULL`,
      params: ["eu", 1, "us", 2],
    });
  });
});

describe("statements on MySQL", () => {
  const my: SourceTable = {
    dialect: mysqlDialect,
    table: "t",
    columns: [column("id", "bigint(20)"), note],
    key: [column("id", "bigint(20)")],
    live: null,
    rowHash: "crc32",
  };

  it("sums hashes as decimal text and binds keys with exact casts", () => {
    expect(aggregateStatement(my, { after: ["9007199254740993"], upTo: null })).toEqual({
      sql: `SELECT count(*), CAST(COALESCE(SUM(${rowHashSql(mysqlDialect, ["id", "note"], "crc32")}), 0) AS CHAR) FROM \`t\` WHERE \`id\` > CAST(? AS SIGNED)`,
      params: ["9007199254740993"],
    });
  });
});
