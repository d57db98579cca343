import { env, runInDurableObject } from "cloudflare:test";
import { expect, inject } from "vitest";
import type { EdgeReplicationPart, JobView, RunSummary, RunTuning } from "../../plugins/replication";
import { DATABASE_OBJECT_NAME } from "../../src/database-client";
import { withSource } from "../../src/sources";
import type { SqliteValue, SourceConfig } from "../../src/sources/types";
import { api } from "../helpers";
import { MYSQL, PG } from "./sources";

export type Dialect = "postgresql" | "mysql";

export const SOURCES: Record<Dialect, SourceConfig & { host: string; port: number }> = {
  postgresql: { dialect: "postgresql", ...PG },
  mysql: { dialect: "mysql", ...MYSQL },
};

/** The same server reached through the test's fault proxy. */
export function proxiedSource(dialect: Dialect) {
  const ports = inject("faultProxy");
  return { ...SOURCES[dialect], port: dialect === "postgresql" ? ports.pg : ports.mysql };
}

export async function proxy(
  dialect: Dialect,
  action: "up" | "down" | "stall" | "hold" | `cut?after=${number}` | `stall?after=${number}`,
): Promise<void> {
  const name = dialect === "postgresql" ? "pg" : "mysql";
  const res = await fetch(`http://127.0.0.1:${inject("faultProxy").control}/${name}/${action}`, { method: "POST" });
  expect(res.status).toBe(200);
  await res.arrayBuffer();
}

/** How many connections the test's fault proxy has open to the source. */
export async function proxyConnections(dialect: Dialect): Promise<number> {
  const name = dialect === "postgresql" ? "pg" : "mysql";
  const res = await fetch(`http://127.0.0.1:${inject("faultProxy").control}/${name}/connections`);
  return ((await res.json()) as { count: number }).count;
}

/** The worker's single database object, for tuning the plugin from inside it. */
export function databaseStub() {
  return env.DATABASE_DURABLE_OBJECT.get(env.DATABASE_DURABLE_OBJECT.idFromName(DATABASE_OBJECT_NAME));
}

export async function tuneReplication(change: (tuning: RunTuning) => void): Promise<void> {
  await runInDurableObject(databaseStub(), (instance) =>
    change(instance.durablePart<EdgeReplicationPart>("replication").engine.tuning),
  );
}

/**
 * Closes the source connections jobs keep between runs, so that the next run of each connects:
 * for tests that count connections, or that change what a session gets when it connects.
 */
export async function closeKeptConnections(): Promise<void> {
  await runInDurableObject(databaseStub(), (instance) =>
    instance.durablePart<EdgeReplicationPart>("replication").engine.closeKeptConnections(),
  );
}

export async function createJob(body: Record<string, unknown>): Promise<JobView> {
  const res = await api<JobView>("POST", "/replication/jobs", { body: { cron_tab: "0 0 1 1 *", ...body } });
  expect(res.body.error).toBeUndefined();
  expect(res.status).toBe(201);
  return res.body.result!;
}

/**
 * A paused pull job named like `table`, reading it from `dialect`'s test database with `updated_at`
 * as a timestamp tracking column; `extra` adds settings or overrides these.
 */
export function createTimestampJob(
  dialect: Dialect,
  table: string,
  extra: Record<string, unknown> = {},
): Promise<JobView> {
  return createJob({
    name: table,
    source: SOURCES[dialect],
    table_name: table,
    tracking_col: "updated_at",
    tracking_type: "timestamp",
    active: false,
    ...extra,
  });
}

export async function runJob(name: string): Promise<RunSummary> {
  const res = await api<RunSummary>("POST", `/replication/jobs/${name}/run`);
  expect(res.body.error).toBeUndefined();
  expect(res.status).toBe(200);
  return res.body.result!;
}

/** Runs until the source has nothing more to give; fails after `maxRuns`. */
export async function runUntilDone(name: string, maxRuns = 50): Promise<RunSummary[]> {
  const runs: RunSummary[] = [];
  for (let i = 0; i < maxRuns; i++) {
    const run = await runJob(name);
    runs.push(run);
    if (run.done) return runs;
  }
  throw new Error(`job ${name} not done after ${maxRuns} runs`);
}

export async function getJob(name: string): Promise<JobView> {
  const res = await api<JobView>("GET", `/replication/jobs/${name}`);
  expect(res.status).toBe(200);
  return res.body.result!;
}

export async function deleteJob(name: string): Promise<void> {
  await api("DELETE", `/replication/jobs/${name}?drop_table=true`);
}

/** Every row of the source table in key order, converted by the source layer exactly as replication converts them. */
export async function sourceRows(
  dialect: Dialect,
  table: string,
  columns: string[],
  orderBy: string,
): Promise<SqliteValue[][]> {
  const q = dialect === "postgresql" ? (c: string) => `"${c}"` : (c: string) => `\`${c}\``;
  return withSource(SOURCES[dialect], async (source) => {
    const result = await source.query(`SELECT ${columns.map(q).join(", ")} FROM ${table} ORDER BY ${orderBy}`);
    return result.rows;
  });
}

/** Every row of the replica, read inside the Durable Object with the same columns and order. */
export async function replicaRows(table: string, columns: string[], orderBy: string): Promise<SqliteValue[][]> {
  return runInDurableObject(databaseStub(), (_instance, state) => {
    const cursor = state.storage.sql.exec(
      `SELECT ${columns.map((c) => `"${c}"`).join(", ")} FROM "${table}" ORDER BY ${orderBy}`,
    );
    return Array.from(cursor.raw());
  });
}

export async function checksum(rows: SqliteValue[][]): Promise<string> {
  const text = JSON.stringify(rows, (_k, v) => (v instanceof ArrayBuffer ? [...new Uint8Array(v)] : v));
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Asserts the replica equals the source row for row, value for value. */
export async function expectReplicaEqualsSource(
  dialect: Dialect,
  sourceTable: string,
  replicaTable: string,
  columns: string[],
  key: string,
): Promise<void> {
  const [expected, actual] = await Promise.all([
    sourceRows(dialect, sourceTable, columns, key),
    replicaRows(replicaTable, columns, `"${key}"`),
  ]);
  expect(actual.length).toBe(expected.length);
  if ((await checksum(actual)) !== (await checksum(expected))) {
    const diff = expected.findIndex((row, i) => JSON.stringify(row) !== JSON.stringify(actual[i]));
    expect({ index: diff, replica: actual[diff] }).toEqual({ index: diff, replica: expected[diff] });
  }
}
