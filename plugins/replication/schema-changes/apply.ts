/**
 * Carrying out a column plan (plan.ts): the replica's DDL, the job's new column
 * list and schema state, and the run's record of the changes, in one SQLite
 * transaction, so the replica and the job never disagree about the columns.
 */
import type { Dialect, SourceColumn } from "../../../src/sources/types";
import type { ReplicationHost } from "../engine/host";
import type { Job } from "../engine/model";
import type { ColumnSelection, JobSettings, OnColumnDrop } from "../engine/settings";
import { lostObjectsWarning, ownObjects, withOwnObjectsSetAside } from "../replica/own-objects";
import { quoteSqlite, readTableColumns, writeToReplica } from "../replica/table";
import { followedColumns, planColumnChanges, planRecopy, type ReplicaChange, schemaWarnings } from "./plan";
import { EMPTY_SCHEMA_STATE, type SchemaChange, type SchemaState } from "./state";
import { recordChanges, saveColumns } from "./store";

export type SchemaHost = Pick<ReplicationHost, "sql" | "transaction">;

export interface ColumnChangesResult {
  /** The job as it is now stored (the same object when nothing changed). */
  job: Job;
  /** What changed at the source; empty when nothing did. */
  changes: SchemaChange[];
}

/**
 * Makes a job follow its source table's current columns. This is the one entry
 * point for both ways of reading a source:
 * - the cursor pull calls it at the start of each run with the columns of one
 *   catalog query (`SourceConnection.describeColumns`);
 * - change capture calls it when a Relation message shows the table's columns
 *   differ from `job.columns`, with the same shape of columns: `sourceType` as the
 *   catalog prints it (PostgreSQL `format_type(atttypid, atttypmod)`, so a type
 *   compares equal to the one stored at create time), `sqliteType` mapped by the
 *   source layer (`pgSqliteTypeOf` of the base type), `nullable` from the catalog
 *   (a Relation message lacks it: read it, or keep the stored column's).
 *
 * `current` lists every column of the source table in table order. It runs no
 * I/O beyond the Durable Object's SQLite and never awaits: in one transaction it
 * alters the replica (ADD COLUMN; DROP COLUMN with on_column_drop "drop"; a column
 * whose SQLite type changed is dropped and added back), stores the job's new
 * columns and schema state, and adds the changes to run `runId`'s record.
 * Rows copied before get the changed columns through a re-copy, planned here
 * (`job.schema.recopy`) and carried on by the caller's runs with `continueRecopy`
 * (recopy.ts), which reads the table by primary key whatever the job's mode; the
 * job's cursor (or change-capture position) is never touched.
 *
 * Throws a ValidationError naming the column, and changes nothing, when the job
 * cannot go on: its key or tracking column is gone or changed type beyond what
 * the replica can follow, or a column chosen for a subset job is gone.
 * Afterwards the caller must use the returned job: its columns may differ.
 */
export function applyColumnChanges(
  host: SchemaHost,
  job: Job,
  current: readonly SourceColumn[],
  options: { dialect: Dialect; table: string; runId?: number; now?: number },
): ColumnChangesResult {
  const followed = followedColumns(job.settings.column_selection, job.columns, current, options.table);
  return follow(host, job, followed.followed, {
    ...options,
    selection: followed.selection,
    ignored: followed.ignored,
    onDrop: job.settings.on_column_drop ?? "keep",
  });
}

/**
 * A new choice of columns (PATCH `columns`): `chosen` names source columns (already
 * checked against `current`), or "all". Un-chosen columns leave the replica as a
 * dropped one would; newly chosen ones are added and filled by a re-copy. Nothing
 * is recorded in run history: the user chose, the source did not change (a type
 * change at the source met on the way is applied, unrecorded).
 */
