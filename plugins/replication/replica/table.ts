/** The replica table in the Durable Object's SQLite: its definition, and whether an existing table fits a job. */
import { AppError, ValidationError } from "../../../src/errors";
import { sqliteMessage } from "../../../src/query/sqlite-message";
import type { SourceColumn, SqliteType } from "../../../src/sources/types";
import type { Job } from "../engine/model";
import { perDatabase } from "../engine/per-database";

export function quoteSqlite(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** `CREATE TABLE` for a replica: source columns with mapped types, the source key as PRIMARY KEY. */
export function createTableSql(table: string, columns: readonly SourceColumn[], key: readonly string[]): string {
  const defs = columns.map((c) => `${quoteSqlite(c.name)} ${c.sqliteType}`);
  defs.push(`PRIMARY KEY (${key.map(quoteSqlite).join(", ")})`);
  return `CREATE TABLE IF NOT EXISTS ${quoteSqlite(table)} (${defs.join(", ")})`;
}

export interface ExistingColumn {
  name: string;
  type: string;
  /** 1-based position in the primary key, 0 when not part of it (PRAGMA table_info's `pk`). */
  pk: number;
}

/**
 * Problems that stop an existing table from serving as this job's replica:
 * a missing column, a column whose type has another affinity, or another key.
 */
export function targetProblems(
  table: string,
  existing: readonly ExistingColumn[],
  columns: readonly SourceColumn[],
  key: readonly string[],
): string[] {
  const byName = new Map(existing.map((c) => [c.name.toLowerCase(), c]));
  const problems: string[] = [];
  for (const column of columns) {
    const found = byName.get(column.name.toLowerCase());
    if (!found) problems.push(`column "${column.name}" is missing`);
    else if (affinityOf(found.type) !== affinityOf(column.sqliteType)) {
      problems.push(`column "${column.name}" is ${found.type || "untyped"}, expected ${column.sqliteType}`);
    }
  }
  const existingKey = existing
    .filter((c) => c.pk > 0)
    .sort((a, b) => a.pk - b.pk)
    .map((c) => c.name.toLowerCase());
  if (existingKey.join(",") !== key.map((k) => k.toLowerCase()).join(",")) {
    problems.push(`primary key is (${existingKey.join(", ")}), expected (${key.join(", ")})`);
  }
  return problems.map((p) => `existing table "${table}": ${p}`);
}

/** SQLite's affinity rules (https://sqlite.org/datatype3.html, section 3.1). */
export function affinityOf(declared: string): SqliteType | "NUMERIC" {
  const t = declared.toUpperCase();
  if (t.includes("INT")) return "INTEGER";
  if (t.includes("CHAR") || t.includes("CLOB") || t.includes("TEXT")) return "TEXT";
  if (t === "" || t.includes("BLOB")) return "BLOB";
  if (t.includes("REAL") || t.includes("FLOA") || t.includes("DOUB")) return "REAL";
  return "NUMERIC";
}

export function readTableColumns(sql: SqlStorage, table: string): ExistingColumn[] {
  return sql
    .exec<{ name: string; type: string; pk: number }>(`SELECT name, type, pk FROM pragma_table_info(?)`, table)
    .toArray();
}

/** Creates the replica table on the first run; refuses an existing table that does not fit. */
export function ensureReplicaTable(sql: SqlStorage, job: Job): void {
  const { target_table: table, primary_key: key } = job.settings;
  const existing = readTableColumns(sql, table);
  if (existing.length === 0) {
    forgetRowCount(sql, table);
    writeToReplica(table, () => sql.exec(createTableSql(table, job.columns, key)));
    return;
  }
  const problems = targetProblems(table, existing, job.columns, key);
  if (problems.length) throw new ValidationError(problems.join("; "));
}

export function truncateReplica(sql: SqlStorage, table: string): void {
  if (readTableColumns(sql, table).length) writeToReplica(table, () => sql.exec(`DELETE FROM ${quoteSqlite(table)}`));
}

export function dropReplica(sql: SqlStorage, table: string): void {
  forgetRowCount(sql, table);
  writeToReplica(table, () => sql.exec(`DROP TABLE IF EXISTS ${quoteSqlite(table)}`));
}

/** Runs a write to the replica; SQLite's failure becomes an error that names the replica, not a bare 500. */
export function writeToReplica<T>(table: string, write: () => T): T {
  try {
    return write();
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError("internal", `writing the replica table ${table} failed: ${sqliteMessage(error)}`);
  }
}

/**
 * A replica's row count, as a job's view shows it (`replica_rows`). SQLite counts a table by
 * reading every page of it, about 35 ms per 1,000,000 bench rows with the object held meanwhile,
 * and the dashboard asks for every job's view every 5 s. So a count is kept, per database, with
 * SQLite's `total_changes()` and the table's root page at the time: while no row of any table has
 * been written since and the table is the same, it is still exact and a view scans nothing.
 * Dropping and creating a table writes no row, and a new table may get the old one's root page, so
 * the statements here that do (and the snapshot's swap) also forget their table's count.
 */
interface KeptRowCount {
  rows: number;
  /** `total_changes()` and the table's root page when the rows were counted. */
  changes: number;
  rootpage: number;
}

const keptRowCounts = perDatabase<KeptRowCount>();

/** The rows of `table`, or null when it does not exist; counted again only when a row was written since. */
export function replicaRowCount(sql: SqlStorage, table: string): number | null {
  const found = sql
    .exec<{ rootpage: number; changes: number }>(
      "SELECT rootpage, total_changes() AS changes FROM sqlite_schema WHERE type = 'table' AND name = ? COLLATE NOCASE",
      table,
    )
    .toArray()[0];
  if (!found) return null; // not created yet, or dropped
  const kept = keptRowCounts(sql).get(table);
  if (kept && kept.changes === found.changes && kept.rootpage === found.rootpage) return kept.rows;
  const rows = sql.exec<{ n: number }>(`SELECT count(*) AS n FROM ${quoteSqlite(table)}`).one().n;
  keptRowCounts(sql).set(table, { rows, changes: found.changes, rootpage: found.rootpage });
  return rows;
}

/** Forgets the kept count of `table`: for a statement that creates, drops or replaces it. */
export function forgetRowCount(sql: SqlStorage, table: string): void {
  keptRowCounts(sql).delete(table);
}
