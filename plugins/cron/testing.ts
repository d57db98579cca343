import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { expect, vi } from "vitest";
import type { StarbaseDBDurableObject } from "../../src/index";
import type { CronApi } from "./types";

/** Test helpers for the cron suites: each test gets its own Durable Object. */

export type DatabaseStub = DurableObjectStub<StarbaseDBDurableObject>;

export function freshObject(): DatabaseStub {
  const ns = env.DATABASE_DURABLE_OBJECT;
  return ns.get(ns.idFromName(crypto.randomUUID()));
}

/** Runs `fn` inside the object with its cron part and state. */
export function withCron<T>(
  stub: DatabaseStub,
  fn: (cron: CronApi, state: DurableObjectState) => T | Promise<T>,
): Promise<T> {
  return runInDurableObject<StarbaseDBDurableObject, T>(stub, (instance, state) =>
    fn(instance.durablePart<CronApi>("cron"), state),
  );
}

/** Moves time forward for some tasks by back-dating their next run. */
export function backdate(stub: DatabaseStub, ms: number, names?: string[]): Promise<void> {
  return runInDurableObject(stub, (_instance, state) => {
    const filter = names ? ` WHERE name IN (${names.map(() => "?").join(", ")})` : "";
    state.storage.sql.exec(`UPDATE tmp_cron_tasks SET next_run_at = next_run_at - ?${filter}`, ms, ...(names ?? []));
  });
}

/**
 * The invariant: the alarm is the earliest next run of an enabled task, or unset.
 * The platform stores an alarm set in the past as "now" (it fires at once), so an
 * overdue earliest run only has to be matched by an alarm no later than now.
 */
export async function expectAlarmArmed(stub: DatabaseStub): Promise<number | null> {
  return runInDurableObject(stub, async (_instance, state) => {
    const { at } = state.storage.sql
      .exec<{ at: number | null }>("SELECT MIN(next_run_at) AS at FROM tmp_cron_tasks WHERE enabled = 1")
      .one();
    expectAlarmAt(await state.storage.getAlarm(), at);
    return at;
  });
}

export function expectAlarmAt(alarm: number | null, earliest: number | null): void {
  if (earliest === null || earliest > Date.now()) return void expect(alarm).toBe(earliest);
  expect(alarm).toBeGreaterThanOrEqual(earliest);
  expect(alarm).toBeLessThanOrEqual(Date.now());
}

/**
 * For alarms armed "now", which the platform may fire on its own first: fires the
 * alarm until `done()` holds, whoever runs it.
 */
export async function fireUntil(stub: DatabaseStub, done: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !done(); i++) {
    await runDurableObjectAlarm(stub);
    if (!done()) await new Promise((resolve) => setTimeout(resolve, 5));
  }
  expect(done()).toBe(true);
}

/** Rarely fires on its own, so only the test's back-dating makes it due. */
export const YEARLY = "0 0 1 1 *";
export const MONTHLY = "0 0 1 * *";
/** Enough back-dating to make a YEARLY task overdue. */
export const OVERDUE = 400 * 24 * 3_600_000;

/**
 * Adds a YEARLY task whose first run blocks until `release()`, makes it due and fires
 * the alarm; answers once that run has started (the alarm is still going).
 */
export async function startBlockedRun(stub: DatabaseStub, name: string) {
  let release!: () => void;
  const blocked = new Promise<void>((resolve) => (release = resolve));
  let runs = 0;
  await withCron(stub, (cron) => {
    cron.onEvent(async () => {
      runs++;
      if (runs === 1) await blocked;
    });
    cron.addEvent(YEARLY, name);
  });
  await backdate(stub, OVERDUE);
  const alarm = runDurableObjectAlarm(stub);
  await vi.waitFor(() => expect(runs).toBe(1));
  return { runs: () => runs, release, alarm };
}
