import type { StarbaseDBDurableObject } from "./index";

/** Bindings and secrets the worker and the Durable Object read. */
export interface Env {
  DATABASE_DURABLE_OBJECT: DurableObjectNamespace<StarbaseDBDurableObject>;
  /** Bearer token of the admin role; the role cannot log in while it is unset. */
  ADMIN_AUTHORIZATION_TOKEN?: string;
  /** Bearer token of the client role; the role cannot log in while it is unset. */
  CLIENT_AUTHORIZATION_TOKEN?: string;
  /** Most rows one statement may answer (default 100,000). */
  QUERY_MAX_RESULT_ROWS?: string;
  /** Largest answer of one statement, in bytes of JSON, approximately (default 16 MiB). */
  QUERY_MAX_RESULT_BYTES?: string;
}

/** Secrets and bindings named by configuration (e.g. a job's `secret` or `hyperdrive`). */
export function lookupBinding(env: Env, name: string): unknown {
  return (env as unknown as Record<string, unknown>)[name];
}
