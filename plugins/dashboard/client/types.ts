// The shapes the dashboard reads from the JSON API (README "Replication"). Fields other
// issues add later (mode, replica_rows, verify, cdc, schema_changes) are optional: the
// page shows them only when present.

export type JobState = "idle" | "running" | "paused" | "failing" | (string & {});

export interface VerifyResult {
  source_rows?: number;
  replica_rows?: number;
  missing?: number;
  extra?: number;
  differing?: number;
  /** True when this verify also repaired what it found. */
  repaired?: boolean;
  /** False when a repair stopped at the run limits: verifying again continues it. */
  done?: boolean;
  /** "values" when every copied value was compared (verify?values=true), else the stored row hashes. */
  compared?: "hashes" | "values";
  duration_ms?: number;
  [more: string]: unknown;
}

export interface CdcStatus {
  slot?: string;
  publication?: string;
  confirmed_lsn?: string | null;
  retained_wal_bytes?: number | null;
  wal_status?: string | null;
}

export interface SchemaChange {
  column: string;
  change: string;
  from?: string | null;
  to?: string | null;
}

export interface JobView {
  name: string;
  mode?: string;
  source: Record<string, unknown>;
  table_name: string;
  target_table: string;
  columns?: Array<{ name: string; source_type: string; sqlite_type: string; nullable: boolean }>;
  /** Null in mode cdc. */
  tracking_col: string | null;
  tracking_type: string | null;
  primary_key: string[];
  cron_tab: string;
  batch_size: number;
  lookback_seconds: number;
  /** "subset": only the job's `columns`; "all" (or null, before the setting existed): every column, new ones too. */
  column_selection?: "all" | "subset" | null;
  on_column_drop?: "keep" | "drop";
  reconcile_cron?: string | null;
  soft_delete_col?: string | null;
  active: boolean;
  warnings?: string[];
  created_at: string;
  status: {
    state: JobState;
    cursor?: unknown;
    rows_synced: number;
    replica_rows?: number | null;
    last_run_at: string | null;
    last_success_at?: string | null;
    last_error: string | null;
    consecutive_failures?: number;
    retry_at?: string | null;
    next_run_at: string | null;
    /** The start of the last run that left the replica holding every row the source had committed. */
    synced_as_of?: string | null;
    /** Seconds since synced_as_of. */
    lag_seconds: number | null;
    verify?: VerifyResult | null;
    cdc?: CdcStatus | null;
  };
}

export interface RunView {
  id: number;
  trigger: string;
  started_at: string;
  ended_at: string | null;
  rows: number;
  pages?: number;
  done?: boolean;
  error: string | null;
  duration_ms?: number;
  schema_changes?: SchemaChange[];
}
