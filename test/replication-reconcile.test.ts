/**
 * Deletes at the source through the API: the scheduled reconciliation
 * (reconcile_cron), soft deletes (soft_delete_col), and what verify answers when
 * it cannot run (a run in progress, a source that is down, bad input).
 */
import { runInDurableObject } from "cloudflare:test";
import { afterAll, describe, expect, it } from "vitest";
import type { JobView, RunRecord } from "../plugins/replication";
import type { VerifyResult } from "../plugins/replication/verify/types";
import { api, CLIENT, uniqueName } from "./helpers";
import {
  createJob,
  createTimestampJob,
  databaseStub,
  deleteJob,
  expectReplicaEqualsSource,
  getJob,
  replicaRows,
  runJob,
  SOURCES,
  type Dialect,
} from "./support/replication";
import { CRON, expectNothingStored } from "./support/replication-api";
import { mysqlSession, pgSession } from "./support/sources";
import { createItemsTable, dropTable, exec, insertRange, NOW } from "./support/tables";

const COLUMNS = ["id", "val", "amount", "updated_at"];
const OLD = "2020-01-01 00:00:00";
const created: Array<[Dialect, string]> = [];
const jobs: string[] = [];
const short = (dialect: Dialect) => (dialect === "postgresql" ? "pg" : "my");

afterAll(async () => {
  for (const name of jobs) await deleteJob(name);
  for (const [dialect, table] of created) {
    await deleteJob(table);
    await dropTable(dialect, table);
  }
});

