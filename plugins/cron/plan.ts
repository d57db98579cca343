import { nextRun } from "./expression";
import type { CronTaskRow } from "./row";

/**
 * Scheduling decisions as pure functions of plain data and a clock reading.
 * The scheduler reads rows, asks these functions, and writes back what they say.
 */

export type Schedule = Pick<CronTaskRow, "name" | "cron_tab" | "enabled" | "next_run_at">;

export function isDue(task: Schedule, now: number): boolean {
  return task.enabled === 1 && task.next_run_at !== null && task.next_run_at <= now;
}

/** Enabled tasks whose next run is now or overdue (however long ago). */
export function dueTasks<T extends Schedule>(tasks: readonly T[], now: number): T[] {
  return tasks.filter((task) => isDue(task, now));
}

/**
 * When the alarm must fire: the earliest next run of an enabled task, overdue ones
 * included (they are the ones that matter after a restart). Null: delete the alarm.
 */
export function planNextAlarm(tasks: readonly Schedule[]): number | null {
  let earliest: number | null = null;
  for (const task of tasks) {
    if (task.enabled !== 1 || task.next_run_at === null) continue;
    if (earliest === null || task.next_run_at < earliest) earliest = task.next_run_at;
  }
  return earliest;
}

export interface Claim<T> {
  task: T;
  /** The slot the task was due at. */
  scheduledAt: number;
  /** Its next run, computed from now: a task that missed many ticks runs once, then continues on schedule. */
  nextRunAt: number | null;
  /** False when the previous run is still going: the task is not started again and waits for its next tick. */
  start: boolean;
  /** Set when the stored expression no longer yields a next run: the task is paused with this error, not run. */
  broken?: string;
}

/** What an alarm at `now` does with each due task. One broken task never stops the others. */
export function planDispatch<T extends Schedule>(
  tasks: readonly T[],
  now: number,
  running: ReadonlySet<string>,
): Claim<T>[] {
  return dueTasks(tasks, now).map((task) => {
    const scheduledAt = task.next_run_at!;
    try {
      return { task, scheduledAt, nextRunAt: nextRun(task.cron_tab, now), start: !running.has(task.name) };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return {
        task,
        scheduledAt,
        nextRunAt: null,
        start: false,
        broken: `cannot compute the next run: ${reason}; task paused`,
      };
    }
  });
}

/**
 * The schedule of a task being added or replaced. A new task starts enabled at its next
 * tick. A replaced one keeps its pause state, and its pending (maybe overdue) next run
 * while the expression is unchanged.
 */
export function scheduleOnUpsert(
  existing: Pick<CronTaskRow, "cron_tab" | "enabled" | "next_run_at"> | undefined,
  cronTab: string,
  now: number,
): Pick<CronTaskRow, "enabled" | "next_run_at"> {
  if (!existing) return { enabled: 1, next_run_at: nextRun(cronTab, now) };
  if (existing.enabled !== 1) return { enabled: 0, next_run_at: null };
  if (existing.cron_tab === cronTab) return { enabled: 1, next_run_at: existing.next_run_at };
  return { enabled: 1, next_run_at: nextRun(cronTab, now) };
}

/** The next run once a run has finished: now when a follow-up was requested meanwhile. */
export function nextRunAfterRun(
  task: Pick<CronTaskRow, "enabled" | "follow_up" | "next_run_at">,
  now: number,
): number | null {
  return task.enabled === 1 && task.follow_up === 1 ? now : task.next_run_at;
}
