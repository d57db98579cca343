import { type Cursor, encodeCursor } from "../pull/cursor";
import { JOBS_TABLE, RUNS_TABLE } from "./migrations";
import type { Job, JobSettings, LateCommitGuardKind, RunRecord, RunTrigger } from "./model";
import { type JobRow, parseSchemaChanges, parseStoredJob } from "./stored";
import type { RowHashFormula } from "../replica/row-hash";
import { parseRunCounts } from "../verify/store";

/** How many runs are kept per job. */
const RUNS_KEPT = 50;

/** Thin persistence of jobs and runs in the Durable Object's SQLite. */
export class JobStore {
  constructor(private readonly sql: SqlStorage) {}

  get(name: string): Job | undefined {
    const row = this.sql.exec<JobRow>(`SELECT * FROM ${JOBS_TABLE} WHERE name = ?`, name).toArray()[0];
    return row ? parseStoredJob(row) : undefined;
  }

  /** Every job whose stored row passes its checks; one that does not is left out (and logged), not fatal to the rest. */
  list(): Job[] {
    const jobs: Job[] = [];
    for (const row of this.sql.exec<JobRow>(`SELECT * FROM ${JOBS_TABLE} ORDER BY name`)) {
      try {
        jobs.push(parseStoredJob(row));
      } catch (error) {
        console.error(error instanceof Error ? error.message : String(error));
      }
    }
    return jobs;
  }

  /** Every job's name and replica table, read without parsing whole rows (asked before each client statement). */
  targets(): Array<{ name: string; target: string }> {
    return this.sql
      .exec<{ name: string; target: string }>(
        `SELECT name, json_extract(settings, '$.target_table') AS target FROM ${JOBS_TABLE}`,
      )
      .toArray();
  }

  /** True when a row holds this job name, readable or not (a broken row can still be deleted). */
  exists(name: string): boolean {
    return this.sql.exec(`SELECT 1 FROM ${JOBS_TABLE} WHERE name = ?`, name).toArray().length > 0;
  }

