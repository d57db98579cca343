import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { lostIndexWarning, replicaIndexes, withIndexesSetAside } from "./indexes";

function inDatabase(test: (sql: SqlStorage) => void): Promise<void> {
  const stub = env.DATABASE_DURABLE_OBJECT.get(env.DATABASE_DURABLE_OBJECT.idFromName(`indexes-${Math.random()}`));
  return runInDurableObject(stub, (_i, state) => test(state.storage.sql));
}

const names = (indexes: ReadonlyArray<{ name: string }>) => indexes.map((i) => i.name);

describe("replicaIndexes", () => {
  it("lists the indexes made by statements, not those of constraints, and those that may use given columns", () =>
    inDatabase((sql) => {
      sql.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT, c TEXT, code TEXT UNIQUE)");
      sql.exec("CREATE INDEX t_a ON t (a)");
      sql.exec("CREATE INDEX t_ab ON t (a, b)");
      sql.exec("CREATE INDEX t_lower_c ON t (lower(c))");
      sql.exec("CREATE INDEX t_a_where ON t (a) WHERE c IS NOT NULL");
      sql.exec("CREATE TABLE u (id INTEGER PRIMARY KEY, b TEXT)");
      sql.exec("CREATE INDEX u_b ON u (b)");
      expect(names(replicaIndexes(sql, "t"))).toEqual(["t_a", "t_a_where", "t_ab", "t_lower_c"]);
      // Expressions and WHERE clauses count as naming every column.
      expect(names(replicaIndexes(sql, "t", ["b"]))).toEqual(["t_a_where", "t_ab", "t_lower_c"]);
      expect(names(replicaIndexes(sql, "t", ["code"]))).toEqual(["t_a_where", "t_lower_c"]);
    }));
});

describe("withIndexesSetAside", () => {
  it("lets a named column be dropped and added back, makes the indexes again, and answers those it cannot", () =>
    inDatabase((sql) => {
      sql.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT)");
      sql.exec("INSERT INTO t VALUES (1, 'x', 'y')");
      sql.exec("CREATE INDEX t_a ON t (a)");
      sql.exec("CREATE UNIQUE INDEX t_b ON t (b)");
      expect(() => sql.exec("ALTER TABLE t DROP COLUMN a")).toThrow(/error in index t_a/);
      const lost = withIndexesSetAside(sql, replicaIndexes(sql, "t", ["a", "b"]), () => {
        sql.exec("ALTER TABLE t DROP COLUMN a");
        sql.exec("ALTER TABLE t ADD COLUMN a REAL");
        sql.exec("ALTER TABLE t DROP COLUMN b");
      });
      expect(names(lost)).toEqual(["t_b"]);
      expect(names(replicaIndexes(sql, "t"))).toEqual(["t_a"]);
      expect(lostIndexWarning("t", lost)).toBe(
        'index "t_b" on the replica t named a column the replica no longer has, and was dropped with it: ' +
          "CREATE UNIQUE INDEX t_b ON t (b)",
      );
    }));
});
