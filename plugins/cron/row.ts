import { ValidationError } from "../../src/errors";
import type { CronTask } from "./types";

/** One row of `tmp_cron_tasks`, as stored. Times are ms since epoch; flags are 0 or 1. */
export type CronTaskRow = {
  name: string;
  cron_tab: string;
  /** JSON text. */
  payload: string;
  enabled: number;
  /** Null while paused. May be in the past: the task is overdue and runs at the next alarm. */
  next_run_at: number | null;
  last_run_at: number | null;
  last_error: string | null;
  /** 1 when a run was requested while the task was running: it runs again right after. */
  follow_up: number;
  created_at: number;
  updated_at: number;
};

/** The only way a stored row becomes an API value: storage columns never leak out. */
export function toCronTask(row: CronTaskRow, running: boolean): CronTask {
  return {
    name: row.name,
    cron_tab: row.cron_tab,
    payload: JSON.parse(row.payload) as unknown,
    enabled: row.enabled === 1,
    next_run_at: isoOrNull(row.next_run_at),
    last_run_at: isoOrNull(row.last_run_at),
    last_error: row.last_error,
    running,
  };
}

function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

const MAX_NAME_LENGTH = 200;

export function validateTaskName(name: unknown): string {
  if (typeof name !== "string" || name.length === 0 || name.length > MAX_NAME_LENGTH) {
    throw new ValidationError(`task name must be a non-empty string of at most ${MAX_NAME_LENGTH} characters`);
  }
  return name;
}

/** The payload as JSON text; `undefined` is stored as null. */
export function serializePayload(name: string, payload: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(payload === undefined ? null : payload);
  } catch {
    text = undefined;
  }
  if (text === undefined) throw new ValidationError(`payload of task "${name}" must be JSON-serializable`);
  return text;
}
