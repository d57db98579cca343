/**
 * Indexes, views and triggers an admin made (through /query) on or over a replica are its
 * readers' own: the plugin's DDL keeps them. SQLite refuses to drop a column an index or a view
 * names ("error in index ... after drop column"), and to rename a table into place while a view
 * names a table that is gone ("error in view ...: no such table"). So a job whose source retyped
 * or dropped such a column failed every run, and change capture could not swap in its new copy
 * after a reset or a lost slot (nor kept the table's indexes). The objects in question are set
 * aside (their CREATE statements kept), the DDL runs, and each is created again where what it
 * names still exists.
 */
import { quoteSqlite } from "./table";

/** An index, view or trigger with the statement that made it. */
export interface OwnObject {
  type: "index" | "view" | "trigger";
  name: string;
  sql: string;
}

/**
 * What SQLite checks when `table` is altered, dropped or replaced: the indexes on it made by a
 * statement (not those of its PRIMARY KEY or UNIQUE constraints), restricted, when `columns` is
 * given, to those that name one of them (one on an expression or with a WHERE clause counts as
 * naming every column); and every view and trigger of the database, since which tables and
 * columns their statements use is not read here. In the order they were made.
 */
export function ownObjects(sql: SqlStorage, table: string, columns?: readonly string[]): OwnObject[] {
  const objects = sql
    .exec<{ type: OwnObject["type"]; name: string; sql: string }>(
      `SELECT type, name, sql FROM sqlite_schema
        WHERE sql IS NOT NULL AND (type IN ('view', 'trigger') OR (type = 'index' AND tbl_name = ? COLLATE NOCASE))
        ORDER BY rowid`,
      table,
    )
    .toArray();
  if (!columns) return objects;
  const wanted = new Set(columns);
  return objects.filter((object) => object.type !== "index" || indexMayName(sql, table, object.name, wanted));
}

function indexMayName(sql: SqlStorage, table: string, index: string, columns: ReadonlySet<string>): boolean {
  const partial = sql
    .exec<{ partial: number }>(`SELECT partial FROM pragma_index_list(?) WHERE name = ?`, table, index)
    .toArray()[0];
  if (partial?.partial) return true;
  const named = sql
    .exec<{ name: string | null }>(`SELECT name FROM pragma_index_xinfo(?) WHERE key = 1`, index)
    .toArray();
  return named.some((c) => c.name === null || columns.has(c.name));
}

/**
 * Runs `ddl` with `objects` dropped, then creates each again in order; answers those that could
 * not be (what they name is gone). Inside the caller's transaction.
 */
export function withOwnObjectsSetAside(sql: SqlStorage, objects: readonly OwnObject[], ddl: () => void): OwnObject[] {
  // A view already broken (it names a table dropped before) is made again as it was: not ours to judge.
  const broken = new Set(objects.filter((o) => o.type === "view" && !readable(sql, o.name)).map((o) => o.name));
  for (const object of [...objects].reverse()) {
    sql.exec(`DROP ${object.type.toUpperCase()} IF EXISTS ${quoteSqlite(object.name)}`);
  }
  ddl();
  const lost: OwnObject[] = [];
  for (const object of objects) {
    try {
      sql.exec(object.sql);
    } catch {
      lost.push(object);
      continue;
    }
    // SQLite makes a view whose columns are gone and fails only when it is read: read it now.
    if (object.type === "view" && !broken.has(object.name) && !readable(sql, object.name)) {
      sql.exec(`DROP VIEW ${quoteSqlite(object.name)}`);
      lost.push(object);
    }
  }
  return lost;
}

/** The job's warning for what could not be made again. */
export function lostObjectsWarning(table: string, lost: readonly OwnObject[]): string {
  const names = lost.map((object) => `${object.type} "${object.name}"`).join(", ");
  return (
    `${names} named what the replica ${table} no longer has, and ${lost.length > 1 ? "were" : "was"} dropped: ` +
    lost.map((object) => object.sql).join("; ")
  );
}

function readable(sql: SqlStorage, view: string): boolean {
  try {
    sql.exec(`SELECT * FROM ${quoteSqlite(view)} LIMIT 0`).toArray();
    return true;
  } catch {
    return false;
  }
}
