import { ValidationError } from "../../../src/errors";
import type { SourceColumn, TableInfo } from "../../../src/sources/types";
import type { TrackingType } from "../pull/cursor";

export interface JobColumnsRequest {
  table_name: string;
  columns?: string[];
  /** Absent (or null) in mode cdc, which needs no tracking column. */
  tracking_col?: string | null;
  tracking_type?: TrackingType | null;
  primary_key?: string | string[];
}

export interface JobColumnsPlan {
  columns: SourceColumn[];
  primaryKey: string[];
  /** The tracking column's name as the source spells it; null without one (mode cdc). */
  trackingCol: string | null;
  warnings: string[];
}

const TIMESTAMP_TYPES = /\b(timestamp|datetime|date)\b/i;
const ID_TYPES =
  /\b(smallint|integer|int|bigint|tinyint|mediumint|serial|bigserial|smallserial|numeric|decimal|int[248])\b/i;

/**
 * Decides which source columns a job replicates and checks the tracking column
 * and key against the source's table. Every problem is a ValidationError naming it.
 */
export function planJobColumns(info: TableInfo, request: JobColumnsRequest): JobColumnsPlan {
  const table = `${info.schema}.${info.name}`;
  const find = (name: string) =>
    info.columns.find((c) => c.name === name) ?? info.columns.find((c) => c.name.toLowerCase() === name.toLowerCase());
  const require = (name: string, what: string) => {
    const column = find(name);
    if (!column) throw new ValidationError(`${what} "${name}" is not a column of ${table}`);
    return column;
  };

  const givenKey = request.primary_key === undefined ? undefined : [request.primary_key].flat();
  const primaryKey = (givenKey ?? info.primaryKey).map((k) => require(k, "primary_key").name);
  if (primaryKey.length === 0) {
    throw new ValidationError(`${table} has no primary key: give primary_key, columns whose values are unique`);
  }
  const tracking = request.tracking_col == null ? null : require(request.tracking_col, "tracking_col");
  if (tracking) checkTrackingType(tracking, request.tracking_type ?? "timestamp", table);

  let columns: SourceColumn[];
  if (request.columns) {
    columns = request.columns.map((name) => require(name, "columns[]"));
    const chosen = new Set(columns.map((c) => c.name));
    const missing = [...(tracking ? [tracking.name] : []), ...primaryKey].filter((name) => !chosen.has(name));
    if (missing.length) {
      const what = tracking ? "the tracking and key columns" : "the key columns";
      throw new ValidationError(`columns must include ${what}; missing: ${missing.join(", ")}`);
    }
  } else {
    columns = info.columns;
  }

  const warnings: string[] = [];
  if (tracking?.nullable) {
    warnings.push(
      `tracking_col "${tracking.name}" is nullable: rows whose ${tracking.name} is NULL are not replicated`,
    );
  }
  return { columns, primaryKey, trackingCol: tracking?.name ?? null, warnings };
}

function checkTrackingType(column: SourceColumn, type: TrackingType, table: string): void {
  const ok = type === "timestamp" ? TIMESTAMP_TYPES.test(column.sourceType) : ID_TYPES.test(column.sourceType);
  if (!ok) {
    const expected = type === "timestamp" ? "a date or timestamp type" : "an integer type";
    throw new ValidationError(
      `tracking_col "${column.name}" of ${table} is ${column.sourceType}; tracking_type "${type}" needs ${expected}`,
    );
  }
}

/**
 * Problems that stop a job's replica from taking rows from a changed source:
 * a replicated column now mapping to another SQLite type.
 */
export function columnTypeChanges(before: readonly SourceColumn[], after: readonly SourceColumn[]): string[] {
  return before.flatMap((old, i) => {
    const now = after[i];
    return now && now.sqliteType !== old.sqliteType
      ? [`column "${old.name}" is now ${now.sourceType} (${now.sqliteType}), was ${old.sourceType} (${old.sqliteType})`]
      : [];
  });
}

export function missingIndexWarning(table: string, tracking: string, key: readonly string[]): string {
  return (
    `no index on ${table} starts with ${tracking}: every run scans the whole table. ` +
    `Create one, e.g. CREATE INDEX ON ${table} (${[tracking, ...key].join(", ")})`
  );
}
