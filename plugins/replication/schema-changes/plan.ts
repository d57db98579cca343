/**
 * Deciding what a job does about its source's columns, without I/O: compare the
 * columns it copies with the source's, and plan the replica's DDL, the job's
 * new column list, the re-copy and the warnings. Everything here is a pure
 * function of plain data; apply.ts carries the plan out.
 */
import { ValidationError } from "../../../src/errors";
import { MAX_TABLE_COLUMNS } from "../../../src/limits";
import type { Dialect, SourceColumn } from "../../../src/sources/types";
import type { ColumnSelection, OnColumnDrop } from "../engine/settings";
import { affinityOf, type ExistingColumn } from "../replica/table";
import type { Recopy, SchemaChange } from "./state";
import { keepsValues } from "./type-change";

/** A change to the replica table. `retype` drops the column and adds it back with another SQLite type. */
export type ReplicaChange =
  { op: "add"; column: SourceColumn } | { op: "drop"; name: string } | { op: "retype"; column: SourceColumn };

export interface ColumnCheck {
  dialect: Dialect;
  /** `schema.table`, for messages. */
  table: string;
  /** The job's columns now, in replica order. */
  columns: readonly SourceColumn[];
  /**
   * The columns the job should follow, in source order: every source column for
   * an "all" job; for a subset, the chosen ones the source still has.
   */
  source: readonly SourceColumn[];
  primaryKey: readonly string[];
  /** Null in mode cdc. */
  trackingCol: string | null;
  onDrop: OnColumnDrop;
  /** The replica table's columns; null when it does not exist yet (the first run creates it from `columns`). */
  replica: readonly ExistingColumn[] | null;
  /** Replica columns kept after the source dropped them. */
  kept: readonly string[];
}

export interface ColumnPlan {
  /** What changed at the source: recorded in run history. */
  changes: SchemaChange[];
  /** The job's new column list, in replica order (new columns at the end). */
  columns: SourceColumn[];
  replica: ReplicaChange[];
  /**
   * Columns whose values rows already copied must get again; `[]` when only the
   * column list changed (stored row hashes are stale); null when nothing needs copying.
   */
  recopy: string[] | null;
  kept: string[];
  /** Added columns left out because the replica would exceed the Durable Object's column limit. */
  overLimit: string[];
}

/**
 * Plans how the job follows `check.source`. Throws a ValidationError naming the
 * column when the job cannot go on: its key or tracking column is gone or
 * changed in a way the replica cannot follow.
 */
export function planColumnChanges(check: ColumnCheck): ColumnPlan {
  const sourceByName = new Map(check.source.map((c) => [c.name, c]));
  const essential = (name: string) => check.primaryKey.includes(name) || name === check.trackingCol;
  const role = (name: string) => (name === check.trackingCol ? "the tracking column" : "a primary key column");
  const changes: SchemaChange[] = [];
  const columns: SourceColumn[] = [];
  const replica: ReplicaChange[] = [];
  const recopy = new Set<string>();
  const kept = new Set(check.kept.map(lower));
  let listChanged = false;

  for (const column of check.columns) {
    const now = sourceByName.get(column.name);
    if (!now) {
      if (essential(column.name)) {
        throw new ValidationError(
          `column "${column.name}", ${role(column.name)} of this job, is gone from the source table ${check.table} (dropped or renamed): ` +
            `the job cannot go on; the replica keeps its rows. Create a job for the table as it is now`,
        );
      }
      changes.push({ column: column.name, change: "dropped", from: column.sourceType, to: null });
      listChanged = true;
      if (check.replica && check.onDrop === "drop") replica.push({ op: "drop", name: column.name });
      else if (check.replica) kept.add(lower(column.name));
      continue;
    }
    columns.push(now);
    if (now.sourceType === column.sourceType) continue;
    changes.push({ column: column.name, change: "retyped", from: column.sourceType, to: now.sourceType });
    if (now.sqliteType === column.sqliteType && keepsValues(check.dialect, column.sourceType, now.sourceType)) continue;
    if (essential(column.name)) {
      throw new ValidationError(
        `column "${column.name}", ${role(column.name)} of this job, changed type at the source table ${check.table} ` +
          `from ${column.sourceType} to ${now.sourceType}: the job cannot follow that; the replica keeps its rows. ` +
          `Delete the job with drop_table=true and create it again to copy the table afresh`,
      );
    }
    if (check.replica && now.sqliteType !== column.sqliteType) replica.push({ op: "retype", column: now });
    recopy.add(column.name);
  }

  const copied = new Set(check.columns.map((c) => c.name));
  let width = (check.replica?.length ?? check.columns.length) - replica.filter((r) => r.op === "drop").length;
  const overLimit: string[] = [];
  for (const column of check.source) {
    if (copied.has(column.name)) continue;
    const existing = check.replica?.find((c) => lower(c.name) === lower(column.name));
    if (existing) {
      // A column the replica kept (dropped earlier, or there before the job): reused when its type fits.
      if (affinityOf(existing.type) !== column.sqliteType) replica.push({ op: "retype", column });
    } else if (width >= MAX_TABLE_COLUMNS) {
      overLimit.push(column.name);
      continue;
    } else {
      width += 1;
      if (check.replica) replica.push({ op: "add", column });
    }
    kept.delete(lower(column.name));
    changes.push({ column: column.name, change: "added", from: null, to: column.sourceType });
    columns.push(column);
    recopy.add(column.name);
    listChanged = true;
  }

  return {
    changes,
    columns,
    replica,
    recopy: recopy.size || listChanged ? [...recopy] : null,
    kept: check.replica ? [...kept].map((k) => keptName(k, check)) : [],
    overLimit,
  };
}