  insert(job: Job): void {
    this.sql.exec(
      `INSERT INTO ${JOBS_TABLE} (name, settings, source_sealed, columns, warnings, created_at, row_hash) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      job.settings.name,
      JSON.stringify(job.settings),
      job.sealedSource,
      JSON.stringify(job.columns),
      JSON.stringify(job.warnings),
      job.created_at,
      job.rowHash,
    );
  }

  /** `settings.source` must hold no secret: the secret goes sealed in `sealedSource`. */
  saveSettings(settings: JobSettings, sealedSource: string | null): void {
    this.sql.exec(
      `UPDATE ${JOBS_TABLE} SET settings = ?, source_sealed = ? WHERE name = ?`,
      JSON.stringify(settings),
      sealedSource,
      settings.name,
    );
  }

  /** Every job's sealed source, for re-sealing under a new key. */
  sealedSources(): Array<{ name: string; sealed: string }> {
    return this.sql
      .exec<{ name: string; sealed: string }>(
        `SELECT name, source_sealed AS sealed FROM ${JOBS_TABLE} WHERE source_sealed IS NOT NULL`,
      )
      .toArray();
  }

  replaceSealedSource(name: string, sealed: string): void {
    this.sql.exec(`UPDATE ${JOBS_TABLE} SET source_sealed = ? WHERE name = ?`, sealed, name);
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

  /** JobProgress.resume: where the next run reads on from, and since when; null to start from the cursor. */
  saveResume(name: string, resume: { cursor: Cursor; since: number } | null): void {
    this.sql.exec(
      `UPDATE ${JOBS_TABLE} SET resume_cursor = ?, resume_since = ? WHERE name = ?`,
      encodeCursor(resume?.cursor ?? null),
      resume?.since ?? null,
      name,
    );
  }

  /** JobProgress.last_guard. */
  saveLastGuard(name: string, kind: LateCommitGuardKind): void {
    this.sql.exec(`UPDATE ${JOBS_TABLE} SET last_guard = ? WHERE name = ?`, kind, name);
  }

  /** Adds the rows a first copy in key order wrote (pull/first-copy.ts) to rows_synced; the pull counts its own in saveCursor. */
  countRowsSynced(name: string, rows: number): void {
    this.sql.exec(`UPDATE ${JOBS_TABLE} SET rows_synced = rows_synced + ? WHERE name = ?`, rows, name);
  }

  /** The last run's word on its late-commit watermark (shown in the job's warnings); null when all is well. */
  savePullWarning(name: string, warning: string | null): void {
    this.sql.exec(`UPDATE ${JOBS_TABLE} SET pull_warning = ? WHERE name = ?`, warning, name);
  }

  /** `current`: the replica now holds every row the source committed before `startedAt` (JobProgress.synced_as_of). */
  saveSuccess(
    name: string,
    run: { caughtUp: boolean; current: boolean; currentSince?: number; startedAt: number; endedAt: number },
  ): void {
    this.sql.exec(
      `UPDATE ${JOBS_TABLE} SET caught_up = ?, last_run_at = ?, last_success_at = ?, last_error = NULL,
         consecutive_failures = 0, retry_at = NULL, synced_as_of = coalesce(?, synced_as_of) WHERE name = ?`,
      run.caughtUp ? 1 : 0,
      run.startedAt,
      run.endedAt,
      run.current ? (run.currentSince ?? run.startedAt) : null,
      name,
    );
  }

  /** Records a failed run; answers the number of consecutive failures, this one included. */
  saveFailure(name: string, run: { startedAt: number; error: string; retryAt: (failures: number) => number }): number {
    const failures =
      (this.sql
        .exec<{ n: number }>(`SELECT consecutive_failures AS n FROM ${JOBS_TABLE} WHERE name = ?`, name)
        .toArray()[0]?.n ?? 0) + 1;
    this.sql.exec(
      `UPDATE ${JOBS_TABLE} SET caught_up = 0, last_run_at = ?, last_error = ?, consecutive_failures = ?, retry_at = ?
       WHERE name = ?`,
      run.startedAt,
      run.error,
      failures,
      run.retryAt(failures),
      name,
    );
    return failures;
  }

  /**
   * Back to the start: the next runs copy everything again, and hash rows with `rowHash` (a row
   * still holding a hash of the old formula is one verification finds different, and repairs).
   */
  resetProgress(name: string, rowHash: RowHashFormula): void {
    // A re-copy in progress is dropped too: the runs copy every row again anyway.
    this.sql.exec(
      `UPDATE ${JOBS_TABLE} SET cursor = NULL, caught_up = 0, rows_synced = 0, last_error = NULL,
         consecutive_failures = 0, retry_at = NULL, synced_as_of = NULL, resume_cursor = NULL, resume_since = NULL, row_hash = ?,
         schema_state = json_set(schema_state, '$.recopy', json('null')) WHERE name = ?`,
      rowHash,
      name,
    );
  }

  delete(name: string): void {
    this.sql.exec(`DELETE FROM ${JOBS_TABLE} WHERE name = ?`, name);
    this.sql.exec(`DELETE FROM ${RUNS_TABLE} WHERE job = ?`, name);
  }

  startRun(job: string, trigger: RunTrigger, startedAt: number): number {
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
    run: {
      rows: number;
      pages: number;
      done?: boolean;
      error?: string | null;
      ended_at?: number;
      note?: string | null;
    },
  ): void {
    this.sql.exec(
      `UPDATE ${RUNS_TABLE} SET rows = ?, pages = ?, done = coalesce(?, done), error = coalesce(?, error),
         ended_at = coalesce(?, ended_at), note = coalesce(?, note) WHERE id = ?`,
      run.rows,
      run.pages,
      run.done === undefined ? null : run.done ? 1 : 0,
      run.error ?? null,
      run.ended_at ?? null,
      run.note ?? null,
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

  runs(job: string, limit = RUNS_KEPT): RunRecord[] {
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
        schema_changes: string | null;
        verify: string | null;
        note: string | null;
      }>(
        `SELECT id, trigger, started_at, ended_at, rows, pages, done, error, schema_changes, verify, note FROM ${RUNS_TABLE}
          WHERE job = ? ORDER BY id DESC LIMIT ?`,
        job,
        limit,
      )
      .toArray()
      .map((r) => ({
        id: r.id,
        trigger: r.trigger === "manual" || r.trigger === "reconcile" ? r.trigger : "cron",
        started_at: new Date(r.started_at).toISOString(),
        ended_at: r.ended_at === null ? null : new Date(r.ended_at).toISOString(),
        rows: r.rows,
        pages: r.pages,
        done: r.done === 1,
        error: r.error,
        schema_changes: parseSchemaChanges(r.schema_changes),
        ...(r.trigger === "reconcile" ? { verify: parseRunCounts(r.verify) } : {}),
        note: r.note,
      }));
  }
}
