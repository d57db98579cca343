import { NotFoundError } from "../../src/errors";
import type { DurableHost } from "../../src/plugin";
import { nextRun, validateCronExpression } from "./expression";
import { describeFailure, HandlerRegistry } from "./handlers";
import { type Claim, nextRunAfterRun, planDispatch, planNextAlarm, scheduleOnUpsert } from "./plan";
import { runWithConcurrency } from "./pool";
import { type CronTaskRow, serializePayload, toCronTask, validateTaskName } from "./row";
import { CRON_MIGRATIONS, CronStore } from "./store";
import type { CronApi, CronHandler, CronTask } from "./types";

/** How many handlers one alarm runs at the same time; all due tasks still run in that alarm. */
export const CRON_CONCURRENCY = 4;

/**
 * The cron plugin's part inside the Durable Object: owns the object's single alarm
 * and multiplexes every task onto it. Handlers run in-process; nothing goes over HTTP.
 */
export class CronScheduler implements CronApi {
  readonly migrations = CRON_MIGRATIONS;
  readonly rpc = { listTasks: () => this.listTasks() };

  private readonly store: CronStore;
  private readonly handlers = new HandlerRegistry();
  /** Tasks claimed by an alarm and not finished. In memory: an eviction cannot leave a task stuck. */
  private readonly running = new Set<string>();

  constructor(
    private readonly host: DurableHost,
    private readonly clock: () => number = Date.now,
  ) {
    this.store = new CronStore(host.sql);
  }

  async onStart(): Promise<void> {
    this.store.releaseInterruptedFollowUps(this.clock());
    await this.arm();
  }

  async onAlarm(): Promise<void> {
    try {
      const claims = this.claimDue(this.clock());
      // Armed before any handler runs: a handler that never returns, or an eviction, cannot end the chain.
      await this.arm();
      await runWithConcurrency(
        claims.filter((c) => c.start),
        CRON_CONCURRENCY,
        (claim) => this.run(claim),
      );
    } finally {
      // Whatever happened. A scheduler failure is re-thrown after this, so the platform retries the alarm.
      await this.arm();
    }
  }

  addEvent(cronTab: string, name: string, payload?: unknown): CronTask {
    const expression = validateCronExpression(cronTab);
    const taskName = validateTaskName(name);
    const payloadText = serializePayload(taskName, payload);
    const now = this.clock();
    const schedule = scheduleOnUpsert(this.store.get(taskName), expression, now);
    this.store.upsert({ name: taskName, cron_tab: expression, payload: payloadText, ...schedule }, now);
    this.rearm();
    return this.getTask(taskName)!;
  }

  removeEvent(name: string): boolean {
    const removed = this.store.delete(name);
    if (removed) this.rearm();
    return removed;
  }

  onEvent(handler: CronHandler, options?: { prefix?: string }): void {
    this.handlers.add(handler, options?.prefix);
  }

  requestRun(name: string): void {
    const task = this.require(name);
    if (task.enabled !== 1) return;
    const now = this.clock();
    if (this.running.has(name)) this.store.setFollowUp(name, now);
    else this.store.setSchedule(name, { enabled: 1, next_run_at: now }, now);
    this.rearm();
  }

  pause(name: string): void {
    this.require(name);
    this.store.setSchedule(name, { enabled: 0, next_run_at: null }, this.clock());
    this.rearm();
  }

  resume(name: string): void {
    const task = this.require(name);
    if (task.enabled === 1) return;
    const now = this.clock();
    this.store.setSchedule(name, { enabled: 1, next_run_at: nextRun(task.cron_tab, now) }, now);
    this.rearm();
  }

  getTask(name: string): CronTask | undefined {
    const row = this.store.get(name);
    return row && toCronTask(row, this.running.has(name));
  }

  listTasks(): CronTask[] {
    return this.store.list().map((row) => toCronTask(row, this.running.has(row.name)));
  }

  /** Persists every due task's next run, and marks the ones to start as running, in one go. */
  private claimDue(now: number): Claim<CronTaskRow>[] {
    const claims = this.host.storage.transactionSync(() => {
      const plan = planDispatch(this.store.list(), now, this.running);
      for (const { task, nextRunAt, start, broken } of plan) {
        if (broken !== undefined) this.store.pauseWithError(task.name, broken, now);
        // A run that starts now answers any pending follow-up; a skipped one keeps it.
        else this.store.setSchedule(task.name, { enabled: 1, next_run_at: nextRunAt }, now, start ? 0 : task.follow_up);
      }
      return plan;
    });
    for (const claim of claims) if (claim.start) this.running.add(claim.task.name);
    return claims;
  }

  private async run({ task, scheduledAt }: Claim<CronTaskRow>): Promise<void> {
    const startedAt = this.clock();
    let error: string | null;
    try {
      error = await this.handlers.deliver({
        name: task.name,
        cronTab: task.cron_tab,
        payload: JSON.parse(task.payload) as unknown,
        scheduledAt,
      });
    } catch (failure) {
      error = describeFailure(failure);
    } finally {
      this.running.delete(task.name);
    }
    const now = this.clock();
    const current = this.store.get(task.name);
    if (!current) return; // removed while it ran
    const next = nextRunAfterRun(current, now);
    this.store.recordRun(task.name, { last_run_at: startedAt, last_error: error, next_run_at: next }, now);
    if (next !== current.next_run_at) await this.arm(); // a follow-up runs right after, not after the whole alarm
  }

  private require(name: string): CronTaskRow {
    const task = this.store.get(name);
    if (!task) throw new NotFoundError(`cron task "${name}" does not exist`);
    return task;
  }

  /** Sets the alarm to the earliest next run of an enabled task, overdue included; deletes it when none. */
  private arm(): Promise<void> {
    const at = planNextAlarm(this.store.list());
    return at === null ? this.host.storage.deleteAlarm() : this.host.storage.setAlarm(at);
  }

  /** For synchronous API calls: the alarm write is queued now, in order with other storage writes. */
  private rearm(): void {
    this.arm().catch((error: unknown) => console.error("cron: could not set the alarm:", describeFailure(error)));
  }
}
