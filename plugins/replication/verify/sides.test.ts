import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { SourceColumn } from "../../../src/sources/types";
import { aggregateSql, deleteRangeSql, type ReplicaTable } from "./replica-sql";
import { replicaSide } from "./sides";

const column = (name: string, sqliteType: SourceColumn["sqliteType"]): SourceColumn => ({
  name,
  sourceType: "x",
  nullable: false,
  sqliteType,
});

/** Runs `fn` on the SQLite of a Durable Object of its own. */
function inFreshObject<T>(fn: (sql: SqlStorage) => T): Promise<T> {
  const ns = env.DATABASE_DURABLE_OBJECT;
  return runInDurableObject(ns.get(ns.idFromName(crypto.randomUUID())), (_instance, state) => fn(state.storage.sql));
}

const BIG = "9007199254740993"; // 2^53 + 1: a JavaScript number would round it

describe("replicaSide on Durable Object SQLite", () => {
  it("reads integer keys beyond 2^53 as text, as the source layer does, and finds them again by value", async () => {
    await inFreshObject((sql) => {
      sql.exec(`CREATE TABLE r (id INTEGER, note TEXT, _starbase_row_hash INTEGER, PRIMARY KEY (id))`);
      sql.exec(`INSERT INTO r VALUES (1, 'a', 10), (2, 'b', NULL), (?, 'c', 4294967295)`, BIG);
      const t: ReplicaTable = {
        table: "r",
        columns: [column("id", "INTEGER"), column("note", "TEXT")],
        key: [column("id", "INTEGER")],
        hasHash: true,
      };
      const side = replicaSide(sql, t);
      expect(side.aggregate({ after: null, upTo: null })).toEqual({ rows: 3, sum: 4294967305n, unknown: 1 });
      expect(side.aggregate({ after: [1], upTo: [BIG] })).toEqual({ rows: 2, sum: 4294967295n, unknown: 1 });
      expect(side.keyAt({ after: [1], upTo: null }, 1)).toEqual([BIG]);
      expect(side.entries({ after: null, upTo: null })).toEqual([
        { key: [1], hash: 10 },
        { key: [2], hash: null },
        { key: [BIG], hash: 4294967295 },
      ]);
      expect(side.lookup([[BIG], [3], [1]])).toEqual([
        { key: [1], hash: 10 },
        { key: [BIG], hash: 4294967295 },
      ]);
      expect(side.rows([[BIG], [2]])).toEqual([
        [2, "b", null],
        [BIG, "c", 4294967295],
      ]);
      expect(side.count()).toBe(3);
    });
  });

  it("treats every hash as unknown in a replica without the hash column", async () => {
    await inFreshObject((sql) => {
      sql.exec(`CREATE TABLE r (id INTEGER PRIMARY KEY, note TEXT)`);
      sql.exec(`INSERT INTO r VALUES (1, 'a'), (2, 'b')`);
      const side = replicaSide(sql, {
        table: "r",
        columns: [column("id", "INTEGER")],
        key: [column("id", "INTEGER")],
        hasHash: false,
      });
      expect(side.aggregate({ after: null, upTo: null })).toEqual({ rows: 2, sum: 0n, unknown: 2 });
      expect(side.entries({ after: [1], upTo: null })).toEqual([{ key: [2], hash: null }]);
    });
  });

  it("ranges and looks up composite text and blob keys byte for byte", async () => {
    await inFreshObject((sql) => {
      sql.exec(
        `CREATE TABLE r (region TEXT, code BLOB, v TEXT, _starbase_row_hash INTEGER, PRIMARY KEY (region, code))`,
      );
      const blob = (...b: number[]) => new Uint8Array(b).buffer;
      for (const [region, code] of [
        ["B", [1]],
        ["_", [0]],
        ["a", [0, 1]],
        ["a", [2]],
      ] as const) {
        sql.exec(`INSERT INTO r VALUES (?, ?, 'v', 1)`, region, blob(...code));
      }
      const key = [column("region", "TEXT"), column("code", "BLOB")];
      const side = replicaSide(sql, { table: "r", columns: [...key, column("v", "TEXT")], key, hasHash: true });
      // Binary order: "B" (0x42) < "_" (0x5f) < "a" (0x61).
      const keys = side
        .entries({ after: null, upTo: null })
        .map((e) => [e.key[0], [...new Uint8Array(e.key[1] as ArrayBuffer)]]);
      expect(keys).toEqual([
        ["B", [1]],
        ["_", [0]],
        ["a", [0, 1]],
        ["a", [2]],
      ]);
      expect(side.aggregate({ after: ["_", blob(0)], upTo: ["a", blob(0, 1)] }).rows).toBe(1);
      expect(
        side
          .lookup([
            ["a", blob(2)],
            ["A", blob(2)],
            ["a", blob(2, 0)],
          ])
          .map((e) => e.key[0]),
      ).toEqual(["a"]);

      const statement = deleteRangeSql(
        { table: "r", columns: key, key, hasHash: true },
        { after: ["B", blob(1)], upTo: null },
        2,
      );
      expect(sql.exec(statement.sql, ...statement.params).rowsWritten).toBe(2);
      expect(side.entries({ after: null, upTo: null }).map((e) => e.key[0])).toEqual(["B", "a"]);
    });
  });
});

describe("replica statements", () => {
  it("refuse a key too wide for a range to stay within 100 bound parameters", () => {
    const key = Array.from({ length: 51 }, (_, i) => column(`k${i}`, "INTEGER"));
    const t: ReplicaTable = { table: "r", columns: key, key, hasHash: true };
    expect(() => aggregateSql(t, { after: key.map(() => 1), upTo: null })).toThrow(/51 columns is too wide to verify/);
    expect(aggregateSql({ ...t, key: key.slice(0, 50) }, { after: null, upTo: null }).params).toEqual([]);
  });
});
