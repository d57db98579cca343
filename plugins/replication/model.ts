import type { SourceColumn } from "../../src/sources/types";
import type { Cursor, TrackingType } from "./cursor";
import type { SourceSettings } from "./schema";

/** A job's settings after validation against the source. */
export interface JobSettings {
  name: string;
  source: SourceSettings;
  table_name: string;
  target_table: string;
  tracking_col: string;
  tracking_type: TrackingType;
  primary_key: string[];
  cron_tab: string;
  batch_size: number;
  lookback_seconds: number;
  active: boolean;
}

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
}

export interface Job {
  settings: JobSettings;
  /** The replicated columns, in replica order, with their source and SQLite types. */
  columns: SourceColumn[];
  warnings: string[];
  progress: JobProgress;
  created_at: number;
}

export type JobState = "idle" | "running" | "paused" | "failing";

export interface RunSummary {
  rows: number;
  pages: number;
  cursor: Cursor | null;
  done: boolean;
  duration_ms: number;
}

export interface RunRecord {
  id: number;
  trigger: "cron" | "manual";
  started_at: string;
  ended_at: string | null;
  rows: number;
  pages: number;
  done: boolean;
  error: string | null;
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
};

/** Backoff after `failures` consecutive failures: 10 s, 20 s, 40 s ... capped at 30 minutes. */
export function backoffMs(failures: number): number {
  if (failures <= 0) return 0;
  return Math.min(10_000 * 2 ** (failures - 1), 30 * 60_000);
}
