import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { lostObjectsWarning, ownObjects, withOwnObjectsSetAside } from "./own-objects";

function inDatabase(test: (sql: SqlStorage) => void): Promise<void> {
  const stub = env.DATABASE_DURABLE_OBJECT.get(env.DATABASE_DURABLE_OBJECT.idFromName(`own-${Math.random()}`));
  return runInDurableObject(stub, (_i, state) => test(state.storage.sql));
}

const names = (objects: ReadonlyArray<{ name: string }>) => objects.map((o) => o.name);

describe("ownObjects", () => {
  it("lists the table's indexes made by statements (those that may name given columns), and every view and trigger", () =>
    inDatabase((sql) => {
      sql.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT, c TEXT, code TEXT UNIQUE)");
      sql.exec("CREATE INDEX t_a ON t (a)");
      sql.exec("CREATE INDEX t_ab ON t (a, b)");
      sql.exec("CREATE INDEX t_lower_c ON t (lower(c))");
      sql.exec("CREATE INDEX t_a_where ON t (a) WHERE c IS NOT NULL");
      sql.exec("CREATE TABLE u (id INTEGER PRIMARY KEY, b TEXT)");
      sql.exec("CREATE INDEX u_b ON u (b)");
      sql.exec("CREATE VIEW u_view AS SELECT b FROM u");
      sql.exec("CREATE TRIGGER u_trigger AFTER INSERT ON u BEGIN SELECT 1; END");
      expect(names(ownObjects(sql, "t"))).toEqual(["t_a", "t_ab", "t_lower_c", "t_a_where", "u_view", "u_trigger"]);
      // Expressions and WHERE clauses count as naming every column.
      expect(names(ownObjects(sql, "t", ["b"]))).toEqual(["t_ab", "t_lower_c", "t_a_where", "u_view", "u_trigger"]);
      expect(names(ownObjects(sql, "t", ["code"]))).toEqual(["t_lower_c", "t_a_where", "u_view", "u_trigger"]);
    }));
});

