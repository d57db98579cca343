import { describe, expect, it } from "vitest";
import { dueTasks, nextRunAfterRun, planDispatch, planNextAlarm, scheduleOnUpsert, type Schedule } from "./plan";

const NOW = Date.parse("2024-01-01T12:00:30Z");
const task = (name: string, next_run_at: number | null, enabled = 1, cron_tab = "* * * * *"): Schedule => ({
  name,
  cron_tab,
  enabled,
  next_run_at,
});

describe("dueTasks", () => {
  it("keeps enabled tasks due now or overdue, however long ago", () => {
    const tasks = [
      task("now", NOW),
      task("hour-late", NOW - 3_600_000),
      task("future", NOW + 1),
      task("paused", NOW - 1, 0),
      task("unscheduled", null),
    ];
    expect(dueTasks(tasks, NOW).map((t) => t.name)).toEqual(["now", "hour-late"]);
  });
});

describe("planNextAlarm", () => {
  it("is the earliest next run of an enabled task, overdue included", () => {
    expect(planNextAlarm([task("a", NOW + 60_000), task("b", NOW - 3_600_000), task("c", NOW + 5)])).toBe(
      NOW - 3_600_000,
    );
  });

  it("ignores paused and unscheduled tasks", () => {
    expect(planNextAlarm([task("p", NOW - 10, 0), task("n", null), task("a", NOW + 10)])).toBe(NOW + 10);
  });

  it("is null when nothing is scheduled, so the alarm is deleted", () => {
    expect(planNextAlarm([])).toBeNull();
    expect(planNextAlarm([task("p", NOW, 0)])).toBeNull();
  });
});

describe("planDispatch", () => {
  it("runs a task that missed many ticks once, next run from now on the expression's grid", () => {
    const [claim, ...rest] = planDispatch([task("late", NOW - 3_600_000)], NOW, new Set());
    expect(rest).toEqual([]);
    expect(claim).toMatchObject({ scheduledAt: NOW - 3_600_000, start: true });
    expect(claim?.nextRunAt).toBe(Date.parse("2024-01-01T12:01:00Z"));
  });

  it("does not start a task whose previous run is still going, but still moves it to its next tick", () => {
    const claims = planDispatch([task("busy", NOW), task("idle", NOW)], NOW, new Set(["busy"]));
    expect(claims.map((c) => [c.task.name, c.start])).toEqual([
      ["busy", false],
      ["idle", true],
    ]);
    expect(claims[0]?.nextRunAt).toBeGreaterThan(NOW);
  });

  it("marks a task whose stored expression no longer parses as broken instead of throwing", () => {
    const claims = planDispatch([task("bad", NOW, 1, "99 * * * *"), task("good", NOW)], NOW, new Set());
    expect(claims[0]).toMatchObject({ start: false, nextRunAt: null, broken: expect.stringContaining("task paused") });
    expect(claims[1]).toMatchObject({ start: true });
    expect(claims[1]?.broken).toBeUndefined();
  });
});

describe("scheduleOnUpsert", () => {
  it("schedules a new task at its next tick", () => {
    expect(scheduleOnUpsert(undefined, "* * * * *", NOW)).toEqual({
      enabled: 1,
      next_run_at: Date.parse("2024-01-01T12:01:00Z"),
    });
  });

  it("keeps a pending (even overdue) run when the expression is unchanged", () => {
    const existing = { cron_tab: "* * * * *", enabled: 1, next_run_at: NOW - 3_600_000 };
    expect(scheduleOnUpsert(existing, "* * * * *", NOW)).toEqual({ enabled: 1, next_run_at: NOW - 3_600_000 });
  });

  it("reschedules from now when the expression changes", () => {
    const existing = { cron_tab: "* * * * *", enabled: 1, next_run_at: NOW - 3_600_000 };
    expect(scheduleOnUpsert(existing, "0 0 * * *", NOW).next_run_at).toBe(Date.parse("2024-01-02T00:00:00Z"));
  });

  it("keeps a paused task paused", () => {
    expect(scheduleOnUpsert({ cron_tab: "* * * * *", enabled: 0, next_run_at: null }, "0 * * * *", NOW)).toEqual({
      enabled: 0,
      next_run_at: null,
    });
  });
});

describe("nextRunAfterRun", () => {
  it("is now when a follow-up was requested during the run", () => {
    expect(nextRunAfterRun({ enabled: 1, follow_up: 1, next_run_at: NOW + 60_000 }, NOW)).toBe(NOW);
  });

  it("keeps the next tick otherwise, or when the task was paused meanwhile", () => {
    expect(nextRunAfterRun({ enabled: 1, follow_up: 0, next_run_at: NOW + 60_000 }, NOW)).toBe(NOW + 60_000);
    expect(nextRunAfterRun({ enabled: 0, follow_up: 1, next_run_at: null }, NOW)).toBeNull();
  });
});
