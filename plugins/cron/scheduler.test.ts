import { evictDurableObject, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { CronScheduler } from "./scheduler";
import {
  backdate,
  expectAlarmArmed,
  expectAlarmAt,
  fireUntil,
  freshObject,
  MONTHLY,
  OVERDUE,
  startBlockedRun,
  withCron,
  YEARLY,
} from "./testing";
import type { CronEvent } from "./types";

const HOUR = 3_600_000;

describe("alarm dispatch", () => {
  it("runs 60 tasks due at the same instant in one alarm, at most 4 at a time", async () => {
    const stub = freshObject();
    const ran = new Set<string>();
    let active = 0;
    let peak = 0;
    await withCron(stub, (cron) => {
      cron.onEvent(
        async (event) => {
          active++;
          peak = Math.max(peak, active);
          await new Promise((resolve) => setTimeout(resolve, 1));
          ran.add(event.name);
          active--;
        },
        { prefix: "bulk:" },
      );
      for (let i = 0; i < 60; i++) cron.addEvent(YEARLY, `bulk:${i}`, { i });
    });
    await backdate(stub, OVERDUE);

    expect(await runDurableObjectAlarm(stub)).toBe(true);

    expect(ran.size).toBe(60);
    expect(peak).toBeGreaterThan(1);
    expect(peak).toBeLessThanOrEqual(4);
    const tasks = await withCron(stub, (cron) => cron.listTasks());
    expect(tasks.every((t) => t.last_error === null && t.last_run_at !== null && !t.running)).toBe(true);
    expect(new Set(tasks.map((t) => t.next_run_at)).size).toBe(1);
    expect(Date.parse(tasks[0]!.next_run_at!)).toBeGreaterThan(Date.now());
    await expectAlarmArmed(stub);
  });

  it("records a throwing, a rejecting and an unhandled task's error; the healthy ones run; the next alarm is set", async () => {
    const stub = freshObject();
    const events: CronEvent[] = [];
    await withCron(stub, (cron) => {
      cron.onEvent((event) => void events.push(event), { prefix: "ok:" });
      cron.onEvent(
        (event) => {
          if (event.name === "bad:throw") throw new Error("thrown\n    at handler (secret.ts:1:1)");
          return Promise.reject(new TypeError("rejected"));
        },
        { prefix: "bad:" },
      );
      for (const name of ["ok:a", "bad:throw", "ok:b", "bad:reject", "orphan"]) cron.addEvent(YEARLY, name, name);
    });
    await backdate(stub, OVERDUE);

    expect(await runDurableObjectAlarm(stub)).toBe(true);

    expect(events.map((e) => [e.name, e.payload, e.cronTab])).toEqual([
      ["ok:a", "ok:a", YEARLY],
      ["ok:b", "ok:b", YEARLY],
    ]);
    const errors = await withCron(stub, (cron) => cron.listTasks().map((t) => [t.name, t.last_error]));
    expect(Object.fromEntries(errors)).toEqual({
      "bad:reject": "rejected",
      "bad:throw": "thrown",
      "ok:a": null,
      "ok:b": null,
      orphan: "no handler registered",
    });
    expect(await expectAlarmArmed(stub)).toBeGreaterThan(Date.now());
  });

  it("clears last_error once the task succeeds", async () => {
    const stub = freshObject();
    let fail = true;
    await withCron(stub, (cron) => {
      cron.onEvent(() => {
        if (fail) throw new Error("first time fails");
      });
      cron.addEvent(YEARLY, "flaky");
    });
    await backdate(stub, OVERDUE);
    await runDurableObjectAlarm(stub);
    expect((await withCron(stub, (cron) => cron.getTask("flaky")))?.last_error).toBe("first time fails");
    fail = false;
    await backdate(stub, OVERDUE);
    await runDurableObjectAlarm(stub);
    expect((await withCron(stub, (cron) => cron.getTask("flaky")))?.last_error).toBeNull();
  });

  it("runs a task that missed an hour of ticks once, then continues on its grid from now", async () => {
    const stub = freshObject();
    const events: CronEvent[] = [];
    const added = await withCron(stub, (cron) => {
      cron.onEvent((event) => void events.push(event));
      return cron.addEvent("* * * * *", "minutely");
    });
    await backdate(stub, HOUR);

    await runDurableObjectAlarm(stub);

    expect(events).toHaveLength(1);
    expect(events[0]!.scheduledAt).toBe(Date.parse(added.next_run_at!) - HOUR);
    const task = await withCron(stub, (cron) => cron.getTask("minutely"));
    const next = Date.parse(task!.next_run_at!);
    expect(next).toBeGreaterThan(Date.now());
    expect(next).toBeLessThanOrEqual(Date.now() + 60_000);
    expect(next % 60_000).toBe(0);
    await expectAlarmArmed(stub);
  });

  it("supports 6-field expressions with seconds", async () => {
    const stub = freshObject();
    const runs: number[] = [];
    const task = await withCron(stub, (cron) => {
      cron.onEvent((event) => void runs.push(event.scheduledAt));
      return cron.addEvent("*/2 * * * * *", "every-2s");
    });
    const next = Date.parse(task.next_run_at!);
    expect(next - Date.now()).toBeGreaterThan(0);
    expect(next - Date.now()).toBeLessThanOrEqual(2000);
    expect(next % 2000).toBe(0);
    await backdate(stub, 10_000);
    await fireUntil(stub, () => runs.length >= 1);
    const after = await withCron(stub, (cron) => {
      const t = cron.getTask("every-2s")!;
      cron.removeEvent("every-2s"); // stop it firing for the rest of the suite
      return t;
    });
    expect(Date.parse(after.next_run_at!) - Date.now()).toBeLessThanOrEqual(2000);
  });
});

describe("addEvent", () => {
  it.each(["* * * *", "0 0 0 1 1 * 2030", "60 * * * *", "* * * * * * * *", "every minute"])(
    "refuses %j with a ValidationError, stores nothing, leaves the alarm alone",
    async (expression) => {
      const stub = freshObject();
      const outcome = await withCron(stub, async (cron, state) => {
        cron.addEvent(MONTHLY, "existing");
        const before = await state.storage.getAlarm();
        let error: unknown;
        try {
          cron.addEvent(expression, "bad", { x: 1 });
        } catch (e) {
          error = e;
        }
        return { error, before, after: await state.storage.getAlarm(), names: cron.listTasks().map((t) => t.name) };
      });
      expect(outcome.error).toMatchObject({ kind: "validation" });
      expect((outcome.error as Error).message).toContain(`invalid cron expression "${expression}"`);
      expect(outcome.names).toEqual(["existing"]);
      expect(outcome.after).toBe(outcome.before);
    },
  );

  it("replacing a task keeps its pending run when the expression is unchanged, and its pause", async () => {
    const stub = freshObject();
    await withCron(stub, (cron) => cron.addEvent(YEARLY, "t", 1));
    await backdate(stub, OVERDUE);
    const [kept, paused] = await withCron(stub, (cron) => {
      const before = cron.getTask("t")!;
      const kept = cron.addEvent(YEARLY, "t", 2);
      expect(kept.next_run_at).toBe(before.next_run_at);
      expect(kept.payload).toBe(2);
      cron.pause("t");
      return [kept, cron.addEvent(MONTHLY, "t", 3)];
    });
    expect(Date.parse(kept.next_run_at!)).toBeLessThan(Date.now());
    expect(paused).toMatchObject({ enabled: false, next_run_at: null, cron_tab: MONTHLY, payload: 3 });
    await expectAlarmArmed(stub);
  });
});

describe("removeEvent", () => {
  it("a removed task never runs, and the alarm moves to the next task or is deleted", async () => {
    const stub = freshObject();
    const ran: string[] = [];
    const alarms = await withCron(stub, async (cron, state) => {
      cron.onEvent((event) => void ran.push(event.name));
      cron.addEvent(MONTHLY, "soon");
      cron.addEvent(YEARLY, "later");
      const first = await state.storage.getAlarm();
      expect(cron.removeEvent("soon")).toBe(true);
      expect(cron.removeEvent("soon")).toBe(false);
      return { first, second: await state.storage.getAlarm(), later: Date.parse(cron.getTask("later")!.next_run_at!) };
    });
    expect(alarms.second).toBe(alarms.later);
    expect(alarms.second).toBeGreaterThanOrEqual(alarms.first!);
    await expectAlarmArmed(stub);

    await withCron(stub, (cron) => cron.addEvent(YEARLY, "doomed"));
    await backdate(stub, OVERDUE); // both due; the alarm still points at the future
    await withCron(stub, (cron) => cron.removeEvent("doomed")); // re-arms to "later", now overdue
    await fireUntil(stub, () => ran.length > 0);
    expect(ran).toEqual(["later"]);

    await withCron(stub, (cron) => cron.removeEvent("later"));
    expect(await expectAlarmArmed(stub)).toBeNull();
    expect(await runDurableObjectAlarm(stub)).toBe(false);
  });
});

describe("requestRun", () => {
  it("makes the task due now and arms the alarm now", async () => {
    const stub = freshObject();
    let runs = 0;
    await withCron(stub, async (cron, state) => {
      cron.onEvent(() => void runs++);
      cron.addEvent(YEARLY, "t");
      const before = Date.now();
      cron.requestRun("t");
      const next = Date.parse(cron.getTask("t")!.next_run_at!);
      expect(next).toBeGreaterThanOrEqual(before);
      expect(next).toBeLessThanOrEqual(Date.now());
      expectAlarmAt(await state.storage.getAlarm(), next);
    });

    await fireUntil(stub, () => runs === 1);
    expect(runs).toBe(1);
    const task = await withCron(stub, (cron) => cron.getTask("t"));
    expect(Date.parse(task!.next_run_at!)).toBeGreaterThan(Date.now());
    await expectAlarmArmed(stub);
  });

  it("during a run, runs the task again right after it, once", async () => {
    const stub = freshObject();
    const run = await startBlockedRun(stub, "t");

    const during = await withCron(stub, (cron) => {
      cron.requestRun("t");
      cron.requestRun("t");
      return cron.getTask("t")!;
    });
    expect(during.running).toBe(true);
    expect(Date.parse(during.next_run_at!)).toBeGreaterThan(Date.now()); // not due while it runs
    run.release();
    await run.alarm;

    await fireUntil(stub, () => run.runs() === 2);
    await expectAlarmArmed(stub);
    expect(run.runs()).toBe(2);
  });

  it("throws NotFoundError for an unknown task", async () => {
    const error = await withCron(freshObject(), (cron) => {
      try {
        cron.requestRun("nope");
      } catch (e) {
        return e;
      }
    });
    expect(error).toMatchObject({ kind: "not_found" });
  });
});

describe("pause and resume", () => {
  it("a paused task has no next run, does not run and is left out of the alarm; resume reschedules it", async () => {
    const stub = freshObject();
    const ran: string[] = [];
    await withCron(stub, (cron) => {
      cron.onEvent((event) => void ran.push(event.name));
      cron.addEvent(MONTHLY, "paused");
      cron.addEvent(YEARLY, "active");
    });
    await backdate(stub, OVERDUE, ["paused"]);
    const paused = await withCron(stub, (cron) => {
      cron.pause("paused");
      cron.requestRun("paused"); // ignored while paused
      return cron.getTask("paused")!;
    });
    expect(paused).toMatchObject({ enabled: false, next_run_at: null });
    const alarm = await expectAlarmArmed(stub);
    expect(alarm).toBe(Date.parse((await withCron(stub, (cron) => cron.getTask("active")))!.next_run_at!));

    await backdate(stub, OVERDUE, ["active"]);
    await runDurableObjectAlarm(stub);
    expect(ran).toEqual(["active"]);

    const resumed = await withCron(stub, (cron) => {
      cron.resume("paused");
      return cron.getTask("paused")!;
    });
    expect(resumed.enabled).toBe(true);
    expect(Date.parse(resumed.next_run_at!)).toBeGreaterThan(Date.now());
    expect(await expectAlarmArmed(stub)).toBe(Date.parse(resumed.next_run_at!));
  });
});

describe("no overlap", () => {
  it("a task still running is not started again by a later alarm", async () => {
    const stub = freshObject();
    const run = await startBlockedRun(stub, "slow");
    expect((await withCron(stub, (cron) => cron.getTask("slow")))?.running).toBe(true);
    await expectAlarmArmed(stub); // armed before the handler ran

    await backdate(stub, OVERDUE);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(run.runs()).toBe(1);
    const skipped = await withCron(stub, (cron) => cron.getTask("slow")!);
    expect(Date.parse(skipped.next_run_at!)).toBeGreaterThan(Date.now()); // waits for its next tick

    run.release();
    await run.alarm;
    expect(run.runs()).toBe(1);
    expect(await withCron(stub, (cron) => cron.getTask("slow"))).toMatchObject({ running: false, last_error: null });
    await expectAlarmArmed(stub);
  });
});

describe("the alarm chain", () => {
  it("after an eviction, onStart re-arms the lost alarm", async () => {
    const stub = freshObject();
    await withCron(stub, async (cron, state) => {
      cron.addEvent(MONTHLY, "t");
      await state.storage.deleteAlarm();
    });
    await evictDurableObject(stub);
    const next = await withCron(stub, (cron) => Date.parse(cron.getTask("t")!.next_run_at!));
    expect(await expectAlarmArmed(stub)).toBe(next);
  });

  it("a follow-up cut short by an eviction becomes due at restart; nothing is left running", async () => {
    const stub = freshObject();
    await withCron(stub, (cron, state) => {
      cron.addEvent(YEARLY, "interrupted");
      state.storage.sql.exec("UPDATE tmp_cron_tasks SET follow_up = 1 WHERE name = 'interrupted'");
    });
    await evictDurableObject(stub);

    const restarted = await withCron(stub, (cron) => ({ now: Date.now(), task: cron.getTask("interrupted")! }));
    expect(restarted.task.running).toBe(false);
    // Due now, or already run by the alarm that start-up armed.
    const ranOrDue = restarted.task.last_run_at !== null || Date.parse(restarted.task.next_run_at!) <= restarted.now;
    expect(ranOrDue).toBe(true);
    await vi.waitFor(async () => {
      await runDurableObjectAlarm(stub);
      expect((await withCron(stub, (cron) => cron.getTask("interrupted")))?.last_run_at).not.toBeNull();
    });
    expect(await expectAlarmArmed(stub)).toBeGreaterThan(Date.now());
  });

  it("a scheduler failure is re-thrown for the platform to retry, after the alarm is re-armed", async () => {
    const stub = freshObject();
    const result = await withCron(stub, async (cron, state) => {
      cron.addEvent(YEARLY, "t");
      await state.storage.deleteAlarm();
      const storage = new Proxy(state.storage, {
        get(target, prop) {
          if (prop === "transactionSync")
            return () => {
              throw new Error("disk on fire");
            };
          const value = Reflect.get(target, prop);
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
      const scheduler = new CronScheduler({
        sql: state.storage.sql,
        storage,
        env: {} as never,
        part: () => {
          throw new Error("unused");
        },
        lastQueryAt: () => null,
      });
      const failure = await scheduler.onAlarm().then(
        () => null,
        (e: unknown) => (e as Error).message,
      );
      return { failure, alarm: await state.storage.getAlarm(), next: Date.parse(cron.getTask("t")!.next_run_at!) };
    });
    expect(result.failure).toBe("disk on fire");
    expect(result.alarm).toBe(result.next);
  });

  it("a task whose stored expression broke is paused with an error; the others still run", async () => {
    const stub = freshObject();
    const ran: string[] = [];
    await withCron(stub, (cron, state) => {
      cron.onEvent((event) => void ran.push(event.name));
      cron.addEvent(YEARLY, "broken");
      cron.addEvent(YEARLY, "fine");
      state.storage.sql.exec("UPDATE tmp_cron_tasks SET cron_tab = '99 * * * *' WHERE name = 'broken'");
    });
    await backdate(stub, OVERDUE);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(ran).toEqual(["fine"]);
    const broken = await withCron(stub, (cron) => cron.getTask("broken"));
    expect(broken).toMatchObject({
      enabled: false,
      next_run_at: null,
      last_error: expect.stringContaining("next run"),
    });
    await expectAlarmArmed(stub);
  });
});
