import type { DurablePart } from "../../src/plugin";

/** What a handler receives when a task fires. */
export interface CronEvent {
  name: string;
  cronTab: string;
  payload: unknown;
  /** The slot the run was due at (ms since epoch); earlier than now when a tick was missed. */
  scheduledAt: number;
}

export type CronHandler = (event: CronEvent) => void | Promise<void>;

/** A task as the API shows it. Times are ISO strings (UTC). */
export interface CronTask {
  name: string;
  cron_tab: string;
  payload: unknown;
  enabled: boolean;
  /** Null while the task is paused. */
  next_run_at: string | null;
  last_run_at: string | null;
  last_error: string | null;
  running: boolean;
}

/**
 * The scheduler inside the Durable Object. Other plugins reach it with
 * `host.part<CronApi>("cron")` and never set the alarm themselves.
 */
export interface CronApi extends DurablePart {
  /**
   * Adds or replaces (same name) a task; validates the expression first (ValidationError,
   * nothing stored). A replaced task keeps its pause state, history and, when the
   * expression is unchanged, its next run (so re-registering at start-up never drops a
   * missed tick). Re-arms the alarm.
   */
  addEvent(cronTab: string, name: string, payload?: unknown): CronTask;
  removeEvent(name: string): boolean;
  /** Handlers receive events whose task name starts with `prefix` (all events when omitted). */
  onEvent(handler: CronHandler, options?: { prefix?: string }): void;
  /**
   * Asks for an immediate (follow-up) run: as soon as possible, or right after the
   * current run if one is running. Ignored while the task is paused.
   */
  requestRun(name: string): void;
  pause(name: string): void;
  resume(name: string): void;
  getTask(name: string): CronTask | undefined;
  listTasks(): CronTask[];
}
