import type { Env } from "./env";
import { unwrap } from "./errors";
import type { QueryRequest, StatementResult } from "./query/types";
import type { DatabaseStatus } from "./database-object";

/** The single database object's name: every request reaches the same Durable Object. */
export const DATABASE_OBJECT_NAME = "sql-durable-object";

/** Worker-side handle on the Durable Object; turns error outcomes back into thrown AppErrors. */
export class DatabaseClient {
  private readonly stub;

  constructor(env: Env) {
    const ns = env.DATABASE_DURABLE_OBJECT;
    this.stub = ns.get(ns.idFromName(DATABASE_OBJECT_NAME));
  }

  async query(request: QueryRequest): Promise<StatementResult[]> {
    return unwrap(await this.stub.query(request)) as StatementResult[];
  }

  async status(): Promise<DatabaseStatus> {
    return unwrap(await this.stub.status()) as DatabaseStatus;
  }

  async callPlugin<T>(plugin: string, method: string, input: unknown = null): Promise<T> {
    return unwrap(await this.stub.callPlugin(plugin, method, input)) as T;
  }
}
