import type { DatabaseObject } from "./database-object";

/** Bindings and secrets the worker and the Durable Object read. */
export interface Env {
  DATABASE_DURABLE_OBJECT: DurableObjectNamespace<DatabaseObject>;
  /** Bearer token of the admin role; the role cannot log in while it is unset. */
  ADMIN_AUTHORIZATION_TOKEN?: string;
  /** Bearer token of the client role; the role cannot log in while it is unset. */
  CLIENT_AUTHORIZATION_TOKEN?: string;
  /** Most rows one statement may answer (default 100,000). */
  QUERY_MAX_RESULT_ROWS?: string;
  /** Largest answer of one statement, in bytes of JSON, approximately (default 16 MiB). */
  QUERY_MAX_RESULT_BYTES?: string;
  /** Largest request body, in bytes (default 8 MiB); beyond it a request answers 413. */
  REQUEST_MAX_BYTES?: string;
  /** Origins browsers may call from, comma-separated (default `*`). */
  CORS_ALLOWED_ORIGINS?: string;
}

/** Secrets and bindings named by configuration (e.g. a job's `secret` or `hyperdrive`). */
export function lookupBinding(env: Env, name: string): unknown {
  return (env as unknown as Record<string, unknown>)[name];
}

/** A numeric setting given as a string variable; undefined when unset or not a positive integer. */
export function positiveInt(value: string | undefined): number | undefined {
  const n = value === undefined ? NaN : Number(value);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}
