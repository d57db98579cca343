/**
 * Soft deletes: a source column whose non-NULL (timestamp), true (boolean) or
 * non-zero (integer) value marks a row as deleted. Runs remove such rows from
 * the replica; verification counts only live rows at the source. Pure.
 */
import { ValidationError } from "../../../src/errors";
import type { Dialect, SqlDialect, TableInfo } from "../../../src/sources/types";

export type SoftDeleteKind = "timestamp" | "boolean" | "integer";

export interface SoftDelete {
  column: string;
  kind: SoftDeleteKind;
}

const TIMESTAMP = /^(timestamp|datetime|date)\b/i;
const BOOLEAN = /^(boolean|bool)$/i;
const INTEGER = /^(smallint|integer|int|bigint|tinyint|mediumint|int2|int4|int8)\b/i;
/** MySQL's BIT(1) often serves as a flag; PostgreSQL's bit strings do not compare with 0. */
const MYSQL_BIT = /^bit\b/i;

/** The kind of a column type, or undefined when the type cannot mark a deletion. */
export function softDeleteKindOf(dialect: Dialect, sourceType: string): SoftDeleteKind | undefined {
  const type = sourceType.trim();
  if (TIMESTAMP.test(type)) return "timestamp";
  if (BOOLEAN.test(type)) return "boolean";
  if (INTEGER.test(type) || (dialect === "mysql" && MYSQL_BIT.test(type))) return "integer";
  return undefined;
}

/** Checks `soft_delete_col` against the source table; a ValidationError names what is wrong. */
export function planSoftDelete(
  dialect: Dialect,
  info: TableInfo,
  name: string,
  primaryKey: readonly string[],
): SoftDelete {
  const table = `${info.schema}.${info.name}`;
  const column =
    info.columns.find((c) => c.name === name) ?? info.columns.find((c) => c.name.toLowerCase() === name.toLowerCase());
  if (!column) throw new ValidationError(`soft_delete_col "${name}" is not a column of ${table}`);
  if (primaryKey.includes(column.name)) {
    throw new ValidationError(`soft_delete_col "${column.name}" is part of the primary key: choose another column`);
  }
  const kind = softDeleteKindOf(dialect, column.sourceType);
  if (!kind) {
    throw new ValidationError(
      `soft_delete_col "${column.name}" of ${table} is ${column.sourceType}: it must be a timestamp, boolean or integer column`,
    );
  }
  return { column: column.name, kind };
}

/** A condition true for rows that are not soft-deleted (NULL, false and 0 all mean live). */
export function liveRowSql(dialect: SqlDialect, softDelete: SoftDelete): string {
  const q = dialect.quoteIdentifier(softDelete.column);
  switch (softDelete.kind) {
    case "timestamp":
      return `${q} IS NULL`;
    case "boolean":
      return dialect.name === "postgresql" ? `${q} IS NOT TRUE` : `(${q} IS NULL OR ${q} = 0)`;
    case "integer":
      return `(${q} IS NULL OR ${q} = 0)`;
  }
}

/** A selected value: 1 for a soft-deleted row, 0 for a live one. */
export function deletedFlagSql(dialect: SqlDialect, softDelete: SoftDelete): string {
  return `CASE WHEN ${liveRowSql(dialect, softDelete)} THEN 0 ELSE 1 END`;
}

/** A job's soft delete from its stored settings, or null when it has none. */
export function softDeleteOf(settings: {
  soft_delete_col?: string | null;
  soft_delete_kind?: SoftDeleteKind | null;
}): SoftDelete | null {
  const column = settings.soft_delete_col;
  const kind = settings.soft_delete_kind;
  return column && kind ? { column, kind } : null;
}

/**
 * Splits a page read with a trailing deleted flag (deletedFlagSql): live rows
 * without the flag, to upsert, and the keys of soft-deleted rows, to delete.
 */
export function splitSoftDeleted<T>(
  rows: readonly T[][],
  flagIndex: number,
  keyIndexes: readonly number[],
): { live: T[][]; deletedKeys: T[][] } {
  const live: T[][] = [];
  const deletedKeys: T[][] = [];
  for (const row of rows) {
    if (Number(row[flagIndex]) === 1) deletedKeys.push(keyIndexes.map((i) => row[i]!));
    else live.push(row.slice(0, flagIndex));
  }
  return { live, deletedKeys };
}
