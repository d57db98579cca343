import type { Migration } from "../../src/plugin";
import type { CronTaskRow } from "./row";

const TABLE = "tmp_cron_tasks";

export const CRON_MIGRATIONS: readonly Migration[] = [
  {
    id: "cron/001-tasks",
    sql: `CREATE TABLE ${TABLE} (
      name TEXT PRIMARY KEY,
      cron_tab TEXT NOT NULL,
      payload TEXT NOT NULL DEFAULT 'null',
      enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
      next_run_at INTEGER,
      last_run_at INTEGER,
      last_error TEXT,
      follow_up INTEGER NOT NULL DEFAULT 0 CHECK (follow_up IN (0, 1)),
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    )`,
  },
];

/** Thin SQL access to the task table; no scheduling decisions live here. */
export class CronStore {
  constructor(private readonly sql: SqlStorage) {}

  list(): CronTaskRow[] {
    return this.sql.exec<CronTaskRow>(`SELECT * FROM ${TABLE} ORDER BY name`).toArray();
  }

  get(name: string): CronTaskRow | undefined {
    return this.sql.exec<CronTaskRow>(`SELECT * FROM ${TABLE} WHERE name = ?`, name).toArray()[0];
  }

  upsert(task: Pick<CronTaskRow, "name" | "cron_tab" | "payload" | "enabled" | "next_run_at">, now: number): void {
    this.sql.exec(
      `INSERT INTO ${TABLE} (name, cron_tab, payload, enabled, next_run_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET cron_tab = excluded.cron_tab, payload = excluded.payload,
         enabled = excluded.enabled, next_run_at = excluded.next_run_at, updated_at = excluded.updated_at`,
      task.name,
      task.cron_tab,
      task.payload,
      task.enabled,
      task.next_run_at,
      now,
      now,
    );
  }

  delete(name: string): boolean {
    return this.sql.exec(`DELETE FROM ${TABLE} WHERE name = ?`, name).rowsWritten > 0;
  }

  /** Sets the schedule; `follow_up` is cleared unless given. */
  setSchedule(name: string, schedule: Pick<CronTaskRow, "enabled" | "next_run_at">, now: number, followUp = 0): void {
    this.sql.exec(
      `UPDATE ${TABLE} SET enabled = ?, next_run_at = ?, follow_up = ?, updated_at = ? WHERE name = ?`,
      schedule.enabled,
      schedule.next_run_at,
      followUp,
      now,
      name,
    );
  }

  pauseWithError(name: string, error: string, now: number): void {
    this.sql.exec(
      `UPDATE ${TABLE} SET enabled = 0, next_run_at = NULL, follow_up = 0, last_error = ?, updated_at = ? WHERE name = ?`,
      error,
      now,
      name,
    );
  }

  setFollowUp(name: string, now: number): void {
    this.sql.exec(`UPDATE ${TABLE} SET follow_up = 1, updated_at = ? WHERE name = ?`, now, name);
  }

  recordRun(name: string, outcome: Pick<CronTaskRow, "last_run_at" | "last_error" | "next_run_at">, now: number): void {
    this.sql.exec(
      `UPDATE ${TABLE} SET last_run_at = ?, last_error = ?, next_run_at = ?, follow_up = 0, updated_at = ?
       WHERE name = ?`,
      outcome.last_run_at,
      outcome.last_error,
      outcome.next_run_at,
      now,
      name,
    );
  }

  /** Follow-ups whose run was cut short by eviction become due now (nothing runs at start-up). */
  releaseInterruptedFollowUps(now: number): void {
    this.sql.exec(
      `UPDATE ${TABLE} SET next_run_at = ?, follow_up = 0, updated_at = ? WHERE follow_up = 1 AND enabled = 1`,
      now,
      now,
    );
  }
}
