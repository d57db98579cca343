import { DurableObject } from "cloudflare:workers";
import { type Env, positiveInt } from "./env";
import type { DatabaseObject, DatabaseStatus } from "./database-object";
import { capture, NotFoundError, type Outcome } from "./errors";
import { applyMigrations } from "./migrations";
import type { DurableHost, DurablePart, Migration, StarbasePlugin } from "./plugin";
import { ClientAuthorizer } from "./query/authorize";
import { DEFAULT_RESULT_LIMITS, executeQuery, type ExecuteContext } from "./query/execute";
import type { ReadOnlyTables } from "./query/policy";
import type { QueryRequest, StatementResult } from "./query/types";

/**
 * The database: one SQLite-backed Durable Object. The worker reaches it by RPC;
 * every method answers an `Outcome` so errors keep their kind across the boundary.
 * Subclasses name their plugins; parts are created once per object.
 */
export abstract class StarbaseDurableObject extends DurableObject<Env> implements DatabaseObject {
  private readonly parts = new Map<string, DurablePart>();
  private readonly execution: ExecuteContext;
  private lastQuery: number | null = null;

  protected abstract plugins(): readonly StarbasePlugin[];

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const host = this.createHost();
    for (const plugin of this.plugins()) {
      const part = plugin.createDurablePart?.(host);
      if (part) this.parts.set(plugin.name, part);
    }
    this.execution = {
      storage: ctx.storage,
      authorizer: new ClientAuthorizer(ctx.storage.sql, () => this.readOnlyTables()),
      limits: {
        maxRows: positiveInt(env.QUERY_MAX_RESULT_ROWS) ?? DEFAULT_RESULT_LIMITS.maxRows,
        maxBytes: positiveInt(env.QUERY_MAX_RESULT_BYTES) ?? DEFAULT_RESULT_LIMITS.maxBytes,
      },
    };
    void ctx.blockConcurrencyWhile(() => this.start());
  }

  private async start(): Promise<void> {
    const migrations: Migration[] = [...this.parts.values()].flatMap((p) => p.migrations ?? []);
    applyMigrations(this.ctx.storage, migrations);
    for (const part of this.parts.values()) await part.onStart?.();
  }

  private createHost(): DurableHost {
    return {
      sql: this.ctx.storage.sql,
      storage: this.ctx.storage,
      env: this.env,
      part: <T extends DurablePart>(name: string) => this.durablePart<T>(name),
      lastQueryAt: () => this.lastQuery,
    };
  }

  /** The durable part of a plugin, for in-object callers and tests. Throws if absent. */
  durablePart<T>(name: string): T {
    const part = this.parts.get(name);
    if (!part) throw new Error(`plugin "${name}" has no durable part in this object`);
    return part as unknown as T;
  }

  async query(request: QueryRequest): Promise<Outcome<StatementResult[]>> {
    this.lastQuery = Date.now();
    return capture(() => executeQuery(this.execution, request));
  }

  private readOnlyTables(): ReadOnlyTables {
    const tables = new Map<string, string>();
    for (const part of this.parts.values()) {
      for (const [table, owner] of part.readOnlyTables?.() ?? []) tables.set(table.toLowerCase(), owner);
    }
    return tables;
  }

  async status(): Promise<Outcome<DatabaseStatus>> {
    return capture(() => ({ plugins: [...this.parts.keys()] }));
  }

  /** Calls `rpc[method]` of a plugin's durable part with `input`. */
  async callPlugin(plugin: string, method: string, input: unknown): Promise<Outcome<unknown>> {
    return capture(() => {
      const fn = this.parts.get(plugin)?.rpc?.[method];
      if (!fn) throw new NotFoundError(`plugin method ${plugin}.${method} does not exist`);
      return fn(input);
    });
  }

  override async alarm(info?: AlarmInvocationInfo): Promise<void> {
    for (const part of this.parts.values()) await part.onAlarm?.(info);
  }
}