export function applyColumnChoice(
  host: SchemaHost,
  job: Job,
  current: readonly SourceColumn[],
  choice: { columns: readonly string[] | "all"; onDrop: OnColumnDrop },
  options: { dialect: Dialect; table: string; now?: number },
): Job {
  const chosen = choice.columns === "all" ? null : new Set(choice.columns);
  const followed = chosen ? current.filter((c) => chosen.has(c.name)) : [...current];
  const ignored = chosen ? current.filter((c) => !chosen.has(c.name)).map((c) => c.name) : [];
  const selection: ColumnSelection = chosen ? "subset" : "all";
  return follow(host, job, followed, { ...options, selection, ignored, onDrop: choice.onDrop }).job;
}

function follow(
  host: SchemaHost,
  job: Job,
  followed: readonly SourceColumn[],
  options: {
    dialect: Dialect;
    table: string;
    selection: ColumnSelection;
    ignored: string[];
    onDrop: OnColumnDrop;
    runId?: number;
    now?: number;
  },
): ColumnChangesResult {
  const { target_table: target } = job.settings;
  const existing = readTableColumns(host.sql, target);
  const before = job.schema ?? EMPTY_SCHEMA_STATE;
  const plan = planColumnChanges({
    dialect: options.dialect,
    table: options.table,
    columns: job.columns,
    source: followed,
    primaryKey: job.settings.primary_key,
    trackingCol: job.settings.tracking_col,
    onDrop: options.onDrop,
    replica: existing.length ? existing : null,
    kept: before.kept,
  });
  // Rows copied under the old columns need the new ones; an empty replica gets them from the runs.
  const recopy =
    existing.length && hasRows(host.sql, target)
      ? planRecopy(
          before.recopy,
          plan.recopy,
          plan.columns.map((c) => c.name),
          options.now ?? Date.now(),
        )
      : null;
  const schema: SchemaState = {
    kept: plan.kept,
    warnings: schemaWarnings({ kept: plan.kept, ignored: options.ignored, overLimit: plan.overLimit }, options.table),
    recopy,
  };
  const settings = { ...job.settings, column_selection: options.selection, on_column_drop: options.onDrop };
  if (JSON.stringify([job.settings, job.columns, job.schema]) === JSON.stringify([settings, plan.columns, schema])) {
    return { job, changes: [] };
  }
  // The replica's own indexes and views naming a column dropped (or dropped and added back) would make SQLite refuse the drop.
  const dropped = plan.replica.flatMap((c) => (c.op === "add" ? [] : [c.op === "drop" ? c.name : c.column.name]));
  let saved = schema;
  host.transaction(() => {
    const lost = writeToReplica(target, () =>
      withOwnObjectsSetAside(host.sql, dropped.length ? ownObjects(host.sql, target, dropped) : [], () => {
        for (const change of plan.replica) for (const statement of replicaDdl(target, change)) host.sql.exec(statement);
      }),
    );
    if (lost.length) saved = { ...schema, warnings: [...schema.warnings, lostObjectsWarning(target, lost)] };
    saveColumns(host.sql, settings, plan.columns, saved);
    if (options.runId !== undefined) recordChanges(host.sql, options.runId, plan.changes);
  });
  return { job: { ...job, settings, columns: plan.columns, schema: saved }, changes: plan.changes };
}

/** The statements of one replica change. */
export function replicaDdl(table: string, change: ReplicaChange): string[] {
  const t = quoteSqlite(table);
  if (change.op === "drop") return [`ALTER TABLE ${t} DROP COLUMN ${quoteSqlite(change.name)}`];
  const add = `ALTER TABLE ${t} ADD COLUMN ${quoteSqlite(change.column.name)} ${change.column.sqliteType}`;
  if (change.op === "add") return [add];
  return [`ALTER TABLE ${t} DROP COLUMN ${quoteSqlite(change.column.name)}`, add];
}

function hasRows(sql: SqlStorage, table: string): boolean {
  return sql.exec(`SELECT 1 FROM ${quoteSqlite(table)} LIMIT 1`).toArray().length > 0;
}

/** The source table as messages name it: `schema.table` when the source names a schema. */
export function sourceTableLabel(settings: JobSettings): string {
  return "schema" in settings.source && settings.source.schema
    ? `${settings.source.schema}.${settings.table_name}`
    : settings.table_name;
}
