/**
 * The worker half of the StarbaseDB host: a plugin with StarbaseDB's shape
 * (`name`, `opts.requiresAuth`, `pathPrefix`, `register(app)`, `beforeQuery`,
 * `afterQuery`) serving the same `/replication/jobs` API as this project's host.
 * Each job is one task of StarbaseDB's own CronPlugin; a task's tick runs the job
 * inside the Durable Object (see durable-object.ts).
 */
import type { Context, Hono } from "hono";
import { AppError, fromErrorPayload } from "../../../../src/errors";
import { registerReplicationRoutes } from "../../api/routes";
import type { EngineMethod } from "../../engine/engine";
import { type JobTask, taskName, taskOfName } from "../../engine/host";
import { type CallMethod, type ReplicationRpc, RPC_METHOD, type ScheduleEffect } from "./protocol";

/** What this plugin uses of StarbaseDB's CronPlugin (plugins/cron in StarbaseDB). */
export interface StarbaseCronPlugin {
  addEvent(cronTab: string, name: string, payload: Record<string, unknown>, callbackHost: string): Promise<void>;
  /** Callbacks get the task's row: its name, and the host its tick calls back. */
  onEvent(
    callback: (event: { name: string; callback_host?: string | null }) => void | Promise<void>,
    ctx?: ExecutionContext,
  ): void;
}

/** What this plugin uses of StarbaseDB's data source (the `dataSource` of its fetch handler). */
export interface StarbaseDataSource {
  rpc: { executeQuery(query: { sql: string; params?: unknown[] }): Promise<unknown> } & Partial<
    Record<typeof RPC_METHOD, ReplicationRpc>
  >;
  executionContext?: ExecutionContext;
}

type StarbaseEnv = { Variables: { config: { role: "admin" | "client" }; dataSource: StarbaseDataSource } };

export interface StarbaseReplicationOptions {
  /** The deployment's CronPlugin instance (the one in StarbaseDB's plugin list). */
  cron: StarbaseCronPlugin;
  /** The request's data source: its `rpc` reaches the Durable Object. */
  dataSource: StarbaseDataSource;
  /** The request's execution context: runs continue after the answer through `waitUntil`. */
  ctx?: ExecutionContext;
}

/** A backlog keeps a tick's runs going this long; the next tick goes on from there. */
const FOLLOW_UP_BUDGET_MS = 20_000;

/** Plugin instances live for one request, as StarbaseDB builds its plugin list per request. */
export class ReplicationPlugin {
  readonly name = "replication";
  readonly opts = { requiresAuth: true };
  readonly pathPrefix = "/replication";
  /** The host StarbaseDB's cron calls back (this worker's origin), from the request or the firing task. */
  private callbackHost?: string;

  constructor(private readonly options: StarbaseReplicationOptions) {
    // A tick arrives on StarbaseDB's /cron/callback route, before any middleware of this plugin.
    options.cron.onEvent((event) => {
      this.callbackHost ??= event.callback_host ?? undefined;
      return this.onCronEvent(event.name);
    }, options.ctx);
  }

  async register(app: Hono<StarbaseEnv>): Promise<void> {
    app.use("/replication/*", async (c, next) => {
      this.callbackHost = new URL(c.req.url).origin;
      await next();
    });
    registerReplicationRoutes(app, {
      requireAdmin: async (c, next) => {
        if (c.get("config")?.role !== "admin") return c.json({ error: "this route requires the admin role" }, 403);
        await next();
      },
      call: (_c: Context<StarbaseEnv>, method: EngineMethod, input: unknown) => this.call(method, input),
    });
  }

  /**
   * The client role gets the rules it has in this project's host (README "Tokens"): no
   * internal table, replicas read-only, no triggers. StarbaseDB then runs the statement;
   * a refusal reaches the client as StarbaseDB answers errors (its query route: 500).
   */
  async beforeQuery(opts: {
    sql: string;
    params?: unknown[];
    config?: { role?: string };
    dataSource?: { source?: string };
  }): Promise<{ sql: string; params?: unknown[] }> {
    if (opts.config?.role !== "admin" && (opts.dataSource?.source ?? "internal") === "internal") {
      await this.call("authorize", { sql: opts.sql, params: opts.params });
    }
    return { sql: opts.sql, params: opts.params };
  }

  async afterQuery(opts: { result: unknown }): Promise<unknown> {
    return opts.result;
  }

  /** A StarbaseDB cron tick: the job's task runs inside the Durable Object, continued while a backlog lasts. */
  private onCronEvent(name: string): Promise<void> | undefined {
    const task = taskOfName(name);
    return task ? this.runWhileBehind(task) : undefined;
  }

  /** Calls the engine, applies the scheduling it asked for, and answers its result (errors as AppErrors). */
  private async call(method: CallMethod, input: unknown): Promise<unknown> {
    const result = await this.rpc()(method, input);
    await this.apply(result.effects);
    if (!result.ok) throw fromErrorPayload(result.error);
    return result.value;
  }

  private async apply(effects: readonly ScheduleEffect[]): Promise<void> {
    for (const effect of effects) {
      if (effect.type === "runSoon") {
        this.continueInBackground(this.runWhileBehind(effect.task));
      } else if (effect.type === "schedule" && effect.active) {
        const { job, kind } = effect.task;
        if (!this.callbackHost) throw new AppError("internal", "no host known for StarbaseDB's cron to call back");
        await this.options.cron.addEvent(effect.cronTab, taskName(effect.task), { job, kind }, this.callbackHost);
      } else {
        // StarbaseDB's CronPlugin has no call to remove a task: its table is plain SQL.
        await this.options.dataSource.rpc.executeQuery({
          sql: "DELETE FROM tmp_cron_tasks WHERE name = ?",
          params: [taskName(effect.task)],
        });
      }
    }
  }

  /** Ticks the task while the engine asks for more (a backlog), within the time a request may keep working. */
  private async runWhileBehind(task: JobTask): Promise<void> {
    const deadline = Date.now() + FOLLOW_UP_BUDGET_MS;
    const name = taskName(task);
    for (;;) {
      const result = await this.rpc()("tick", name);
      const again = result.effects.some((e) => e.type === "runSoon" && taskName(e.task) === name);
      await this.apply(result.effects.filter((e) => !(e.type === "runSoon" && taskName(e.task) === name)));
      if (!result.ok) {
        console.error(`replication: ${name}: ${result.error.message}`);
        return;
      }
      if (!again || Date.now() > deadline) return;
    }
  }

  private rpc(): ReplicationRpc {
    const rpc = this.options.dataSource.rpc[RPC_METHOD];
    if (typeof rpc !== "function") {
      throw new AppError(
        "internal",
        "the Durable Object has no replication methods: export StarbaseDBDurableObject = withReplication(...) from src/index.ts (README: Use it in StarbaseDB)",
      );
    }
    return rpc;
  }

  private continueInBackground(work: Promise<void>): void {
    const guarded = work.catch((error: unknown) => console.error(`replication: ${String(error)}`));
    const ctx = this.options.ctx ?? this.options.dataSource.executionContext;
    ctx?.waitUntil(guarded);
  }
}
