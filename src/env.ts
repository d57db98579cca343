import type { StarbaseDBDurableObject } from "./index";

/** Bindings and secrets the worker and the Durable Object read. */
export interface Env {
  DATABASE_DURABLE_OBJECT: DurableObjectNamespace<StarbaseDBDurableObject>;
  /** Bearer token of the admin role; the role cannot log in while it is unset. */
  ADMIN_AUTHORIZATION_TOKEN?: string;
  /** Bearer token of the client role; the role cannot log in while it is unset. */
  CLIENT_AUTHORIZATION_TOKEN?: string;
}

/** Secrets and bindings named by configuration (e.g. a job's `secret` or `hyperdrive`). */
export function lookupBinding(env: Env, name: string): unknown {
  return (env as unknown as Record<string, unknown>)[name];
}
