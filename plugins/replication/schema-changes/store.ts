/** The SQL of schema changes: a job's columns and schema state, and the changes a run found. */
import type { SourceColumn } from "../../../src/sources/types";
import { JOBS_TABLE, RUNS_TABLE } from "../engine/migrations";
import type { ColumnSelection, OnColumnDrop } from "../engine/settings";
import { type Cursor, encodeCursor } from "../pull/cursor";
import type { Recopy, SchemaChange, SchemaState } from "./state";

/**
 * Saves the job's column list, its column settings and its schema state together
 * (inside the caller's transaction, with the replica's DDL). Only the two column
 * settings are written: a PATCH of other settings during a run is not undone.
 */
export function saveColumns(
  sql: SqlStorage,
  settings: { name: string; column_selection: ColumnSelection; on_column_drop: OnColumnDrop },
  columns: readonly SourceColumn[],
  state: SchemaState,
): void {
  sql.exec(
    `UPDATE ${JOBS_TABLE} SET settings = json_set(settings, '$.column_selection', ?, '$.on_column_drop', ?),
       columns = ?, schema_state = ? WHERE name = ?`,
    settings.column_selection,
    settings.on_column_drop,
    JSON.stringify(columns),
    encodeState(state),
    settings.name,
  );
}

/** Saves a re-copy's progress (inside the transaction that wrote its page). */
export function saveRecopy(sql: SqlStorage, name: string, recopy: Recopy | null): void {
  sql.exec(
    `UPDATE ${JOBS_TABLE} SET schema_state = json_set(schema_state, '$.recopy', json(?)) WHERE name = ?`,
    JSON.stringify(encodeRecopy(recopy)),
    name,
  );
}

/** Adds changes to a run's record (a run may find changes more than once: change capture). */
export function recordChanges(sql: SqlStorage, runId: number, changes: readonly SchemaChange[]): void {
  if (!changes.length) return;
  const row = sql
    .exec<{ changes: string | null }>(`SELECT schema_changes AS changes FROM ${RUNS_TABLE} WHERE id = ?`, runId)
    .toArray()[0];
  const earlier = row?.changes ? (JSON.parse(row.changes) as SchemaChange[]) : [];
  sql.exec(`UPDATE ${RUNS_TABLE} SET schema_changes = ? WHERE id = ?`, JSON.stringify([...earlier, ...changes]), runId);
}

function encodeState(state: SchemaState): string {
  return JSON.stringify({ ...state, recopy: encodeRecopy(state.recopy) });
}

function encodeRecopy(recopy: Recopy | null): unknown {
  if (!recopy) return null;
  // Cursor values as the job's cursor stores them (blobs tagged).
  const json = (cursor: Cursor | null) => {
    const text = encodeCursor(cursor);
    return text === null ? null : (JSON.parse(text) as { tracking: unknown; key: unknown[] | null });
  };
  const first = recopy.first && { below: recopy.first.below, largest: json(recopy.first.largest) };
  return { ...recopy, after: json(recopy.after), ...(first ? { first } : {}) };
}
