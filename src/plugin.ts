import type { Hono } from "hono";
import type { DatabaseClient } from "./database-client";
import type { Env } from "./env";
import type { RouteDoc } from "./http/route-docs";
import type { Role, SqlParam } from "./query/types";

export type { Role, SqlParam } from "./query/types";

export interface AppEnv {
  Bindings: Env;
  Variables: { role: Role; database: DatabaseClient };
}

/** The HTTP app plugins register routes on. */
export type StarbaseApp = Hono<AppEnv>;

export interface PluginOptions {
  /** When false, the plugin's routes under `pathPrefix` skip bearer auth (e.g. webhooks). */
  requiresAuth: boolean;
}

export interface BeforeQueryInput {
  sql: string;
  params: SqlParam[];
  role: Role;
}

export interface AfterQueryInput {
  sql: string;
  result: unknown;
  isRaw: boolean;
  role: Role;
}

/** An ordered schema change of an internal table; applied once per Durable Object. */
export interface Migration {
  /** Globally unique, e.g. `cron/001-tasks`. */
  id: string;
  sql: string;
}

/** What a plugin's code running inside the Durable Object can reach. */
export interface DurableHost {
  readonly sql: SqlStorage;
  readonly storage: DurableObjectStorage;
  readonly env: Env;
  /** The durable part of another plugin, e.g. `host.part<CronApi>("cron")`. Throws if absent. */
  part<T extends DurablePart>(pluginName: string): T;
  /**
   * When the object last began answering a `/query` (its clock, ms), null before the first:
   * long work (a backfill) yields more often while someone reads.
   */
  lastQueryAt(): number | null;
}

/**
 * The part of a plugin that lives inside the Durable Object. Parts are created
 * in plugin order when the object starts; `migrations` run first, then `onStart`.
 */
export interface DurablePart {
  readonly migrations?: readonly Migration[];
  onStart?(): void | Promise<void>;
  /** Called when the object's alarm fires. Only the cron plugin owns the alarm. */
  onAlarm?(info: AlarmInvocationInfo | undefined): Promise<void>;
  /**
   * Tables the client role may read but never change (e.g. replicas), as
   * [table, what owns it]; asked before each client statement, so keep it cheap.
   */
  readOnlyTables?(): Iterable<readonly [table: string, owner: string]>;
  /** Methods the worker side can call with `database.callPlugin(name, method, input)`. */
  readonly rpc?: Readonly<Record<string, (input: unknown) => unknown>>;
}

/**
 * A StarbaseDB-compatible plugin: `name`, `opts.requiresAuth`, `pathPrefix`,
 * `register(app)`, `beforeQuery`, `afterQuery`. Beyond StarbaseDB, a plugin may
 * run code inside the Durable Object by implementing `createDurablePart`.
 */
export abstract class StarbasePlugin {
  constructor(
    readonly name: string,
    readonly opts: PluginOptions = { requiresAuth: true },
    readonly pathPrefix?: string,
  ) {}

  /** Adds HTTP routes; called once per isolate. */
  async register(_app: StarbaseApp): Promise<void> {}

  async beforeQuery(input: BeforeQueryInput): Promise<{ sql: string; params: SqlParam[] }> {
    return { sql: input.sql, params: input.params };
  }

  async afterQuery(input: AfterQueryInput): Promise<unknown> {
    return input.result;
  }

  createDurablePart?(host: DurableHost): DurablePart;

  /** The plugin's routes as the OpenAPI document shows them (GET /openapi.json). */
  routeDocs?(): readonly RouteDoc[];
}
