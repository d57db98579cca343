/**
 * The Durable Object half of the StarbaseDB host. `withReplication` subclasses
 * StarbaseDB's own `StarbaseDBDurableObject` (exported under the same name, it
 * keeps working with StarbaseDB's wrangler.toml): the replication engine lives
 * in the object next to its SQLite, so a page's rows and its cursor commit in one
 * transaction and one in-memory guard keeps runs of a job from overlapping.
 */
import { toErrorPayload } from "../../../../src/errors";
import { applyMigrations } from "../../../../src/migrations";
import { withSource } from "../../../../src/sources";
import { nextRun } from "../../../cron/expression";
import { type EngineMethod, ReplicationEngine } from "../../engine/engine";
import { type JobScheduler, type JobTask, taskName, taskOfName } from "../../engine/host";
import { type CallMethod, type CallResult, RPC_METHOD, type ScheduleEffect } from "./protocol";

/** StarbaseDB's Durable Object class: constructed with (ctx, env), its `init()` answers the RPC methods. */
// A mixin's base must be typed with a rest parameter of any[] (TypeScript's rule for mixins).
type DurableObjectClass = new (...args: any[]) => { init(): object };

/** The subclass to export as `StarbaseDBDurableObject` from StarbaseDB's src/index.ts. */
export function withReplication<Base extends DurableObjectClass>(base: Base) {
  return class ReplicationDurableObject extends base {
    readonly replication: StarbaseReplication;

    constructor(...args: any[]) {
      super(...args);
      const [ctx, env] = args as [DurableObjectState, Record<string, unknown>];
      this.replication = new StarbaseReplication(ctx, env);
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

  constructor(ctx: DurableObjectState, env: Record<string, unknown>) {
    this.outbox = new OutboxScheduler(ctx.storage.sql);
    this.engine = new ReplicationEngine({
      sql: ctx.storage.sql,
      transaction: (work) => ctx.storage.transactionSync(work),
      binding: (name) => env[name],
      connect: withSource,
      scheduler: this.outbox,
    });
    this.ready = ctx.blockConcurrencyWhile(async () => {
      applyMigrations(ctx.storage, this.engine.migrations);
      await this.engine.start();
    });
  }

  async call(method: CallMethod, input: unknown): Promise<CallResult> {
    try {
      await this.ready;
      const value = method === "tick" ? await this.tick(input) : await this.engine.rpc[method as EngineMethod](input);
      return { ok: true, value: value ?? null, effects: this.outbox.drain() };
    } catch (error) {
      return { ok: false, error: toErrorPayload(error), effects: this.outbox.drain() };
    }
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
