/** The TLS servers of test/support/tls-servers.ts, as tests in workerd drive them. */
import { inject } from "vitest";
import type { CaName } from "./tls-material";

async function control<T>(path: string): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${inject("tlsControl")}${path}`, { method: "POST" });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`TLS control ${path} answered ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

/**
 * The shared PostgreSQL: TLS off, or on with the server certificate of a CA. The first call
 * waits for any other test run to restore the server; `restorePostgresTls` must follow.
 */
export async function postgresTls(state: "off" | CaName): Promise<void> {
  await control(`/postgresql/state?to=${state}`);
}

export async function restorePostgresTls(): Promise<void> {
  await control("/postgresql/restore");
}

/** The TLS-only MariaDB of this run (started on first use), as a job's `source` with `ssl: "verify-full"`. */
export async function tlsMariadb() {
  const { port, user, password } = await control<{ port: number; user: string; password: string }>("/mysql/start");
  return { dialect: "mysql", host: "localhost", port, user, password, database: "test", ssl: "verify-full" } as const;
}

/** Has the TLS MariaDB serve the `localhost` certificate of that CA. */
export async function mariadbServes(ca: CaName): Promise<void> {
  await control(`/mysql/ca?to=${ca}`);
}