function verifyCall(name: string, query = "") {
  return api<VerifyResult>("POST", `/replication/jobs/${name}/verify${query}`);
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe.each<Dialect>(["postgresql", "mysql"])("%s: reconcile_cron", (dialect) => {
  it("alone converges a truncated and refilled table, each pass a run with trigger reconcile and its counts", async () => {
    const table = uniqueName(`rec_${short(dialect)}`);
    created.push([dialect, table]);
    await createItemsTable(dialect, table);
    await insertRange(dialect, table, 1, 500, "2024-05-01T10:00:00.000000Z");
    // The sync task never fires during the test (yearly); only the job's first run and the reconcile task do.
    const job = await createJob({
      name: table,
      source: SOURCES[dialect],
      table_name: table,
      tracking_col: "updated_at",
      tracking_type: "timestamp",
      cron_tab: CRON,
      reconcile_cron: "* * * * * *",
    });
    expect(job.reconcile_cron).toBe("* * * * * *");
    const tasks = await api<Array<{ name: string; cron_tab: string }>>("GET", "/cron/tasks");
    expect(tasks.body.result).toContainEqual(
      expect.objectContaining({ name: `replication:${table}:reconcile`, cron_tab: "* * * * * *" }),
    );
    await until("the first run", async () => ((await getJob(table)).status.replica_rows === 500 ? true : undefined));

    // Paused (no pass in progress) while the table is emptied and refilled, so that one pass sees the whole change.
    await api("POST", `/replication/jobs/${table}/pause`);
    await until("no pass in progress", async () =>
      (await getJob(table)).status.state === "paused" ? true : undefined,
    );
    await exec(dialect, `TRUNCATE TABLE ${table}`);
    await insertRange(dialect, table, 301, 800, "2020-01-01T00:00:00.000000Z");
    const resumedAt = Date.now();
    await api("POST", `/replication/jobs/${table}/resume`);
    await until("a reconciliation after the refill that found nothing more to do", async () => {
      const verify = (await getJob(table)).status.verify;
      const clean =
        verify && Date.parse(verify.at) > resumedAt && verify.missing + verify.extra + verify.differing === 0;
      return clean ? verify : undefined;
    });
    await expectReplicaEqualsSource(dialect, table, table, COLUMNS, "id");

    const runs = (await api<RunRecord[]>("GET", `/replication/jobs/${table}/runs`)).body.result!;
    const repairing = runs.filter((run) => run.trigger === "reconcile" && Date.parse(run.started_at) >= resumedAt);
    expect(repairing.at(-1)).toMatchObject({
      trigger: "reconcile",
      done: true,
      error: null,
      rows: 300 + 200 + 300, // 300 extra deleted, 200 differing and 300 missing copied
      verify: { source_rows: 500, replica_rows: 500, missing: 300, extra: 300, differing: 200 },
    });

    // null turns it off: the task goes.
    const patched = await api<JobView>("PATCH", `/replication/jobs/${table}`, { body: { reconcile_cron: null } });
    expect(patched.body.result!.reconcile_cron).toBeNull();
    const after = await api<Array<{ name: string }>>("GET", "/cron/tasks");
    expect(after.body.result!.map((t) => t.name)).not.toContain(`replication:${table}:reconcile`);
  });
});

describe.each<Dialect>(["postgresql", "mysql"])("%s: soft_delete_col", (dialect) => {
  it("removes soft-deleted rows from the replica in ordinary runs, for timestamp, boolean and integer columns", async () => {
    const table = uniqueName(`soft_${short(dialect)}`);
    created.push([dialect, table]);
    const pg = dialect === "postgresql";
    await exec(
      dialect,
      `CREATE TABLE ${table} (id bigint PRIMARY KEY, val varchar(20), deleted_at ${pg ? "timestamptz" : "datetime(6)"} NULL,
        is_deleted ${pg ? "boolean" : "boolean"} NULL, del_flag int NULL, updated_at ${pg ? "timestamptz(6)" : "datetime(6)"} NOT NULL)`,
    );
    await exec(
      dialect,
      `INSERT INTO ${table} VALUES (1, 'a', NULL, NULL, NULL, '${OLD}'), (2, 'b', NULL, false, 0, '${OLD}'),
        (3, 'c', NULL, NULL, NULL, '${OLD}'), (4, 'd', NULL, NULL, NULL, '${OLD}'), (5, 'e', NULL, NULL, NULL, '${OLD}')`,
    );
    const byKind: Record<string, string> = {};
    for (const column of ["deleted_at", "is_deleted", "del_flag"]) {
      const name = uniqueName(`soft_${short(dialect)}`);
      jobs.push(name);
      const job = await createJob({
        name,
        source: SOURCES[dialect],
        table_name: table,
        target_table: name,
        tracking_col: "updated_at",
        tracking_type: "timestamp",
        active: false,
        soft_delete_col: column,
        lookback_seconds: 0,
      });
      expect(job.soft_delete_col).toBe(column);
      // The column is copied like any other (a live row's holds NULL, false or 0).
      expect(job.columns.map((c) => c.name)).toContain(column);
      byKind[column] = name;
      await runJob(name);
    }
    const ids = async (name: string) => (await replicaRows(name, ["id"], "id")).map((r) => Number(r[0]));

    await exec(dialect, `UPDATE ${table} SET deleted_at = ${NOW[dialect]}, updated_at = ${NOW[dialect]} WHERE id = 2`);
    await exec(dialect, `UPDATE ${table} SET is_deleted = true, updated_at = ${NOW[dialect]} WHERE id = 3`);
    await exec(dialect, `UPDATE ${table} SET del_flag = 7, updated_at = ${NOW[dialect]} WHERE id = 4`);
    for (const name of Object.values(byKind)) await runJob(name);
    expect(await ids(byKind.deleted_at!)).toEqual([1, 3, 4, 5]);
    expect(await ids(byKind.is_deleted!)).toEqual([1, 2, 4, 5]);
    expect(await ids(byKind.del_flag!)).toEqual([1, 2, 3, 5]);
    for (const name of Object.values(byKind)) {
      const found = await verifyCall(name);
      expect(found.body.result).toMatchObject({ source_rows: 4, replica_rows: 4, missing: 0, extra: 0, differing: 0 });
    }

    // A soft delete that leaves the tracking column alone is not seen by runs; verify finds it, repair removes it.
    const timestamps = byKind.deleted_at!;
    await exec(dialect, `UPDATE ${table} SET deleted_at = ${NOW[dialect]} WHERE id = 5`);
    await runJob(timestamps);
    expect(await ids(timestamps)).toContain(5);
    expect((await verifyCall(timestamps, "?repair=true")).body.result).toMatchObject({
      extra: 1,
      examples: { extra: [5] },
    });
    expect(await ids(timestamps)).toEqual([1, 3, 4]);

    // A re-copy after a column change (every row read again in key order) does not bring soft-deleted rows back.
    await exec(dialect, `ALTER TABLE ${table} ADD COLUMN extra_note varchar(10)`);
    for (let i = 0; i === 0 || (await getJob(timestamps)).status.recopy !== null; i++) {
      expect(i).toBeLessThan(20);
      await runJob(timestamps);
    }
    expect(await ids(timestamps)).toEqual([1, 3, 4]);

    // Undeleted (and stamped): back in the replica.
    await exec(dialect, `UPDATE ${table} SET deleted_at = NULL, updated_at = ${NOW[dialect]} WHERE id = 2`);
    await runJob(timestamps);
    expect(await ids(timestamps)).toEqual([1, 2, 3, 4]);
    expect((await verifyCall(timestamps)).body.result).toMatchObject({
      source_rows: 4,
      missing: 0,
      extra: 0,
      differing: 0,
    });
  });
});

describe("verify refuses what it cannot do", () => {
  async function pgItems(extra: Record<string, unknown> = {}) {
    const table = uniqueName("recx_pg");
    created.push(["postgresql", table]);
    await createItemsTable("postgresql", table);
    await insertRange("postgresql", table, 1, 50, "2024-05-01T10:00:00.000000Z");
    await createTimestampJob("postgresql", table, {
      ...extra,
    });
    return table;
  }

  it.each<Dialect>(["postgresql", "mysql"])(
    "%s: answers 409 while a run of the job is in progress, and verifies once it has ended",
    async (dialect) => {
      const table = uniqueName(`rec409_${short(dialect)}`);
      created.push([dialect, table]);
      await createItemsTable(dialect, table);
      await insertRange(dialect, table, 1, 10, "2024-05-01T10:00:00.000000Z");
      await createTimestampJob(dialect, table);
      // A lock at the source holds the run's first read until it is released.
      const release =
        dialect === "postgresql"
          ? await (async () => {
              const session = await pgSession();
              await session.query("BEGIN");
              await session.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
              return async () => {
                await session.query("ROLLBACK");
                await session.end();
              };
            })()
          : await (async () => {
              const session = await mysqlSession();
              await session.query(`LOCK TABLES ${table} WRITE`);
              return async () => {
                await session.query("UNLOCK TABLES");
                await session.end();
              };
            })();
      let run: Promise<unknown> | undefined;
      try {
        run = api("POST", `/replication/jobs/${table}/run`);
        await until("the run to start", async () =>
          (await getJob(table)).status.state === "running" ? true : undefined,
        );
        const refused = await verifyCall(table, "?repair=true");
        expect(refused.status).toBe(409);
        expect(refused.body.error).toMatch(/a run of job .* is in progress/);
      } finally {
        await release();
      }
      expect(((await run) as { status: number }).status).toBe(200);
      expect((await verifyCall(table)).body.result).toMatchObject({ source_rows: 10, missing: 0, extra: 0 });
    },
  );

  it("answers 502 when the source is down, and changes nothing", async () => {
    const table = await pgItems();
    await runJob(table);
    await exec("postgresql", `DELETE FROM ${table} WHERE id <= 10`);
    const before = await replicaRows(table, [...COLUMNS, "_starbase_row_hash"], "id");
    // The job's stored source now points at a port nothing listens on: a source that is down, for real.
    await runInDurableObject(databaseStub(), (_instance, state) => {
      state.storage.sql.exec(
        `UPDATE tmp_replication_jobs SET settings = json_set(settings, '$.source.port', 1) WHERE name = ?`,
        table,
      );
    });
    const down = await verifyCall(table, "?repair=true");
    expect(down.status).toBe(502);
    expect(down.body.error).toMatch(/could not connect to PostgreSQL at 127\.0\.0\.1:1/);
    expect(await replicaRows(table, [...COLUMNS, "_starbase_row_hash"], "id")).toEqual(before);
    expect((await getJob(table)).status.verify).toBeNull();
  });

  it("answers 409 for a replica not created yet (without repair), 404 for an unknown job, 400 for a bad flag, 403 to a client", async () => {
    const table = await pgItems();
    const early = await verifyCall(table);
    expect(early.status).toBe(409);
    expect(early.body.error).toMatch(
      /has not created its replica table .* yet: run the job first, or verify with repair=true/,
    );
    expect((await verifyCall("no_such_job")).status).toBe(404);
    const flag = await verifyCall(table, "?repair=yes");
    expect(flag.status).toBe(400);
    expect(flag.body.error).toBe("query parameter repair must be true or false");
    expect((await api("POST", `/replication/jobs/${table}/verify`, { token: CLIENT })).status).toBe(403);
    // With repair, a job that never ran gets its replica.
    expect((await verifyCall(table, "?repair=true")).body.result).toMatchObject({ source_rows: 50, missing: 50 });
    expect((await verifyCall(table)).body.result).toMatchObject({ replica_rows: 50, missing: 0 });
  });

  const body = (over: Record<string, unknown>) => ({
    name: uniqueName("recbad"),
    source: SOURCES.postgresql,
    table_name: "",
    tracking_col: "updated_at",
    tracking_type: "timestamp",
    cron_tab: CRON,
    active: false,
    ...over,
  });

  it("refuses a bad reconcile_cron or soft_delete_col with 400 naming the problem, storing nothing", async () => {
    const table = await pgItems();
    await exec("postgresql", `ALTER TABLE ${table} ADD COLUMN gone_at timestamptz, ADD COLUMN reason text`);
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ reconcile_cron: "every night" }, /^reconcile_cron: invalid cron expression/],
      [{ reconcile_cron: "* * * *" }, /^reconcile_cron: invalid cron expression .* got 4/],
      [{ reconcile_cron: 5 }, /reconcile_cron must be a string or null/],
      [{ soft_delete_col: "missing" }, /soft_delete_col "missing" is not a column of public\./],
      [
        { soft_delete_col: "reason" },
        /soft_delete_col "reason" of public\..* is text: it must be a timestamp, boolean or integer column/,
      ],
      [{ soft_delete_col: "id" }, /soft_delete_col "id" is part of the primary key/],
      [{ soft_delete_col: "bad name!" }, /soft_delete_col must be an identifier/],
    ];
    for (const [over, message] of cases) {
      const b = body({ table_name: table, target_table: uniqueName("recbad_t"), ...over });
      const res = await api("POST", "/replication/jobs", { body: b });
      expect({ over, status: res.status, error: res.body.error }).toMatchObject({
        status: 400,
        error: expect.stringMatching(message),
      });
      await expectNothingStored(b);
    }

    const before = await getJob(table);
    for (const [over, message] of cases) {
      const res = await api("PATCH", `/replication/jobs/${table}`, { body: over });
      expect({ over, status: res.status, error: res.body.error }).toMatchObject({
        status: 400,
        error: expect.stringMatching(message),
      });
    }
    const unchanged = await getJob(table);
    expect(unchanged).toEqual({ ...before, status: unchanged.status });
    expect((await api<Array<{ name: string }>>("GET", "/cron/tasks")).body.result!.map((t) => t.name)).not.toContain(
      `replication:${table}:reconcile`,
    );

    const patched = await api<JobView>("PATCH", `/replication/jobs/${table}`, {
      body: { soft_delete_col: "gone_at", reconcile_cron: "0 3 * * *" },
    });
    expect(patched.body.result).toMatchObject({ soft_delete_col: "gone_at", reconcile_cron: "0 3 * * *" });
    const cleared = await api<JobView>("PATCH", `/replication/jobs/${table}`, { body: { soft_delete_col: null } });
    expect(cleared.body.result).toMatchObject({ soft_delete_col: null, reconcile_cron: "0 3 * * *" });
  });
});
