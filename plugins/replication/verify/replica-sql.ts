/**
 * The statements verification runs on the replica in the Durable Object's
 * SQLite. Key ranges are row-value comparisons, which SQLite answers from the
 * primary key's index; integers beyond 2^53 are read as decimal text, as the
 * source layer hands them over, so keys and values compare exactly. At most
 * 2 x (key columns) bound parameters per statement. Pure.
 */
import { ValidationError } from "../../../src/errors";
import { MAX_BOUND_PARAMETERS } from "../../../src/limits";
import type { SourceColumn, SqliteValue } from "../../../src/sources/types";
import { keyInJsonSql } from "../replica/keys";
import { ROW_HASH_COLUMN } from "../replica/row-hash";
import { quoteSqlite } from "../replica/table";
import type { KeyRange } from "./types";

export interface ReplicaTable {
  table: string;
  columns: readonly SourceColumn[];
  key: readonly SourceColumn[];
  /** False for a replica created before the hash column, not yet run since: every hash is then unknown. */
  hasHash: boolean;
}

export interface SqliteStatement {
  sql: string;
  params: SqliteValue[];
}

/** A column as the source layer would hand it over: an INTEGER beyond 2^53 as decimal text. */
export function readAsSource(column: SourceColumn): string {
  const q = quoteSqlite(column.name);
  if (column.sqliteType !== "INTEGER") return q;
  return `CASE WHEN typeof(${q}) = 'integer' AND ${q} NOT BETWEEN -9007199254740991 AND 9007199254740991 THEN CAST(${q} AS TEXT) ELSE ${q} END`;
}

const hashOf = (t: ReplicaTable) => (t.hasHash ? quoteSqlite(ROW_HASH_COLUMN) : "NULL");
const keyNames = (t: ReplicaTable) => t.key.map((c) => quoteSqlite(c.name)).join(", ");
const keyRead = (t: ReplicaTable) => t.key.map(readAsSource).join(", ");

/** count, hash sum as text, and rows with an unknown hash. */
export function aggregateSql(t: ReplicaTable, range: KeyRange): SqliteStatement {
  const hash = hashOf(t);
  return select(t, `count(*), CAST(coalesce(sum(${hash}), 0) AS TEXT), count(*) - count(${hash})`, range, {});
}

export function keyAtSql(t: ReplicaTable, range: KeyRange, offset: number): SqliteStatement {
  return select(t, keyRead(t), range, { order: true, limit: 1, offset });
}

export function entriesSql(t: ReplicaTable, range: KeyRange, limit?: number): SqliteStatement {
  return select(t, `${keyRead(t)}, ${hashOf(t)}`, range, { order: true, limit });
}

/** Keys and hashes of the rows whose key is in the bound JSON array of keys. */
export function lookupSql(t: ReplicaTable): string {
  return `SELECT ${keyRead(t)}, ${hashOf(t)} FROM ${quoteSqlite(t.table)} WHERE ${keyInJsonSql(t.key)}`;
}

/**
 * The copied columns and the stored hash of the rows whose key is in the bound JSON array of keys;
 * a replica without the hash column (at the column limit, which also bounds a result) has no hash.
 */
export function rowsSql(t: ReplicaTable): string {
  const hash = t.hasHash ? `, ${quoteSqlite(ROW_HASH_COLUMN)}` : "";
  return `SELECT ${t.columns.map(readAsSource).join(", ")}${hash} FROM ${quoteSqlite(t.table)} WHERE ${keyInJsonSql(t.key)}`;
}

export function countSql(t: ReplicaTable): string {
  return `SELECT count(*) FROM ${quoteSqlite(t.table)}`;
}

/** Deletes the first `limit` rows of a range (a repair deletes a large range in several transactions). */
export function deleteRangeSql(t: ReplicaTable, range: KeyRange, limit: number): SqliteStatement {
  const inner = select(t, keyNames(t), range, { order: true, limit });
  const left = t.key.length === 1 ? keyNames(t) : `(${keyNames(t)})`;
  return { sql: `DELETE FROM ${quoteSqlite(t.table)} WHERE ${left} IN (${inner.sql})`, params: inner.params };
}

function select(
  t: ReplicaTable,
  what: string,
  range: KeyRange,
  options: { order?: boolean; limit?: number; offset?: number },
): SqliteStatement {
  if (t.key.length * 2 > MAX_BOUND_PARAMETERS) {
    throw new ValidationError(
      `a primary key of ${t.key.length} columns is too wide to verify: a key range would bind more than ${MAX_BOUND_PARAMETERS} parameters`,
    );
  }
  const params: SqliteValue[] = [];
  const tuple = t.key.length === 1 ? keyNames(t) : `(${keyNames(t)})`;
  const marks = t.key.length === 1 ? "?" : `(${t.key.map(() => "?").join(", ")})`;
  const conditions: string[] = [];
  if (range.after) {
    conditions.push(`${tuple} > ${marks}`);
    params.push(...range.after);
  }
  if (range.upTo) {
    conditions.push(`${tuple} <= ${marks}`);
    params.push(...range.upTo);
  }
  let sql = `SELECT ${what} FROM ${quoteSqlite(t.table)}`;
  if (conditions.length) sql += ` WHERE ${conditions.join(" AND ")}`;
  if (options.order) sql += ` ORDER BY ${keyNames(t)}`;
  if (options.limit !== undefined || options.offset) sql += ` LIMIT ${Math.max(1, Math.floor(options.limit ?? 1))}`;
  if (options.offset) sql += ` OFFSET ${Math.max(0, Math.floor(options.offset))}`;
  return { sql, params };
}