/** A kept column's name as the replica spells it. */
function keptName(lowered: string, check: ColumnCheck): string {
  return check.replica?.find((c) => lower(c.name) === lowered)?.name ?? lowered;
}

function lower(name: string): string {
  return name.toLowerCase();
}

/**
 * The columns a run follows: every source column for an "all" job; for a subset,
 * the chosen ones. A chosen column the source no longer has fails the run, naming it.
 * Jobs stored before the selection was recorded count as a subset when the source
 * has columns they do not copy (they were chosen, or added since: both are left out
 * rather than copied unasked), and as "all" otherwise.
 */
export function followedColumns(
  selection: ColumnSelection | undefined,
  columns: readonly SourceColumn[],
  source: readonly SourceColumn[],
  table: string,
): { selection: ColumnSelection; followed: SourceColumn[]; ignored: string[] } {
  const chosen = new Set(columns.map((c) => c.name));
  const resolved = selection ?? (source.every((c) => chosen.has(c.name)) ? "all" : "subset");
  if (resolved === "all") return { selection: resolved, followed: [...source], ignored: [] };
  const present = new Set(source.map((c) => c.name));
  const gone = columns.filter((c) => !present.has(c.name)).map((c) => c.name);
  if (gone.length) {
    throw new ValidationError(
      `${gone.map((n) => `column "${n}"`).join(", ")}, chosen in this job's columns, ${gone.length > 1 ? "are" : "is"} gone from the source table ${table} ` +
        `(dropped or renamed): PATCH the job's columns without ${gone.length > 1 ? "them" : "it"}`,
    );
  }
  return {
    selection: resolved,
    followed: source.filter((c) => chosen.has(c.name)),
    ignored: source.filter((c) => !chosen.has(c.name)).map((c) => c.name),
  };
}

/** The job's schema warnings after a check. */
export function schemaWarnings(
  state: { kept: readonly string[]; ignored: readonly string[]; overLimit: readonly string[] },
  table: string,
): string[] {
  const warnings = state.kept.map(
    (name) =>
      `the replica keeps column "${name}", which this job no longer copies (dropped at the source, or no longer chosen): ` +
      `NULL in rows copied since; on_column_drop "drop" removes such columns`,
  );
  if (state.ignored.length) {
    warnings.push(
      `the source table ${table} has columns this job does not copy (its columns were chosen): ${state.ignored.join(", ")}. ` +
        `PATCH columns to copy them, or "all" to follow every column`,
    );
  }
  for (const name of state.overLimit) {
    warnings.push(
      `column "${name}" was added at the source but not to the replica: a Durable Object table has at most ${MAX_TABLE_COLUMNS} columns`,
    );
  }
  return warnings;
}

/**
 * The re-copy after a change: none when `columns` is null; otherwise one from the
 * first key, filling the union of the columns of a re-copy still in progress and
 * the new ones (rows it already passed lack the new ones, and their hashes are stale),
 * less those the job no longer copies.
 */
export function planRecopy(
  current: Recopy | null,
  columns: readonly string[] | null,
  copied: readonly string[],
  now: number,
): Recopy | null {
  if (columns === null) return current;
  const merged = [...new Set([...(current?.columns ?? []), ...columns])].filter((c) => copied.includes(c));
  // A first copy that has to start over stays one: rows it has not reached yet are still missing.
  return {
    columns: merged,
    after: null,
    rows: 0,
    started_at: current?.started_at ?? now,
    ...(current?.first ? { first: { ...current.first, largest: null } } : {}),
  };
}
