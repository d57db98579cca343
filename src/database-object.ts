/**
 * What the worker may call on the database's Durable Object, by RPC. Typed
 * here, apart from the class, so that the bindings' types need not import it.
 */
import type { Outcome } from "./errors";
import type { QueryRequest, StatementResult } from "./query/types";

export interface DatabaseStatus {
  /** Plugins with a part inside this object. */
  plugins: string[];
}

export interface DatabaseObject extends Rpc.DurableObjectBranded {
  query(request: QueryRequest): Promise<Outcome<StatementResult[]>>;
  status(): Promise<Outcome<DatabaseStatus>>;
  /** Calls `rpc[method]` of a plugin's durable part with `input`. */
  callPlugin(plugin: string, method: string, input: unknown): Promise<Outcome<unknown>>;
  /** The durable part of a plugin, for in-object callers and tests. Throws if absent. */
  durablePart<T>(name: string): T;
}
