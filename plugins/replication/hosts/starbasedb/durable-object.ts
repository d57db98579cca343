/**
 * The Durable Object half of the StarbaseDB host. `withReplication` subclasses
 * StarbaseDB's own `StarbaseDBDurableObject` (exported under the same name, it
 * keeps working with StarbaseDB's wrangler.toml): the replication engine lives
 * in the object next to its SQLite, so a page's rows and its cursor commit in one
 * transaction and one in-memory guard keeps runs of a job from overlapping.
 */
import { toErrorPayload, ValidationError } from "../../../../src/errors";
import { authorizeClientText, ClientAuthorizer } from "../../../../src/query/authorize";
import type { SqlParam } from "../../../../src/query/types";
import { applyMigrations } from "../../../../src/migrations";
import { openSource } from "../../../../src/sources";
import { nextRun } from "../../../cron/expression";
import { ReplicationEngine } from "../../engine/engine";
import { type JobScheduler, type JobTask, taskName, taskOfName } from "../../engine/host";
import { type CallMethod, type CallResult, RPC_METHOD, type ScheduleEffect } from "./protocol";

/** StarbaseDB's Durable Object class: constructed with (ctx, env), its `init()` answers the RPC methods. */
// A mixin's base must be typed with a rest parameter of any[] (TypeScript's rule for mixins).
type DurableObjectClass = new (...args: any[]) => { init(): object };

/** The earliest an alarm may be set: soon, but never in the past. */
const ALARM_FLOOR_MS = 10;

/**
 * The subclass to export as `StarbaseDBDurableObject` from StarbaseDB's src/index.ts.
 *
 * It also sets the alarm when StarbaseDB's CronPlugin asks, where StarbaseDB's own
 * `setAlarm` moves it at least 1 s from now: the CronPlugin re-arms on every request, so
 * under steady traffic (a request every second or so) each tick was pushed back again
 * and again and none ever fired.
 */
export function withReplication<Base extends DurableObjectClass>(base: Base) {
  return class ReplicationDurableObject extends base {
    readonly replication: StarbaseReplication;
    readonly #storage: DurableObjectStorage;

    constructor(...args: any[]) {
      super(...args);
      const [ctx, env] = args as [DurableObjectState, Record<string, unknown>];
      this.#storage = ctx.storage;
      this.replication = new StarbaseReplication(ctx, env);
    }

    async setAlarm(scheduledTime: number | Date, options?: DurableObjectSetAlarmOptions): Promise<void> {
      const at = scheduledTime instanceof Date ? scheduledTime.getTime() : scheduledTime;
      await this.#storage.setAlarm(Math.max(at, Date.now() + ALARM_FLOOR_MS), options);
    }

    override init() {
      return {
        ...super.init(),
        [RPC_METHOD]: (method: CallMethod, input: unknown) => this.replication.call(method, input),
      };
    }
  };
}

/** The engine inside StarbaseDB's Durable Object, answering the worker's calls with the scheduling they asked for. */
export class StarbaseReplication {
  readonly engine: ReplicationEngine;
  private readonly outbox: OutboxScheduler;
  private readonly ready: Promise<void>;
  private readonly storage: DurableObjectStorage;
  private readonly authorizer: ClientAuthorizer;

  constructor(ctx: DurableObjectState, env: Record<string, unknown>) {
    this.storage = ctx.storage;
    this.outbox = new OutboxScheduler(ctx.storage.sql);
    this.engine = new ReplicationEngine({
      sql: ctx.storage.sql,
      transaction: (work) => ctx.storage.transactionSync(work),
      binding: (name) => env[name],
      open: openSource,
      scheduler: this.outbox,
    });
    // StarbaseDB pins wrangler 3, whose workerd has no node:net `onread`: MySQL reads with the defaults.
    this.engine.tuning.sourceOptions = { ...this.engine.tuning.sourceOptions, largeReads: false };
    this.authorizer = new ClientAuthorizer(
      ctx.storage.sql,
      () => new Map(this.engine.readOnlyTables().map(([table, owner]) => [table.toLowerCase(), owner])),
    );
    this.ready = ctx.blockConcurrencyWhile(async () => {
      applyMigrations(ctx.storage, this.engine.migrations);
      await this.engine.start();
    });
  }

  async call(method: CallMethod, input: unknown): Promise<CallResult> {
    try {
      await this.ready;
      const value =
        method === "tick"
          ? await this.tick(input)
          : method === "authorize"
            ? this.authorize(input)
            : await this.engine.rpc[method](input);
      return { ok: true, value: value ?? null, effects: this.outbox.drain() };
    } catch (error) {
      return { ok: false, error: toErrorPayload(error), effects: this.outbox.drain() };
    }
  }

  /** The same rules for the client role as in this project's host (src/query/policy.ts), judged without running. */
  private authorize(input: unknown): null {
    const { sql, params } = input as { sql: unknown; params?: unknown };
    if (typeof sql !== "string") throw new ValidationError("sql must be a string");
    if (params !== undefined && !Array.isArray(params)) {
      throw new ValidationError("the client role's params must be an array");
    }
    authorizeClientText(this.storage, this.authorizer, sql, (params ?? []) as SqlParam[]);
    return null;
  }

  private tick(input: unknown): Promise<void> {
    const task = typeof input === "string" ? taskOfName(input) : undefined;
    return task ? this.engine.tick(task) : Promise.resolve();
  }
}

/**
 * The engine's scheduler in StarbaseDB: what the engine asks for is queued and
 * handed back with the call's result; the worker applies it through StarbaseDB's
 * CronPlugin. Next runs are read from StarbaseDB's own task table.
 */
class OutboxScheduler implements JobScheduler {
  private effects: ScheduleEffect[] = [];

  constructor(private readonly sql: SqlStorage) {}

  schedule(task: JobTask, cronTab: string, active: boolean): void {
    this.effects.push({ type: "schedule", task, cronTab, active });
  }

  unschedule(task: JobTask): void {
    this.effects.push({ type: "unschedule", task });
  }

  runSoon(task: JobTask): void {
    this.effects.push({ type: "runSoon", task });
  }

  nextRunAt(task: JobTask): string | null {
    // The task table is StarbaseDB's (its CronPlugin creates it on its first request).
    let row: { cron_tab: string } | undefined;
    try {
      row = this.sql
        .exec<{ cron_tab: string }>("SELECT cron_tab FROM tmp_cron_tasks WHERE name = ?", taskName(task))
        .toArray()[0];
    } catch {
      return null;
    }
    const at = row ? nextRun(row.cron_tab, Date.now()) : null;
    return at === null ? null : new Date(at).toISOString();
  }

  drain(): ScheduleEffect[] {
    const drained = this.effects;
    this.effects = [];
    return drained;
  }
}