describe("withOwnObjectsSetAside", () => {
  it("lets a named column be dropped and added back, makes the objects again, and answers those it cannot", () =>
    inDatabase((sql) => {
      sql.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT)");
      sql.exec("INSERT INTO t VALUES (1, 'x', 'y')");
      sql.exec("CREATE INDEX t_a ON t (a)");
      sql.exec("CREATE UNIQUE INDEX t_b ON t (b)");
      sql.exec("CREATE VIEW t_view AS SELECT id, a FROM t");
      sql.exec("CREATE VIEW t_view_b AS SELECT b FROM t");
      expect(() => sql.exec("ALTER TABLE t DROP COLUMN a")).toThrow(/error in index t_a/);
      const lost = withOwnObjectsSetAside(sql, ownObjects(sql, "t", ["a", "b"]), () => {
        sql.exec("ALTER TABLE t DROP COLUMN a");
        sql.exec("ALTER TABLE t ADD COLUMN a REAL");
        sql.exec("ALTER TABLE t DROP COLUMN b");
      });
      expect(names(lost)).toEqual(["t_b", "t_view_b"]);
      expect(names(ownObjects(sql, "t"))).toEqual(["t_a", "t_view"]);
      expect(sql.exec("SELECT id, a FROM t_view").toArray()).toEqual([{ id: 1, a: null }]);
      expect(lostObjectsWarning("t", lost)).toBe(
        'index "t_b", view "t_view_b" named what the replica t no longer has, and were dropped: ' +
          "CREATE UNIQUE INDEX t_b ON t (b); CREATE VIEW t_view_b AS SELECT b FROM t",
      );
    }));

  it("makes a view broken before again as it was", () =>
    inDatabase((sql) => {
      sql.exec("CREATE TABLE gone (a TEXT)");
      sql.exec("CREATE VIEW gone_view AS SELECT a FROM gone");
      sql.exec("DROP TABLE gone");
      sql.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT)");
      sql.exec("CREATE TABLE t_new (id INTEGER PRIMARY KEY, a TEXT)");
      expect(() => sql.exec("ALTER TABLE t_new RENAME TO t2")).toThrow(/error in view gone_view/);
      const lost = withOwnObjectsSetAside(sql, ownObjects(sql, "t"), () => {
        sql.exec("DROP TABLE t");
        sql.exec("ALTER TABLE t_new RENAME TO t");
      });
      expect(lost).toEqual([]);
      expect(names(ownObjects(sql, "t"))).toEqual(["gone_view"]);
    }));

  it("drops a trigger whose body names a dropped column, so that writes to its table still work", () =>
    inDatabase((sql) => {
      sql.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT)");
      sql.exec("CREATE TABLE log (x TEXT)");
      sql.exec("CREATE TABLE u (x TEXT)");
      sql.exec("CREATE VIEW t_view AS SELECT id, a FROM t");
      const triggers = {
        t_insert_b: "CREATE TRIGGER t_insert_b AFTER INSERT ON t BEGIN INSERT INTO log VALUES (new.b); END",
        t_update_a: "CREATE TRIGGER t_update_a AFTER UPDATE OF a ON t BEGIN INSERT INTO log VALUES (new.a); END",
        u_sets_b: "CREATE TRIGGER u_sets_b AFTER INSERT ON u BEGIN UPDATE t SET b = new.x; END",
        view_insert:
          "CREATE TRIGGER view_insert INSTEAD OF INSERT ON t_view BEGIN INSERT INTO t (id, a) VALUES (new.id, new.a); END",
      };
      for (const statement of Object.values(triggers)) sql.exec(statement);
      const lost = withOwnObjectsSetAside(sql, ownObjects(sql, "t", ["b"]), () =>
        sql.exec("ALTER TABLE t DROP COLUMN b"),
      );
      expect(names(lost)).toEqual(["t_insert_b", "u_sets_b"]);
      expect(names(ownObjects(sql, "t"))).toEqual(["t_view", "t_update_a", "view_insert"]);
      // What a job writes to its replica still works, and so do the triggers that were kept.
      sql.exec("INSERT INTO t VALUES (1, 'x')");
      sql.exec("UPDATE t SET a = 'y'");
      sql.exec("INSERT INTO t_view VALUES (2, 'z')");
      sql.exec("INSERT INTO u VALUES ('w')");
      expect(sql.exec("SELECT x FROM log").toArray()).toEqual([{ x: "y" }]);
      expect(sql.exec("SELECT id, a FROM t ORDER BY id").toArray()).toEqual([
        { id: 1, a: "y" },
        { id: 2, a: "z" },
      ]);
      expect(lostObjectsWarning("t", lost)).toBe(
        'trigger "t_insert_b", trigger "u_sets_b" named what the replica t no longer has, and were dropped: ' +
          `${triggers.t_insert_b}; ${triggers.u_sets_b}`,
      );
    }));

  it("makes a trigger broken before again as it was", () =>
    inDatabase((sql) => {
      sql.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT)");
      sql.exec("CREATE TABLE u (x TEXT)");
      sql.exec("CREATE TRIGGER u_broken AFTER INSERT ON u BEGIN INSERT INTO gone VALUES (new.x); END");
      sql.exec("CREATE TRIGGER t_fine AFTER DELETE ON t BEGIN DELETE FROM u; END");
      const lost = withOwnObjectsSetAside(sql, ownObjects(sql, "t", ["a"]), () =>
        sql.exec("ALTER TABLE t DROP COLUMN a"),
      );
      expect(lost).toEqual([]);
      expect(names(ownObjects(sql, "t"))).toEqual(["u_broken", "t_fine"]);
    }));

  it("lets a table be replaced while a view names it", () =>
    inDatabase((sql) => {
      sql.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT)");
      sql.exec("CREATE INDEX t_a ON t (a)");
      sql.exec("CREATE VIEW t_view AS SELECT a FROM t");
      sql.exec("CREATE TABLE t_new (id INTEGER PRIMARY KEY, a TEXT)");
      sql.exec("INSERT INTO t_new VALUES (1, 'new')");
      const replace = () => {
        sql.exec("DROP TABLE t");
        sql.exec("ALTER TABLE t_new RENAME TO t");
      };
      const lost = withOwnObjectsSetAside(sql, ownObjects(sql, "t"), replace);
      expect(lost).toEqual([]);
      expect(names(ownObjects(sql, "t"))).toEqual(["t_a", "t_view"]);
      expect(sql.exec("SELECT a FROM t_view").toArray()).toEqual([{ a: "new" }]);
    }));
});
