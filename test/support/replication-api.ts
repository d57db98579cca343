/** Small helpers for the replication REST API tests: what a rejected request must not leave behind. */
import { expect } from "vitest";
import type { CronTask } from "../../plugins/cron/types";
import type { JobView, RunSummary } from "../../plugins/replication";
import { api, sql, uniqueName } from "../helpers";

/** Never fires during a test run (once a year, on 1 January). */
export const CRON = "0 0 1 1 *";

export function without(body: Record<string, unknown>, key: string): Record<string, unknown> {
  const copy = { ...body };
  delete copy[key];
  return copy;
}

export async function getJob(name: string): Promise<JobView> {
  const res = await api<JobView>("GET", `/replication/jobs/${name}`);
  expect(res.body.error).toBeUndefined();
  expect(res.status).toBe(200);
  return res.body.result!;
}

/** The cron task of a replication job, if there is one. */
export async function cronTask(job: string): Promise<CronTask | undefined> {
  const res = await api<CronTask[]>("GET", "/cron/tasks");
  expect(res.status).toBe(200);
  return res.body.result!.find((task) => task.name === `replication:${job}`);
}

export async function sqliteTableExists(table: string): Promise<boolean> {
  const res = await sql<Array<{ name: string }>>("SELECT name FROM sqlite_master WHERE name = ?", [table]);
  expect(res.status).toBe(200);
  return res.body.result!.length > 0;
}

export async function replicaCount(table: string): Promise<number> {
  const res = await sql<Array<{ n: number }>>(`SELECT count(*) AS n FROM "${table}"`);
  expect(res.body.error).toBeUndefined();
  return res.body.result![0]!.n;
}

/** After a rejected create: no job, no cron task, no target table under the names the body gave. */
export async function expectNothingStored(body: Record<string, unknown> | undefined): Promise<void> {
  const name = body?.name;
  const list = await api<JobView[]>("GET", "/replication/jobs");
  expect(list.status).toBe(200);
  expect(list.body.result!.filter((job) => job.name === name)).toEqual([]);
  if (typeof name === "string") {
    if (/^[A-Za-z0-9_]{1,64}$/.test(name)) expect((await api("GET", `/replication/jobs/${name}`)).status).toBe(404);
    expect(await cronTask(name)).toBeUndefined();
  }
  const target = body?.target_table;
  if (typeof target === "string") expect(await sqliteTableExists(target)).toBe(false);
}

/** Creates jobs (expecting 201) and remembers them, so that afterAll can delete them and their replicas. */
export class JobTracker {
  readonly names: string[] = [];

  async create(body: Record<string, unknown>): Promise<JobView> {
    const res = await api<JobView>("POST", "/replication/jobs", { body });
    expect(res.body.error).toBeUndefined();
    expect(res.status).toBe(201);
    this.names.push(body.name as string);
    return res.body.result!;
  }

  /** Deletes every job and its replica; a job still in a run (409) is retried until the run ends. */
  async cleanup(): Promise<void> {
    for (const name of this.names) {
      const deadline = Date.now() + 10_000;
      while ((await api("DELETE", `/replication/jobs/${name}?drop_table=true`)).status === 409) {
        if (Date.now() > deadline) throw new Error(`job ${name} still running after 10 s: cannot delete it`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  }
}

/**
 * An active job asks cron for a run as soon as it is created. Waits (polling, up to 10 s)
 * until that first run has ended and nothing more is due: it has a last run, is not running,
 * and its next run is not already owed (a run that stopped at its bounds asks for a follow-up).
 */
export async function waitForFirstRun(name: string, timeoutMs = 10_000): Promise<JobView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await getJob(name);
    const { state, last_run_at, next_run_at } = job.status;
    const due = next_run_at !== null && Date.parse(next_run_at) <= Date.now();
    if (last_run_at !== null && state !== "running" && !due) return job;
    if (Date.now() > deadline) {
      throw new Error(
        `job ${name}: first run not settled after ${timeoutMs} ms ` +
          `(state ${state}, last_run_at ${last_run_at}, next_run_at ${next_run_at})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A manual run that must succeed. */
export async function runJob(name: string): Promise<RunSummary> {
  const res = await api<RunSummary>("POST", `/replication/jobs/${name}/run`);
  expect(res.body.error).toBeUndefined();
  expect(res.status).toBe(200);
  return res.body.result!;
}

/** A valid create body (timestamp tracking on `updated_at`, the yearly CRON); `over` replaces fields. */
export function jobBody(
  prefix: string,
  source: Record<string, unknown>,
  table: string,
  over: Record<string, unknown> = {},
): Record<string, unknown> {
  const name = uniqueName(prefix);
  return {
    name,
    source: { ...source },
    table_name: table,
    // Every job needs a replica of its own: two jobs may not share a target table.
    target_table: name,
    tracking_col: "updated_at",
    tracking_type: "timestamp",
    cron_tab: CRON,
    ...over,
  };
}
