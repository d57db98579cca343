import type { CdcStatusView } from "../cdc/view";
import { Credentials } from "../engine/credentials";
import type { Job, JobState } from "../engine/model";
import type { ColumnSelection, OnColumnDrop } from "../engine/settings";
import type { RowHashFormula } from "../replica/row-hash";
import { recopyView, recopyWarnings } from "../schema-changes/view";
import { redactedSource } from "../engine/source-config";
import { displayCursor } from "../pull/cursor";
import type { LastVerify } from "../verify/store";

export interface JobView {
  name: string;
  mode: "pull" | "cdc";
  source: Record<string, unknown>;
  /** How the source's secret is stored: sealed under the key with this id, or null when there is none to store. */
  credentials: { encrypted: true; key_id: string | null } | null;
  table_name: string;
  target_table: string;
  columns: Array<{ name: string; source_type: string; sqlite_type: string; nullable: boolean }>;
  /** "all": every source column, new ones followed; "subset": the chosen ones. Null for a job from before, until its next run. */
  column_selection: ColumnSelection | null;
  on_column_drop: OnColumnDrop;
  /** Null in mode cdc. */
  tracking_col: string | null;
  tracking_type: string | null;
  primary_key: string[];
  cron_tab: string;
  batch_size: number;
  lookback_seconds: number;
  /** Mode pull: "watermark" or "lookback" (README "Late commits: the watermark"); null in mode cdc. */
  late_commits: "watermark" | "lookback" | null;
  active: boolean;
  /** When the job verifies and repairs its replica on its own; null: never. */
  reconcile_cron: string | null;
  /** The source column marking deleted rows; null: none. */
  soft_delete_col: string | null;
  /** How the source computes the row hashes stored in the replica (README "How it compares"); a reset moves a MySQL job to crc32. */
  row_hash: RowHashFormula;
  warnings: string[];
  created_at: string;
  status: {
    state: JobState;
    cursor: ReturnType<typeof displayCursor>;
    rows_synced: number;
    last_run_at: string | null;
    last_success_at: string | null;
    last_error: string | null;
    consecutive_failures: number;
    retry_at: string | null;
    next_run_at: string | null;
    /**
     * The start of the last run that left the replica holding every row the source had committed
     * before it (README "Freshness"); null until a first copy or snapshot is complete.
     */
    synced_as_of: string | null;
    /** Seconds from synced_as_of to now: how far behind the source the replica may be. */
    lag_seconds: number | null;
    /** Rows in the replica table now; null before the first run creates it. */
    replica_rows: number | null;
    /** The re-copy of rows after a column change, while one is in progress. */
    recopy: ReturnType<typeof recopyView>;
    /** The last verification (POST .../verify or the reconcile task); null before the first. */
    verify: LastVerify | null;
    /** Mode cdc: the job's replication slot and publication at the source, and the slot's health as last read. */
    cdc: CdcStatusView | null;
  };
}

/** What a change capture job adds to its view (cdc/view.ts). */
export interface CdcLive {
  status: CdcStatusView;
  /** Until replay has passed the WAL position read after the copy. */
  snapshot: boolean;
  warnings: string[];
}

/** A job as the API answers it: settings with secrets redacted, and its status. */
export function jobView(
  job: Job,
  live: {
    running: boolean;
    nextRunAt: string | null;
    replicaRows: number | null;
    verify?: LastVerify | null;
    now: number;
    cdc?: CdcLive;
  },
): JobView {
  const { settings, progress } = job;
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  // A change capture job shows "snapshot", running or not, until its copy has caught up with the stream.
  const state: JobState =
    live.running && !live.cdc?.snapshot
      ? "running"
      : !settings.active
        ? "paused"
        : progress.consecutive_failures > 0
          ? "failing"
          : live.cdc?.snapshot
            ? "snapshot"
            : live.running
              ? "running"
              : "idle";
  const lag =
    progress.synced_as_of === null ? null : Math.max(0, Math.round((live.now - progress.synced_as_of) / 1000));
  return {
    name: settings.name,
    mode: settings.mode,
    source: redactedSource(settings.source),
    credentials: job.sealedSource ? { encrypted: true, key_id: Credentials.keyIdOf(job.sealedSource) } : null,
    table_name: settings.table_name,
    target_table: settings.target_table,
    columns: job.columns.map((c) => ({
      name: c.name,
      source_type: c.sourceType,
      sqlite_type: c.sqliteType,
      nullable: c.nullable,
    })),
    column_selection: settings.column_selection ?? null,
    on_column_drop: settings.on_column_drop ?? "keep",
    tracking_col: settings.tracking_col,
    tracking_type: settings.tracking_type,
    primary_key: settings.primary_key,
    cron_tab: settings.cron_tab,
    batch_size: settings.batch_size,
    lookback_seconds: settings.lookback_seconds,
    late_commits: settings.mode === "pull" ? (settings.late_commits ?? "watermark") : null,
    active: settings.active,
    reconcile_cron: settings.reconcile_cron ?? null,
    soft_delete_col: settings.soft_delete_col ?? null,
    row_hash: job.rowHash,
    warnings: [
      ...job.warnings,
      ...(job.pullWarning ? [job.pullWarning] : []),
      ...(job.schema?.warnings ?? []),
      ...recopyWarnings(job.schema?.recopy ?? null),
      ...(live.cdc?.warnings ?? []),
    ],
    created_at: new Date(job.created_at).toISOString(),
    status: {
      state,
      cursor: displayCursor(progress.cursor),
      rows_synced: progress.rows_synced,
      last_run_at: iso(progress.last_run_at),
      last_success_at: iso(progress.last_success_at),
      last_error: progress.last_error,
      consecutive_failures: progress.consecutive_failures,
      retry_at: iso(progress.retry_at),
      next_run_at: settings.active ? live.nextRunAt : null,
      synced_as_of: iso(progress.synced_as_of),
      lag_seconds: lag,
      replica_rows: live.replicaRows,
      recopy: recopyView(job.schema?.recopy ?? null),
      verify: live.verify ?? null,
      cdc: live.cdc?.status ?? null,
    },
  };
}
