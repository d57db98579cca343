import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import type { RunRecord } from "../plugins/replication";
import { withSource } from "../src/sources";
import { api, uniqueName } from "./helpers";
import {
  closeKeptConnections,
  createJob,
  createTimestampJob,
  deleteJob,
  getJob,
  replicaRows,
  runJob,
  runUntilDone,
  SOURCES,
  tuneReplication,
  type Dialect,
} from "./support/replication";
import { mysqlExec, openWriter, PG, pgExec, pgSession } from "./support/sources";
import { createItemsTable, dropTable, exec, insertRange } from "./support/tables";

const cleanup: Array<() => Promise<unknown>> = [];

afterAll(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => undefined);
});

async function runs(name: string): Promise<RunRecord[]> {
  const res = await api<RunRecord[]>("GET", `/replication/jobs/${name}/runs`);
  expect(res.status).toBe(200);
  return res.body.result!;
}

describe("the late-commit watermark", () => {
  it("reads about the rows written since the last run, not a window, while ~1,000 rows/s are written", async () => {
    // A database of its own: other tests' open transactions in `test` must not hold this job's watermark back.
    const database = uniqueName("wm_db");
    await pgExec(`CREATE DATABASE ${database}`);
    cleanup.push(() => pgExec(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
    const source = { ...SOURCES.postgresql, database };
    const table = uniqueName("wm_rate");
    const writer = new pg.Client({ ...PG, database, application_name: "test-writer" });
    writer.on("error", () => undefined);
    await writer.connect();
    cleanup.push(() => writer.end());
    await writer.query(
      `CREATE TABLE ${table} (id bigint PRIMARY KEY, val text, updated_at timestamptz(6) NOT NULL DEFAULT clock_timestamp())`,
    );
    await writer.query(`CREATE INDEX ON ${table} (updated_at, id)`);
    await createJob({
      name: table,
      source,
      table_name: table,
      tracking_col: "updated_at",
      tracking_type: "timestamp",
      cron_tab: "* * * * * *",
      active: true,
    });
    cleanup.push(() => deleteJob(table));

    // 50 rows every 50 ms for 4 s, each stamped by the database's clock as it is written.
    let written = 0;
    const stop = Date.now() + 4_000;
    while (Date.now() < stop) {
      const tick = Date.now();
      await writer.query(
        `INSERT INTO ${table} (id, val) SELECT g, 'v' || g FROM generate_series(${written + 1}, ${written + 50}) g`,
      );
      written += 50;
      await new Promise((r) => setTimeout(r, Math.max(0, 50 - (Date.now() - tick))));
    }
    await new Promise((r) => setTimeout(r, 1_200));
    await api("POST", `/replication/jobs/${table}/pause`);
    for (let i = 0; i < 100 && (await getJob(table)).status.state === "running"; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    await runJob(table);

    const history = await runs(table);
    const read = history.reduce((sum, run) => sum + run.rows, 0);
    // The cron ran while the rows were written: this is what the bound below is about.
    expect(history.filter((r) => r.trigger === "cron" && r.rows > 0).length).toBeGreaterThanOrEqual(3);
    expect(written).toBeGreaterThanOrEqual(2_000);
    // A window of lookback_seconds (300) would re-read every row on every run: ~2.5x over four runs, more with more.
    expect(read).toBeLessThanOrEqual(1.5 * written + 200);
    expect(read).toBeGreaterThanOrEqual(written);

    const expected = await withSource(
      source,
      async (s) => (await s.query(`SELECT id, val, updated_at FROM ${table} ORDER BY id`)).rows,
    );
    const actual = await replicaRows(table, ["id", "val", "updated_at"], "id");
    expect(actual.length).toBe(written);
    expect(actual).toEqual(expected);
    expect((await getJob(table)).warnings.join(" ")).not.toMatch(/late commits/);
  }, 30_000);

  it('re-reads lookback_seconds on every run with late_commits "lookback", for an application\'s own clock', async () => {
    const table = uniqueName("wm_app_clock");
    await createItemsTable("postgresql", table);
    cleanup.push(() => dropTable("postgresql", table));
    await insertRange("postgresql", table, 1, 3, "2024-05-01T10:00:00.000000Z");
    const job = await createTimestampJob("postgresql", table, {
      late_commits: "lookback",
    });
    cleanup.push(() => deleteJob(table));
    expect(job.late_commits).toBe("lookback");
    expect((await runJob(table)).rows).toBe(3);
    // Stamped by the application 100 s before rows already copied, committed now: the window picks it up.
    await insertRange("postgresql", table, 4, 4, "2024-05-01T09:58:20.000000Z");
    expect((await runJob(table)).rows).toBe(4);
    expect((await getJob(table)).warnings).toEqual([]);

    // The first run on the watermark re-reads the window once more (the runs before counted on it);
    // after that a run starts at the cursor: such a row is not seen (verify would find it).
    const patched = await api("PATCH", `/replication/jobs/${table}`, { body: { late_commits: "watermark" } });
    expect(patched.body).toMatchObject({ result: { late_commits: "watermark" } });
    await insertRange("postgresql", table, 5, 5, "2024-05-01T09:58:21.000000Z");
    expect((await runJob(table)).rows).toBe(5);
    await insertRange("postgresql", table, 6, 6, "2024-05-01T09:58:22.000000Z");
    expect((await runJob(table)).rows).toBe(0);
  });

  it("reads MariaDB's innodb_trx only when it is fresh: a session keeping it stale cannot hide a late commit", async () => {
    const table = uniqueName("wm_stale_my");
    await createItemsTable("mysql", table);
    cleanup.push(() => dropTable("mysql", table));
    await insertRange("mysql", table, 1, 1, "2024-05-01T10:00:00.000000Z");
    await createTimestampJob("mysql", table);
    cleanup.push(() => deleteJob(table));
    expect((await runJob(table)).rows).toBe(1);

    // InnoDB refreshes the innodb_trx cache only when 0.1 s pass between reads: this keeps it as it is now.
    const poller = await openWriter("mysql");
    let polling = true;
    let pollCount = 0;
    const poll = (async () => {
      while (polling) {
        pollCount++;
        await poller.query("SELECT COUNT(*) FROM information_schema.innodb_trx");
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
    })();
    const late = await openWriter("mysql");
    try {
      await late.query("START TRANSACTION");
      await late.query(`INSERT INTO ${table} VALUES (2, 'late', 2, NOW(6))`);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await exec("mysql", `INSERT INTO ${table} VALUES (3, 'early', 3, NOW(6))`);
      await new Promise((resolve) => setTimeout(resolve, 300));
      // Stale, the cache is not trusted: the run re-reads lookback_seconds behind its cursor instead.
      expect((await runJob(table)).rows).toBe(2);
      expect(pollCount).toBeGreaterThan(10);
      expect((await getJob(table)).warnings.join(" ")).toMatch(/innodb_trx was stale for this run/);
      await late.query("COMMIT");
    } finally {
      polling = false;
      await poll;
      await poller.close();
      await late.close();
    }
    await runJob(table);
    expect((await replicaRows(table, ["id"], "id")).map(([id]) => id)).toEqual([1, 2, 3]);
    // Read fresh again, the watermark is back and the warning gone.
    await new Promise((resolve) => setTimeout(resolve, 150));
    await runJob(table);
    expect((await getJob(table)).warnings.join(" ")).not.toMatch(/late commits/);
  });

  it("gets through a day's rows of a date column when they exceed a run's bounds", async () => {
    // A date column's watermark is today: no cursor is saved inside today, yet bounded runs get through it.
    const table = uniqueName("wm_date_pg");
    await pgExec(
      `CREATE TABLE ${table} (id bigint PRIMARY KEY, note text, changed_on date NOT NULL DEFAULT current_date)`,
    );
    await pgExec(`CREATE INDEX ON ${table} (changed_on, id)`);
    cleanup.push(() => pgExec(`DROP TABLE IF EXISTS ${table}`));
    await pgExec(`INSERT INTO ${table} SELECT g, 'old', current_date - 1 FROM generate_series(1, 3) g`);
    await createJob({
      name: table,
      source: SOURCES.postgresql,
      table_name: table,
      tracking_col: "changed_on",
      tracking_type: "timestamp",
      active: false,
    });
    cleanup.push(() => deleteJob(table));
    await runUntilDone(table);
    await pgExec(`INSERT INTO ${table} SELECT g, 'today', current_date FROM generate_series(4, 15) g`);
    await tuneReplication((t) => (t.bounds = { ...t.bounds, maxRows: 5 }));
    try {
      const passes = await runUntilDone(table, 10);
      expect(passes.length).toBeGreaterThan(1);
      expect((await replicaRows(table, ["id"], "id")).map(([id]) => id)).toEqual(
        Array.from({ length: 15 }, (_, i) => i + 1),
      );
      // The pass began with its first run: the replica is current as of that run, not the last one.
      const [last, , ...before] = await runs(table);
      const passStart = before[passes.length - 2]!;
      const asOf = Date.parse((await getJob(table)).status.synced_as_of!);
      expect(asOf).toBeGreaterThanOrEqual(Date.parse(passStart.started_at));
      expect(asOf).toBeLessThan(Date.parse(last!.started_at));
      // Rows changed today behind the pass are read by the next pass, which starts at the cursor again.
      await pgExec(`UPDATE ${table} SET note = 'changed' WHERE id = 5`);
      await runUntilDone(table, 10);
      expect(await replicaRows(table, ["id", "note"], "id")).toContainEqual([5, "changed"]);
    } finally {
      await tuneReplication((t) => (t.bounds = { ...t.bounds, maxRows: 250_000 }));
    }
  });

  it('re-reads once when late_commits moves from "lookback" to the watermark, even after a run cut short', async () => {
    const table = uniqueName("wm_switch_pg");
    await createItemsTable("postgresql", table);
    cleanup.push(() => dropTable("postgresql", table));
    await insertRange("postgresql", table, 1, 5, "2024-05-01T10:00:00.000000Z");
    await createTimestampJob("postgresql", table, { late_commits: "lookback", batch_size: 5 });
    cleanup.push(() => deleteJob(table));
    await runUntilDone(table);
    const late = await pgSession();
    try {
      await late.query("BEGIN");
      await late.query(`INSERT INTO ${table} VALUES (100, 'late', 1, clock_timestamp())`);
      await pgExec(`INSERT INTO ${table} SELECT g, 'early', 1, clock_timestamp() FROM generate_series(101, 140) g`);
      await tuneReplication((t) => (t.bounds = { ...t.bounds, maxRows: 20 }));
      // On lookback_seconds, a run cut short moves its cursor past the open transaction's row.
      expect(await runJob(table)).toMatchObject({ done: false });
      await late.query("COMMIT");
    } finally {
      await late.end();
      await tuneReplication((t) => (t.bounds = { ...t.bounds, maxRows: 250_000 }));
    }
    const patched = await api("PATCH", `/replication/jobs/${table}`, { body: { late_commits: "watermark" } });
    expect(patched.status).toBe(200);
    await runUntilDone(table);
    expect((await replicaRows(table, ["id"], "id")).map(([id]) => id)).toContain(100);
  });

  describe.each<Dialect>(["postgresql", "mysql"])("%s", (dialect) => {
    it("falls back to lookback_seconds, and says so, where the role cannot read the source's open transactions", async () => {
      const table = uniqueName(`wm_role_${dialect === "postgresql" ? "pg" : "my"}`);
      const role = uniqueName("wm_reader");
      await createItemsTable(dialect, table);
      cleanup.push(() => dropTable(dialect, table));
      await insertRange(dialect, table, 1, 3, "2024-05-01T10:00:00.000000Z");
      if (dialect === "postgresql") {
        await pgExec(`CREATE ROLE ${role} LOGIN; GRANT SELECT ON ${table} TO ${role}`);
        cleanup.push(() => pgExec(`DROP OWNED BY ${role}; DROP ROLE ${role}`));
      } else {
        await mysqlExec(`CREATE USER '${role}'@'%'; GRANT SELECT ON test.${table} TO '${role}'@'%'`);
        cleanup.push(() => mysqlExec(`DROP USER '${role}'@'%'`));
      }
      const source = { ...SOURCES[dialect], user: role };
      await createTimestampJob(dialect, table, { source });
      cleanup.push(() => deleteJob(table));
      // Another role's session, which this role may not look into (PostgreSQL shows it without its start).
      const other = dialect === "postgresql" ? await pgSession() : null;
      try {
        expect((await runJob(table)).rows).toBe(3);
        const warnings = (await getJob(table)).warnings.join(" ");
        expect(warnings).toMatch(/late commits: .*re-reads lookback_seconds \(300\)/);
        expect(warnings).toMatch(dialect === "postgresql" ? /pg_read_all_stats/ : /PROCESS privilege/);

        // The window is still re-read: a row stamped 100 s behind the cursor that commits now is picked up.
        await insertRange(dialect, table, 4, 4, "2024-05-01T09:58:20.000000Z");
        expect((await runJob(table)).rows).toBe(4);

        // Given the right to read them, the next run uses the watermark and the warning goes.
        await exec(
          dialect,
          dialect === "postgresql" ? `GRANT pg_read_all_stats TO ${role}` : `GRANT PROCESS ON *.* TO '${role}'@'%'`,
        );
        // MySQL gives a session the global privileges it had when it connected: the job's next
        // connection has PROCESS (a kept one is replaced within a minute, KEEP_MAX_AGE_MS).
        await closeKeptConnections();
        // The first run back on the watermark re-reads the window once more: the run before moved
        // its cursor past the rows of transactions open then, counting on a re-read.
        expect((await runJob(table)).rows).toBe(4);
        expect((await getJob(table)).warnings.join(" ")).not.toMatch(/late commits/);
        expect((await runJob(table)).rows).toBe(0);
      } finally {
        await other?.end();
      }
    });
  });
});
