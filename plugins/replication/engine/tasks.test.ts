import { describe, expect, it } from "vitest";
import type { JobScheduler, JobTask } from "./host";
import type { JobSettings } from "./settings";
import { checkReconcileCron, scheduleTasks, unscheduleTasks } from "./tasks";

function recorder() {
  const calls: string[] = [];
  const name = (t: JobTask) => `${t.job}:${t.kind}`;
  const scheduler: JobScheduler = {
    schedule: (t, cron, active) => void calls.push(`schedule ${name(t)} ${cron} ${active}`),
    unschedule: (t) => void calls.push(`unschedule ${name(t)}`),
    runSoon: (t) => void calls.push(`soon ${name(t)}`),
    nextRunAt: () => null,
  };
  return { calls, scheduler };
}

const settings = { name: "j", cron_tab: "* * * * *", active: true } as JobSettings;

describe("scheduleTasks", () => {
  it("schedules the reconcile task next to the sync task, and removes it when reconcile_cron is null", () => {
    const { calls, scheduler } = recorder();
    scheduleTasks(scheduler, { ...settings, reconcile_cron: "0 3 * * *" });
    scheduleTasks(scheduler, { ...settings, active: false, reconcile_cron: "0 3 * * *" });
    scheduleTasks(scheduler, { ...settings, reconcile_cron: null });
    unscheduleTasks(scheduler, "j");
    expect(calls).toEqual([
      "schedule j:sync * * * * * true",
      "schedule j:reconcile 0 3 * * * true",
      "schedule j:sync * * * * * false",
      "schedule j:reconcile 0 3 * * * false",
      "schedule j:sync * * * * * true",
      "unschedule j:reconcile",
      "unschedule j:sync",
      "unschedule j:reconcile",
    ]);
  });
});

describe("checkReconcileCron", () => {
  it("normalizes a valid expression, keeps null and absence, and names the field of a bad one", () => {
    expect(checkReconcileCron("0  3 * * *")).toBe("0 3 * * *");
    expect(checkReconcileCron(null)).toBeNull();
    expect(checkReconcileCron(undefined)).toBeUndefined();
    expect(() => checkReconcileCron("every night")).toThrow(/^reconcile_cron: invalid cron expression/);
  });
});
