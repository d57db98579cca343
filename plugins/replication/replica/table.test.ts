import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { SourceColumn } from "../../../src/sources/types";
import { affinityOf, createTableSql, dropReplica, replicaRowCount, targetProblems } from "./table";

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

describe("replicaRowCount", () => {
  /** Runs `test` in a database of its own, whose count(*) statements are recorded (a spy on the real SqlStorage). */
  async function inDatabase(test: (sql: SqlStorage, counts: string[]) => void): Promise<void> {
    const stub = env.DATABASE_DURABLE_OBJECT.get(env.DATABASE_DURABLE_OBJECT.idFromName(`count-${Math.random()}`));
    await runInDurableObject(stub, (_i, state) => {
      const real = state.storage.sql;
      const counts: string[] = [];
      const sql = new Proxy(real, {
        get(target, key) {
          if (key !== "exec") return Reflect.get(target, key, target);
          return (query: string, ...params: unknown[]) => {
            if (query.includes("count(*)")) counts.push(query);
            return target.exec(query, ...params);
          };
        },
      });
      test(sql, counts);
    });
  }

  it("is exact after every write, and scans the table again only when a row was written since", () =>
    inDatabase((sql, counts) => {
      expect(replicaRowCount(sql, "t")).toBeNull();
      sql.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
      sql.exec("CREATE TABLE other (id INTEGER PRIMARY KEY)");
      sql.exec("INSERT INTO t VALUES (1, 'a'), (2, 'b')");
      expect(replicaRowCount(sql, "t")).toBe(2);
      expect(replicaRowCount(sql, "t")).toBe(2);
      expect(counts).toHaveLength(1);
      sql.exec("INSERT INTO t VALUES (3, 'c')");
      expect(replicaRowCount(sql, "t")).toBe(3);
      // A write to another table may be anything: counted again, still 3.
      sql.exec("INSERT INTO other VALUES (1)");
      expect(replicaRowCount(sql, "t")).toBe(3);
      sql.exec("DELETE FROM t WHERE id = 1");
      expect(replicaRowCount(sql, "t")).toBe(2);
      sql.exec("DELETE FROM t");
      expect(replicaRowCount(sql, "t")).toBe(0);
      expect(counts).toHaveLength(5);
    }));

  it("answers null once the replica is dropped, and 0 for a new one, though neither writes a row", () =>
    inDatabase((sql) => {
      sql.exec("CREATE TABLE t (id INTEGER PRIMARY KEY)");
      sql.exec("INSERT INTO t VALUES (1)");
      expect(replicaRowCount(sql, "t")).toBe(1);
      dropReplica(sql, "t");
      expect(replicaRowCount(sql, "t")).toBeNull();
      sql.exec("CREATE TABLE t (id INTEGER PRIMARY KEY)");
      expect(replicaRowCount(sql, "t")).toBe(0);
      // A table dropped and created by another statement (an admin's, through /query).
      sql.exec("INSERT INTO t VALUES (1), (2)");
      expect(replicaRowCount(sql, "T")).toBe(2);
      sql.exec("DROP TABLE t");
      expect(replicaRowCount(sql, "T")).toBeNull();
    }));
});
