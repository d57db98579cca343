/** Pure checks on introspected tables, shared by both connectors. */
import { ValidationError } from "../errors";

/** True when one of `indexes` (each a list of key columns in order) starts with `columns`. */
export function someIndexStartsWith(indexes: ReadonlyArray<readonly string[]>, columns: readonly string[]): boolean {
  if (columns.length === 0) return false;
  return indexes.some((keys) => columns.every((column, i) => keys[i] === column));
}

/** Rows of (index name, key column) in key order -> key column lists per index. */
export function groupIndexColumns(rows: ReadonlyArray<readonly [string, string | null]>): string[][] {
  const byIndex = new Map<string, string[]>();
  for (const [index, column] of rows) {
    const keys = byIndex.get(index) ?? [];
    // An expression key (no column name) ends the usable prefix: mark it with an impossible name.
    keys.push(column ?? "\0expression");
    byIndex.set(index, keys);
  }
  return [...byIndex.values()];
}

/** The source has no such table (never had, or dropped or renamed since). */
export class TableNotFoundError extends ValidationError {}

export function tableNotFound(schema: string, table: string): ValidationError {
  return new TableNotFoundError(`table ${schema}.${table} not found`);
}
