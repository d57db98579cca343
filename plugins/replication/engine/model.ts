import type { SourceColumn } from "../../../src/sources/types";
import type { Cursor } from "../pull/cursor";
import type { RowHashFormula } from "../replica/row-hash";
import type { SchemaChange, SchemaState } from "../schema-changes/state";
import type { VerifyCounts } from "../verify/types";
import type { JobSettings } from "./settings";

export type { JobSettings } from "./settings";

/** A job's progress, changed by runs. */
export interface JobProgress {
  cursor: Cursor | null;
  /** True when the last run ended with nothing more to read. */
  caught_up: boolean;
  rows_synced: number;
  last_run_at: number | null;
  last_success_at: number | null;
  last_error: string | null;
  consecutive_failures: number;
  /** While failing, cron ticks before this time are skipped (growing backoff). */
  retry_at: number | null;
  /**
   * The start of the last run that ended with every row the source committed before it in the
   * replica (no first copy or snapshot left to do); null before the first such run. A pull job
   * sees deletes only as its soft delete column or reconciliation does.
   */
  synced_as_of: number | null;
  /**
   * Where a run on the late-commit watermark, cut short by its bounds, stopped reading: ahead of
   * `cursor`, which stays below the watermark. The next run reads on from here, leaving `cursor`
   * as it is, until it reaches the end; the run after starts from `cursor` again. Without it,
   * rows above the watermark beyond one run's bounds (a busy day of a `date` column) were never reached.
   */
  resume: Cursor | null;
  /** The start of the run that began the pass `resume` carries on: the replica is current as of it when the pass ends. */
  resume_since: number | null;
  /**
   * How the last run guarded against late commits. A run on the watermark after one that was not
   * (a fallback to lookback_seconds, late_commits changed) re-reads lookback_seconds behind its
   * cursor once: the run before moved the cursor past rows of transactions open then.
   */
  last_guard: LateCommitGuardKind | null;
}

export type LateCommitGuardKind = "watermark" | "lookback" | "none";

export interface Job {
  /** Settings as stored: `source` carries no secret (a password shows as `***`). */
  settings: JobSettings;
  /** The whole source settings, secret included, sealed by credentials.ts; null when the source holds no secret. */
  sealedSource: string | null;
  /** The replicated columns, in replica order, with their source and SQLite types. */
  columns: SourceColumn[];
  warnings: string[];
  progress: JobProgress;
  created_at: number;
  /** What the last run said about its late-commit watermark (a fallback to lookback_seconds); absent when nothing. */
  pullWarning?: string;
  /** What the job knows of its source's schema changes; absent until a run first checked them. */
  schema?: SchemaState;
  /** How the source computes the hashes stored in the replica (replica/row-hash.ts). */
  rowHash: RowHashFormula;
}

/** `snapshot`: a change capture job whose copy of the table is not yet caught up with the stream. */
export type JobState = "idle" | "running" | "paused" | "failing" | "snapshot";

export interface RunSummary {
  rows: number;
  pages: number;
  cursor: Cursor | null;
  done: boolean;
  duration_ms: number;
  /** Column changes this run found at the source. */
  schema_changes: SchemaChange[];
  /** What the run did beyond copying (a replication slot recreated, and why); null when nothing. */
  note: string | null;
}

/** What started a run. */
export type RunTrigger = "cron" | "manual" | "reconcile";

export interface RunRecord {
  id: number;
  trigger: RunTrigger;
  started_at: string;
  ended_at: string | null;
  rows: number;
  pages: number;
  done: boolean;
  error: string | null;
  /** Column changes the run found at the source (README "Schema changes"). */
  schema_changes: SchemaChange[];
  /** What a reconciliation run found (trigger "reconcile" only); `rows` are then the rows it repaired. */
  verify?: VerifyCounts;
  note: string | null;
}

export const INITIAL_PROGRESS: JobProgress = {
  cursor: null,
  caught_up: false,
  rows_synced: 0,
  last_run_at: null,
  last_success_at: null,
  last_error: null,
  consecutive_failures: 0,
  retry_at: null,
  synced_as_of: null,
  resume: null,
  resume_since: null,
  last_guard: null,
};

/** Backoff after `failures` consecutive failures: 10 s, 20 s, 40 s ... capped at 30 minutes. */
export function backoffMs(failures: number): number {
  if (failures <= 0) return 0;
  return Math.min(10_000 * 2 ** (failures - 1), 30 * 60_000);
}
