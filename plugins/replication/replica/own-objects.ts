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
  /** The table or view it is on (a view's own name for a view). */
  table: string;
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
    .exec<{ type: OwnObject["type"]; name: string; table: string; sql: string }>(
      `SELECT type, name, tbl_name AS "table", sql FROM sqlite_schema
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
 * not be, or that no longer work (what they name is gone), dropping the latter again. Inside the
 * caller's transaction.
 */
export function withOwnObjectsSetAside(sql: SqlStorage, objects: readonly OwnObject[], ddl: () => void): OwnObject[] {
  // An object already broken (a view naming a table dropped before, a trigger naming a column
  // dropped before) is made again as it was: not ours to judge. Each is judged with all the others there.
  const brokenBefore = new Set<string>();
  for (const object of objects) {
    const broken =
      object.type === "view"
        ? !readable(sql, object.name)
        : object.type === "trigger" && breaksFiring(sql, object.table, () => dropObject(sql, object), { drops: true });
    if (object.type === "trigger") sql.exec(object.sql);
    if (broken) brokenBefore.add(object.name);
  }
  for (const object of [...objects].reverse()) dropObject(sql, object);
  ddl();
  const lost: OwnObject[] = [];
  for (const object of objects) {
    const create = () => sql.exec(object.sql);
    let broken: boolean;
    try {
      if (object.type === "trigger") broken = breaksFiring(sql, object.table, create, { drops: false });
      else {
        create();
        broken = object.type === "view" && !readable(sql, object.name);
      }
    } catch {
      lost.push(object);
      continue;
    }
    if (broken && !brokenBefore.has(object.name)) {
      dropObject(sql, object);
      lost.push(object);
    }
  }
  return lost;
}

/**
 * SQLite makes a view whose columns are gone, and a trigger whose body names them, and fails only
 * when the view is read or the trigger fires (`no such column: new.b`, naming neither). A trigger
 * is compiled into each statement that fires it, so preparing those statements (EXPLAIN runs
 * nothing) tells whether it works: whether some statement on `table` that prepares without it
 * fails with it. `change` creates the trigger, or drops it (`drops`).
 */
function breaksFiring(sql: SqlStorage, table: string, change: () => void, { drops }: { drops: boolean }): boolean {
  const statements = firingStatements(sql, table);
  const before = statements.map((statement) => prepares(sql, statement));
  change();
  const after = statements.map((statement) => prepares(sql, statement));
  const [without, withIt] = drops ? [after, before] : [before, after];
  return statements.some((_s, i) => without[i] && !withIt[i]);
}

/** An INSERT, an UPDATE of every column and a DELETE on `table`: between them they fire each of its triggers. */
function firingStatements(sql: SqlStorage, table: string): string[] {
  const columns = sql
    .exec<{ name: string }>("SELECT name FROM pragma_table_info(?)", table)
    .toArray()
    .map((c) => quoteSqlite(c.name));
  const target = quoteSqlite(table);
  return [
    `INSERT INTO ${target} DEFAULT VALUES`,
    ...(columns.length ? [`UPDATE ${target} SET ${columns.map((c) => `${c} = ${c}`).join(", ")}`] : []),
    `DELETE FROM ${target}`,
  ];
}

function dropObject(sql: SqlStorage, object: OwnObject): void {
  sql.exec(`DROP ${object.type.toUpperCase()} IF EXISTS ${quoteSqlite(object.name)}`);
}

function prepares(sql: SqlStorage, statement: string): boolean {
  try {
    sql.exec(`EXPLAIN ${statement}`).toArray();
    return true;
  } catch {
    return false;
  }
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
