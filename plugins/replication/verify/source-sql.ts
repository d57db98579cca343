/**
 * The statements verification sends to the source, per dialect. Each reads
 * one key range through the primary key's index (a leading bound on the first
 * key column, the exact tuple comparison spelled out) and counts only live
 * rows (soft deletes). Values are bound with the dialect's exact casts. Pure.
 */
import type { SourceColumn, SourceParam, SqlDialect } from "../../../src/sources/types";
import { type RowHashFormula, rowHashSql } from "../replica/row-hash";
import type { Key, KeyRange } from "./types";

export interface SourceTable {
  dialect: SqlDialect;
  schema?: string;
  table: string;
  /** The copied columns, in replica order: what the hash covers. */
  columns: readonly SourceColumn[];
  key: readonly SourceColumn[];
  /** A condition true for rows that are not soft-deleted; null without soft deletes. */
  live: string | null;
  /** The job's formula for row hashes. */
  rowHash: RowHashFormula;
}

export interface Statement {
  sql: string;
  params: SourceParam[];
}

/** `SELECT count, hash sum` of a range; the sum comes back as decimal text (it may pass 2^53). */
export function aggregateStatement(t: SourceTable, range: KeyRange): Statement {
  const hash = rowHashOf(t);
  const sum =
    t.dialect.name === "postgresql" ? `coalesce(sum(${hash}), 0)::text` : `CAST(COALESCE(SUM(${hash}), 0) AS CHAR)`;
  return select(t, `count(*), ${sum}`, range, {});
}

/** The key `offset` rows into the range (0: its first key). */
export function keyAtStatement(t: SourceTable, range: KeyRange, offset: number): Statement {
  return select(t, keyList(t), range, { order: true, limit: 1, offset });
}

/** Keys and hashes of a range in key order. */
export function entriesStatement(t: SourceTable, range: KeyRange, limit?: number): Statement {
  return select(t, `${keyList(t)}, ${rowHashOf(t)}`, range, { order: true, limit });
}

/** The copied columns and the hash of a range in key order: rows to write into the replica. */
export function rowsStatement(t: SourceTable, range: KeyRange, limit?: number): Statement {
  const columns = t.columns.map((c) => t.dialect.quoteIdentifier(c.name)).join(", ");
  return select(t, `${columns}, ${rowHashOf(t)}`, range, { order: true, limit });
}

/** Which of `keys` are live rows at the source: their keys as the source holds them. */
export function presentStatement(t: SourceTable, keys: readonly Key[]): Statement {
  const params: SourceParam[] = [];
  const bind = (column: SourceColumn, value: Key[number]) => {
    const bound = t.dialect.bindComparable(column, value);
    params.push(bound.param);
    return bound.sql;
  };
  const q = (c: SourceColumn) => t.dialect.quoteIdentifier(c.name);
  const [first] = t.key;
  const match =
    t.key.length === 1
      ? `${q(first!)} IN (${keys.map((key) => bind(first!, key[0] ?? null)).join(", ")})`
      : keys
          .map((key) => `(${t.key.map((c, i) => `${q(c)} = ${bind(c, key[i] ?? null)}`).join(" AND ")})`)
          .join(" OR ");
  const where = [`(${match})`, ...(t.live ? [t.live] : [])].join(" AND ");
  return { sql: `SELECT ${keyList(t)} FROM ${from(t)} WHERE ${where}`, params };
}

function select(
  t: SourceTable,
  what: string,
  range: KeyRange,
  options: { order?: boolean; limit?: number; offset?: number },
): Statement {
  const params: SourceParam[] = [];
  const conditions = [...rangeConditions(t, range, params), ...(t.live ? [t.live] : [])];
  let sql = `SELECT ${what} FROM ${from(t)}`;
  if (conditions.length) sql += ` WHERE ${conditions.join(" AND ")}`;
  if (options.order) sql += ` ORDER BY ${keyList(t)}`;
  if (options.limit !== undefined) sql += ` LIMIT ${Math.max(1, Math.floor(options.limit))}`;
  if (options.offset) sql += ` OFFSET ${Math.max(0, Math.floor(options.offset))}`;
  return { sql, params };
}

/** The job's row hash over the copied columns, as the pull stored it. */
function rowHashOf(t: SourceTable): string {
  return rowHashSql(
    t.dialect,
    t.columns.map((c) => c.name),
    t.rowHash,
  );
}

function from(t: SourceTable): string {
  return t.dialect.qualifiedTable(t.schema, t.table);
}

function keyList(t: SourceTable): string {
  return t.key.map((c) => t.dialect.quoteIdentifier(c.name)).join(", ");
}

/** `key > after` and `key <= upTo` in tuple order, each with a leading bound on the first column for the index. */
function rangeConditions(t: SourceTable, range: KeyRange, params: SourceParam[]): string[] {
  const q = (c: SourceColumn) => t.dialect.quoteIdentifier(c.name);
  const bind = (column: SourceColumn, value: Key[number]) => {
    const bound = t.dialect.bindComparable(column, value);
    params.push(bound.param);
    return bound.sql;
  };
  const compare = (columns: readonly SourceColumn[], values: Key, last: ">" | "<="): string => {
    const [column, ...rest] = columns;
    const value = values[0] ?? null;
    if (rest.length === 0) return `${q(column!)} ${last} ${bind(column!, value)}`;
    const strict = last === ">" ? ">" : "<";
    return `(${q(column!)} ${strict} ${bind(column!, value)} OR (${q(column!)} = ${bind(column!, value)} AND ${compare(rest, values.slice(1), last)}))`;
  };
  const conditions: string[] = [];
  for (const [values, op, lead] of [
    [range.after, ">", ">="],
    [range.upTo, "<=", "<="],
  ] as const) {
    if (!values) continue;
    if (t.key.length > 1) conditions.push(`${q(t.key[0]!)} ${lead} ${bind(t.key[0]!, values[0] ?? null)}`);
    conditions.push(compare(t.key, values, op));
  }
  return conditions;
}
