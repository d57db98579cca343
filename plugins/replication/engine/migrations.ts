import type { Migration } from "../../../src/plugin";
import { CDC_MIGRATIONS } from "../cdc/store";

export const JOBS_TABLE = "tmp_replication_jobs";
export const RUNS_TABLE = "tmp_replication_runs";

export const replicationMigrations: readonly Migration[] = [
  {
    id: "replication/001-jobs",
    sql: `CREATE TABLE ${JOBS_TABLE} (
      name TEXT PRIMARY KEY,
      settings TEXT NOT NULL,
      columns TEXT NOT NULL,
      warnings TEXT NOT NULL,
      cursor TEXT,
      caught_up INTEGER NOT NULL DEFAULT 0,
      rows_synced INTEGER NOT NULL DEFAULT 0,
      last_run_at INTEGER,
      last_success_at INTEGER,
      last_error TEXT,
      consecutive_failures INTEGER NOT NULL DEFAULT 0,
      retry_at INTEGER,
      created_at INTEGER NOT NULL
    )`,
  },
  {
    id: "replication/002-runs",
    sql: `CREATE TABLE ${RUNS_TABLE} (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      job TEXT NOT NULL,
      trigger TEXT NOT NULL,
      started_at INTEGER NOT NULL,
      ended_at INTEGER,
      rows INTEGER NOT NULL DEFAULT 0,
      pages INTEGER NOT NULL DEFAULT 0,
      done INTEGER NOT NULL DEFAULT 0,
      error TEXT
    );
    CREATE INDEX ${RUNS_TABLE}_by_job ON ${RUNS_TABLE} (job, id)`,
  },
  {
    // AUTOINCREMENT kept a row about this table in sqlite_sequence, which the client role
    // may read (it holds the counters of its own tables): run ids no longer need it.
    id: "replication/003-runs-without-autoincrement",
    sql: `CREATE TABLE ${RUNS_TABLE}_new (
      id INTEGER PRIMARY KEY,
      job TEXT NOT NULL,
      trigger TEXT NOT NULL,
      started_at INTEGER NOT NULL,
      ended_at INTEGER,
      rows INTEGER NOT NULL DEFAULT 0,
      pages INTEGER NOT NULL DEFAULT 0,
      done INTEGER NOT NULL DEFAULT 0,
      error TEXT
    );
    INSERT INTO ${RUNS_TABLE}_new SELECT id, job, trigger, started_at, ended_at, rows, pages, done, error FROM ${RUNS_TABLE};
    DROP TABLE ${RUNS_TABLE};
    ALTER TABLE ${RUNS_TABLE}_new RENAME TO ${RUNS_TABLE};
    CREATE INDEX ${RUNS_TABLE}_by_job ON ${RUNS_TABLE} (job, id)`,
  },
  {
    // Source secrets are stored sealed (credentials.ts); settings.source keeps the rest.
    id: "replication/004-sealed-source",
    sql: `ALTER TABLE ${JOBS_TABLE} ADD COLUMN source_sealed TEXT`,
  },
  {
    // Following the source's columns (schema-changes/): the job's schema state, and each run's changes.
    id: "replication/schema-changes-001",
    sql: `ALTER TABLE ${JOBS_TABLE} ADD COLUMN schema_state TEXT;
    ALTER TABLE ${RUNS_TABLE} ADD COLUMN schema_changes TEXT`,
  },
  {
    // Verification: the job's last result, and what each reconciliation run found.
    id: "replication/verify-001-results",
    sql: `ALTER TABLE ${JOBS_TABLE} ADD COLUMN last_verify TEXT;
    ALTER TABLE ${RUNS_TABLE} ADD COLUMN verify TEXT`,
  },
  // Change capture's own table, and run notes (ids replication/cdc-*).
  ...CDC_MIGRATIONS,
  {
    // What the last run of a pull job said about its late-commit watermark (pull/watermark.ts).
    id: "replication/watermark-001-pull-warning",
    sql: `ALTER TABLE ${JOBS_TABLE} ADD COLUMN pull_warning TEXT`,
  },
  {
    // The formula of the replica's row hashes (replica/row-hash.ts): the jobs that exist keep the one
    // their stored hashes were made with.
    id: "replication/row-hash-001-formula",
    sql: `ALTER TABLE ${JOBS_TABLE} ADD COLUMN row_hash TEXT NOT NULL DEFAULT 'md5'`,
  },
  {
    // When the replica last held every change committed at the source (status.synced_as_of, lag_seconds).
    id: "replication/status-001-synced-as-of",
    sql: `ALTER TABLE ${JOBS_TABLE} ADD COLUMN synced_as_of INTEGER`,
  },
  {
    // Where a watermark run cut short by its bounds stopped reading, and since when (JobProgress.resume);
    // the late-commit guard of the last run (JobProgress.last_guard).
    id: "replication/watermark-002-resume",
    sql: `ALTER TABLE ${JOBS_TABLE} ADD COLUMN resume_cursor TEXT;
    ALTER TABLE ${JOBS_TABLE} ADD COLUMN resume_since INTEGER;
    ALTER TABLE ${JOBS_TABLE} ADD COLUMN last_guard TEXT`,
  },
];
