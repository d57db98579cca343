import type { SourceColumn } from "../../src/sources/types";
import { type Cursor, decodeCursor, encodeCursor } from "./cursor";
import { JOBS_TABLE, RUNS_TABLE } from "./migrations";
import type { Job, JobProgress, JobSettings, RunRecord } from "./model";

/** How many runs are kept per job. */
const RUNS_KEPT = 50;

interface JobRow extends Record<string, SqlStorageValue> {
  name: string;
  settings: string;
  columns: string;
  warnings: string;
  cursor: string | null;
  caught_up: number;
  rows_synced: number;
  last_run_at: number | null;
  last_success_at: number | null;
  last_error: string | null;
  consecutive_failures: number;
  retry_at: number | null;
  created_at: number;
}

function toJob(row: JobRow): Job {
  return {
    settings: JSON.parse(row.settings) as JobSettings,
    columns: JSON.parse(row.columns) as SourceColumn[],
    warnings: JSON.parse(row.warnings) as string[],
    created_at: row.created_at,
    progress: {
      cursor: decodeCursor(row.cursor),
      caught_up: row.caught_up === 1,
      rows_synced: row.rows_synced,
      last_run_at: row.last_run_at,
      last_success_at: row.last_success_at,
      last_error: row.last_error,
      consecutive_failures: row.consecutive_failures,
      retry_at: row.retry_at,
    },
  };
}

/** Thin persistence of jobs and runs in the Durable Object's SQLite. */
export class JobStore {
  constructor(private readonly sql: SqlStorage) {}

  get(name: string): Job | undefined {
    const row = this.sql.exec<JobRow>(`SELECT * FROM ${JOBS_TABLE} WHERE name = ?`, name).toArray()[0];
    return row ? toJob(row) : undefined;
  }

  list(): Job[] {
    return this.sql.exec<JobRow>(`SELECT * FROM ${JOBS_TABLE} ORDER BY name`).toArray().map(toJob);
  }

  /** Every job's replica table, as [table, owner] for the client role's read-only list. */
  targets(): Array<[string, string]> {
    return this.sql
      .exec<{ name: string; target: string }>(
        `SELECT name, json_extract(settings, '$.target_table') AS target FROM ${JOBS_TABLE}`,
      )
      .toArray()
      .map((row) => [row.target, `replication job ${row.name}`]);
  }

  insert(job: Job): void {
    this.sql.exec(
      `INSERT INTO ${JOBS_TABLE} (name, settings, columns, warnings, created_at) VALUES (?, ?, ?, ?, ?)`,
      job.settings.name,
      JSON.stringify(job.settings),
      JSON.stringify(job.columns),
      JSON.stringify(job.warnings),
      job.created_at,
    );
  }

  saveSettings(settings: JobSettings): void {
    this.sql.exec(`UPDATE ${JOBS_TABLE} SET settings = ? WHERE name = ?`, JSON.stringify(settings), settings.name);
  }

  /** Called inside the page's transaction, so the cursor never runs ahead of the rows. */
  saveCursor(name: string, cursor: Cursor | null, rowsAdded: number): void {
    this.sql.exec(
      `UPDATE ${JOBS_TABLE} SET cursor = ?, rows_synced = rows_synced + ? WHERE name = ?`,
      encodeCursor(cursor),
      rowsAdded,
      name,
    );
  }

  saveOutcome(name: string, progress: Omit<JobProgress, "cursor" | "rows_synced">): void {
    this.sql.exec(
      `UPDATE ${JOBS_TABLE} SET caught_up = ?, last_run_at = ?, last_success_at = ?, last_error = ?,
         consecutive_failures = ?, retry_at = ? WHERE name = ?`,
      progress.caught_up ? 1 : 0,
      progress.last_run_at,
      progress.last_success_at,
      progress.last_error,
      progress.consecutive_failures,
      progress.retry_at,
      name,
    );
  }

  /** Back to the start: the next runs copy everything again. */
  resetProgress(name: string): void {
    this.sql.exec(
      `UPDATE ${JOBS_TABLE} SET cursor = NULL, caught_up = 0, rows_synced = 0, last_error = NULL,
         consecutive_failures = 0, retry_at = NULL WHERE name = ?`,
      name,
    );
  }

  delete(name: string): void {
    this.sql.exec(`DELETE FROM ${JOBS_TABLE} WHERE name = ?`, name);
    this.sql.exec(`DELETE FROM ${RUNS_TABLE} WHERE job = ?`, name);
  }

  startRun(job: string, trigger: RunRecord["trigger"], startedAt: number): number {
    const row = this.sql
      .exec<{ id: number }>(
        `INSERT INTO ${RUNS_TABLE} (job, trigger, started_at) VALUES (?, ?, ?) RETURNING id`,
        job,
        trigger,
        startedAt,
      )
      .one();
    this.sql.exec(
      `DELETE FROM ${RUNS_TABLE} WHERE job = ? AND id <= (SELECT id FROM ${RUNS_TABLE} WHERE job = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`,
      job,
      job,
      RUNS_KEPT,
    );
    return row.id;
  }

  /** Called inside each page's transaction and once more when the run ends. */
  updateRun(
    id: number,
    run: { rows: number; pages: number; done?: boolean; error?: string | null; ended_at?: number },
  ): void {
    this.sql.exec(
      `UPDATE ${RUNS_TABLE} SET rows = ?, pages = ?, done = coalesce(?, done), error = coalesce(?, error),
         ended_at = coalesce(?, ended_at) WHERE id = ?`,
      run.rows,
      run.pages,
      run.done === undefined ? null : run.done ? 1 : 0,
      run.error ?? null,
      run.ended_at ?? null,
      id,
    );
  }

  /** Closes runs left open by an object that stopped mid-run (eviction, deploy); returns how many. */
  closeInterruptedRuns(now: number): number {
    return this.sql.exec(
      `UPDATE ${RUNS_TABLE} SET ended_at = ?, error = 'interrupted: the Durable Object restarted during this run' WHERE ended_at IS NULL`,
      now,
    ).rowsWritten;
  }

  runs(job: string, limit = 20): RunRecord[] {
    return this.sql
      .exec<{
        id: number;
        trigger: string;
        started_at: number;
        ended_at: number | null;
        rows: number;
        pages: number;
        done: number;
        error: string | null;
      }>(
        `SELECT id, trigger, started_at, ended_at, rows, pages, done, error FROM ${RUNS_TABLE} WHERE job = ? ORDER BY id DESC LIMIT ?`,
        job,
        limit,
      )
      .toArray()
      .map((r) => ({
        id: r.id,
        trigger: r.trigger === "manual" ? "manual" : "cron",
        started_at: new Date(r.started_at).toISOString(),
        ended_at: r.ended_at === null ? null : new Date(r.ended_at).toISOString(),
        rows: r.rows,
        pages: r.pages,
        done: r.done === 1,
        error: r.error,
      }));
  }
}
