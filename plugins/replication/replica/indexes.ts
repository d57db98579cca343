/**
 * Indexes an admin made on a replica (through /query) are the replica's readers' own: the
 * plugin's DDL keeps them. SQLite refuses to drop a column an index names ("error in index ...
 * after drop column"), which failed every run of a job whose source retyped or dropped such a
 * column; and a replica replaced by a new copy (change capture's snapshot) lost them all.
 * The indexes in question are set aside (their `CREATE INDEX` text kept), the DDL runs, and each
 * is created again where the columns it names still exist.
 */
import { quoteSqlite } from "./table";

/** An index of the replica with the statement that made it. */
export interface ReplicaIndex {
  name: string;
  sql: string;
}

/**
 * The indexes on `table` made by a statement (not those of its PRIMARY KEY or UNIQUE
 * constraints), restricted to those that name one of `columns`, when given. An index on an
 * expression or with a WHERE clause counts as naming every column: which ones it uses is not
 * read here.
 */
export function replicaIndexes(sql: SqlStorage, table: string, columns?: readonly string[]): ReplicaIndex[] {
  const indexes = sql
    .exec<{ name: string; sql: string; partial: number }>(
      `SELECT s.name, s.sql, l.partial FROM sqlite_schema AS s JOIN pragma_index_list(?) AS l ON l.name = s.name
        WHERE s.type = 'index' AND s.tbl_name = ? AND s.sql IS NOT NULL ORDER BY s.name`,
      table,
      table,
    )
    .toArray();
  if (!columns) return indexes.map(({ name, sql }) => ({ name, sql }));
  const wanted = new Set(columns);
  return indexes
    .filter((index) => {
      if (index.partial) return true;
      const named = sql
        .exec<{ name: string | null }>(`SELECT name FROM pragma_index_xinfo(?) WHERE key = 1`, index.name)
        .toArray();
      return named.some((c) => c.name === null || wanted.has(c.name));
    })
    .map(({ name, sql }) => ({ name, sql }));
}

/**
 * Runs `ddl` with `indexes` dropped, then creates each again; answers those that could not be
 * (a column they name is gone). Inside the caller's transaction.
 */
export function withIndexesSetAside(
  sql: SqlStorage,
  indexes: readonly ReplicaIndex[],
  ddl: () => void,
): ReplicaIndex[] {
  for (const index of indexes) sql.exec(`DROP INDEX IF EXISTS ${quoteSqlite(index.name)}`);
  ddl();
  const lost: ReplicaIndex[] = [];
  for (const index of indexes) {
    try {
      sql.exec(index.sql);
    } catch {
      lost.push(index);
    }
  }
  return lost;
}

/** The job's warning for indexes that could not be made again. */
export function lostIndexWarning(table: string, lost: readonly ReplicaIndex[]): string {
  const names = lost.map((index) => `"${index.name}"`).join(", ");
  return (
    `index${lost.length > 1 ? "es" : ""} ${names} on the replica ${table} named a column the replica no longer has, ` +
    `and ${lost.length > 1 ? "were" : "was"} dropped with it: ${lost.map((index) => index.sql).join("; ")}`
  );
}
