/**
 * The replication plugin inside an unmodified StarbaseDB: installed by the installer into a
 * fresh copy of StarbaseDB's source, served by StarbaseDB's own `wrangler dev`, scheduled by
 * StarbaseDB's own CronPlugin. Jobs are created over REST and replicas converge on cron
 * ticks alone, against the real PostgreSQL and MariaDB.
 */
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MYSQL, mysqlExec, PG, pgExec, pgSession } from "../support/sources";
import { type Api, apiClient, waitFor } from "./support/api";
import { prepareStarbaseDB, STARBASEDB_SNAPSHOT, type StarbaseCheckout } from "./support/starbasedb";
import { type RunningWorker, startWorker } from "./support/worker";

const present = existsSync(STARBASEDB_SNAPSHOT);
if (!present) {
  console.warn(
    `Skipping the StarbaseDB end-to-end tests: ${STARBASEDB_SNAPSHOT} is absent (it is kept beside this repository by the team; CI has it).`,
  );
}

const TOKENS = { admin: "sb-admin-token", client: "sb-client-token" };
const PASSWORD = "Starbase-Secret-pw-61";
const EVERY_2_S = "*/2 * * * * *";
const suffix = Math.random().toString(36).slice(2, 8);
const tables = {
  pg: `sb_pg_${suffix}`,
  pgLate: `sb_late_${suffix}`,
  mysql: `sb_my_${suffix}`,
};

let checkout: StarbaseCheckout | undefined;
let worker: RunningWorker | undefined;
let admin: Api;
let client: Api;

const pgSource = { dialect: "postgresql", ...PG, password: PASSWORD };
const mysqlSource = { dialect: "mysql", ...MYSQL };

async function replicaRows(
  table: string,
  sql = `SELECT count(*) AS n FROM "${table}"`,
): Promise<unknown[] | undefined> {
  const res = await admin<unknown[]>("POST", "/query", { sql });
  return res.status === 200 ? res.body.result : undefined;
}

async function count(table: string): Promise<number | undefined> {
  const rows = (await replicaRows(table)) as Array<{ n: number }> | undefined;
  return rows?.[0]?.n;
}

/** StarbaseDB's cron tasks of replication jobs. */
async function replicationTasks(): Promise<string[]> {
  const res = await admin<Array<{ name: string }>>("POST", "/query", {
    sql: "SELECT name FROM tmp_cron_tasks WHERE name LIKE 'replication:%' ORDER BY name",
  });
  expect(res.status).toBe(200);
  return res.body.result!.map((row) => row.name);
}

describe.skipIf(!present)("the replication plugin in StarbaseDB", () => {
  beforeAll(async () => {
    await pgExec(`CREATE TABLE ${tables.pg} (
      id bigint PRIMARY KEY, big bigint, num numeric(40,10), ts timestamptz(6), b bytea, j jsonb, t text, n int,
      updated_at timestamptz(6) NOT NULL)`);
    await pgExec(`CREATE INDEX ON ${tables.pg} (updated_at, id)`);
    // 2,500 rows share one timestamp: pages of 1,000 must cross it without losing or repeating any.
    await pgExec(
      `INSERT INTO ${tables.pg} (id, t, updated_at) SELECT g, 'row ' || g, '2024-01-01T00:00:00Z' FROM generate_series(2, 2501) g`,
    );
    await pgExec(
      `INSERT INTO ${tables.pg} VALUES (1, 9223372036854775807, 123456789012345678901234567890.0123456789,
        '2024-03-01 10:00:00.123456+05:30', '\\x00ff00'::bytea, '{"b": [1, {"c": null}], "a": "x"}', 'émoji 🚀', NULL,
        '2024-01-02T00:00:00Z')`,
    );
    await pgExec(
      `CREATE TABLE ${tables.pgLate} (id bigint PRIMARY KEY, updated_at timestamptz(6) NOT NULL DEFAULT now())`,
    );
    await pgExec(`CREATE INDEX ON ${tables.pgLate} (updated_at, id)`);
    await mysqlExec(
      `CREATE TABLE ${tables.mysql} (id bigint PRIMARY KEY, u bigint unsigned, d decimal(30,10), dt datetime(6), b blob,
        t varchar(50), updated_at datetime(6) NOT NULL, INDEX (updated_at, id)) CHARACTER SET utf8mb4`,
    );
    await mysqlExec(
      `INSERT INTO ${tables.mysql} VALUES (1, 18446744073709551615, 12345678901234567890.0123456789, '2024-03-01 10:00:00.654321',
        X'00FF00', 'ñandú 🦤', '2024-01-01 00:00:00')`,
    );
    for (const [from, to] of [
      [2, 600],
      [601, 1200],
    ]) {
      // MariaDB stops a recursive CTE at 1,000 iterations: two halves.
      await mysqlExec(
        `INSERT INTO ${tables.mysql} (id, t, updated_at) WITH RECURSIVE s(g) AS (SELECT ? UNION ALL SELECT g + 1 FROM s WHERE g < ?)
         SELECT g, CONCAT('row ', g), '2024-01-01 00:00:01' FROM s`,
        [from, to],
      );
    }

    checkout = prepareStarbaseDB();
    worker = await startWorker({
      cwd: checkout.dir,
      vars: {
        ADMIN_AUTHORIZATION_TOKEN: TOKENS.admin,
        CLIENT_AUTHORIZATION_TOKEN: TOKENS.client,
        REPLICATION_ENCRYPTION_KEY: "starbasedb-e2e-encryption-key-000000001",
      },
      startTimeoutMs: 120_000,
    });
    admin = apiClient(worker.url, TOKENS.admin);
    client = apiClient(worker.url, TOKENS.client);
  }, 360_000);

  afterAll(async () => {
    await worker?.stop();
    checkout?.remove();
    await pgExec(`DROP TABLE IF EXISTS ${tables.pg}, ${tables.pgLate}`);
    await mysqlExec(`DROP TABLE IF EXISTS ${tables.mysql}`);
  });

  it("was installed by the installer's three edits", () => {
    expect(checkout!.installerOutput).toMatch(/package\.json: dependency "starbase-edge-replica"/);
    expect(checkout!.installerOutput).toMatch(/withReplication\(StarbaseDBDurableObjectBase\)/);
    expect(checkout!.installerOutput).toMatch(/new ReplicationPlugin\(\{ cron: cronPlugin, dataSource, ctx \}\)/);
  });

  it("keeps the replication API for the admin role", async () => {
    expect((await client("GET", "/replication/jobs")).status).toBe(403);
    const create = await client("POST", "/replication/jobs", { name: "nope" });
    expect(create.status).toBe(403);
    expect((await admin("GET", "/replication/jobs")).body).toEqual({ result: [] });
  });

  it("answers bad input with a 400 that names the problem, and stores nothing", async () => {
    const res = await admin("POST", "/replication/jobs", {
      name: "bad",
      source: pgSource,
      table_name: tables.pg,
      tracking_col: "missing_col",
      tracking_type: "timestamp",
      cron_tab: EVERY_2_S,
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/tracking_col "missing_col" is not a column/);
    expect(await replicationTasks()).toEqual([]);
  });

  it("registers one StarbaseDB cron task per job, and the replicas converge on its ticks alone", async () => {
    const pg = await admin("POST", "/replication/jobs", {
      name: "pg_orders",
      source: pgSource,
      table_name: tables.pg,
      tracking_col: "updated_at",
      tracking_type: "timestamp",
      cron_tab: EVERY_2_S,
      batch_size: 1000,
    });
    expect(pg.body.error).toBeUndefined();
    expect(pg.status).toBe(201);
    const my = await admin("POST", "/replication/jobs", {
      name: "my_items",
      source: mysqlSource,
      table_name: tables.mysql,
      tracking_col: "updated_at",
      tracking_type: "timestamp",
      cron_tab: EVERY_2_S,
      batch_size: 500,
    });
    expect(my.body.error).toBeUndefined();
    expect(await replicationTasks()).toEqual(["replication:my_items", "replication:pg_orders"]);

    await waitFor("the PostgreSQL replica", async () => ((await count(tables.pg)) === 2501 ? true : undefined), 60_000);
    await waitFor("the MariaDB replica", async () => ((await count(tables.mysql)) === 1200 ? true : undefined), 60_000);

    // Later changes arrive on ticks too: nobody calls /run in this test.
    await pgExec(`UPDATE ${tables.pg} SET t = 'changed', updated_at = clock_timestamp() WHERE id IN (7, 8)`);
    await pgExec(`INSERT INTO ${tables.pg} (id, t, updated_at) VALUES (3000, 'new', clock_timestamp())`);
    await waitFor(
      "the changes",
      async () => {
        const rows = (await replicaRows(
          tables.pg,
          `SELECT count(*) AS n, sum(t = 'changed') AS changed FROM "${tables.pg}"`,
        )) as Array<{ n: number; changed: number }>;
        return rows?.[0]?.n === 2502 && rows[0].changed === 2 ? true : undefined;
      },
      30_000,
    );
    const runs = await admin<Array<{ trigger: string }>>("GET", "/replication/jobs/pg_orders/runs");
    expect(runs.body.result!.every((run) => run.trigger === "cron")).toBe(true);
  }, 150_000);

  it("keeps every value exact, PostgreSQL and MariaDB", async () => {
    expect(
      await replicaRows(
        tables.pg,
        `SELECT CAST(big AS TEXT) AS big, num, ts, hex(b) AS b, j, t, n FROM "${tables.pg}" WHERE id = 1`,
      ),
    ).toEqual([
      {
        big: "9223372036854775807",
        num: "123456789012345678901234567890.0123456789",
        ts: "2024-03-01T04:30:00.123456Z",
        b: "00FF00",
        j: '{"a": "x", "b": [1, {"c": null}]}',
        t: "émoji 🚀",
        n: null,
      },
    ]);
    expect(
      await replicaRows(tables.mysql, `SELECT u, d, dt, hex(b) AS b, t FROM "${tables.mysql}" WHERE id = 1`),
    ).toEqual([
      {
        u: "18446744073709551615",
        d: "12345678901234567890.0123456789",
        dt: "2024-03-01T10:00:00.654321",
        b: "00FF00",
        t: "ñandú 🦤",
      },
    ]);
  });

  it("keeps a row whose transaction commits after later ones", async () => {
    const created = await admin("POST", "/replication/jobs", {
      name: "pg_late",
      source: pgSource,
      table_name: tables.pgLate,
      tracking_col: "updated_at",
      tracking_type: "timestamp",
      cron_tab: EVERY_2_S,
    });
    expect(created.status).toBe(201);
    const late = await pgSession();
    try {
      await late.query("BEGIN");
      await late.query(`INSERT INTO ${tables.pgLate} (id) VALUES (1)`); // stamped now(): its transaction's start
      await pgExec(`INSERT INTO ${tables.pgLate} (id) VALUES (2)`);
      await waitFor("the early commit", async () => ((await count(tables.pgLate)) === 1 ? true : undefined), 30_000);
      await late.query("COMMIT");
    } finally {
      await late.end();
    }
    await waitFor("the late commit", async () => ((await count(tables.pgLate)) === 2 ? true : undefined), 30_000);
  }, 90_000);

  it("pauses, resumes and deletes a job's cron task with it", async () => {
    expect((await admin("POST", "/replication/jobs/pg_late/pause")).status).toBe(200);
    expect(await replicationTasks()).not.toContain("replication:pg_late");
    const resumed = await admin<{ status: { state: string } }>("POST", "/replication/jobs/pg_late/resume");
    expect(resumed.body.result!.status.state).toBe("idle");
    expect(await replicationTasks()).toContain("replication:pg_late");
    const deleted = await admin("DELETE", "/replication/jobs/pg_late?drop_table=true");
    expect(deleted.body).toEqual({ result: { deleted: "pg_late", dropped_table: true } });
    expect(await replicationTasks()).toEqual(["replication:my_items", "replication:pg_orders"]);
    expect(await count(tables.pgLate)).toBeUndefined();
  });

  it("gives the client role the rules it has in this project's host", async () => {
    const read = await client<Array<{ n: number }>>("POST", "/query", {
      sql: `SELECT count(*) AS n FROM "${tables.pg}"`,
    });
    expect(read.body.result).toEqual([{ n: 2502 }]);
    const refused: Array<[string, RegExp]> = [
      [`UPDATE "${tables.pg}" SET t = 'forged'`, /replica of replication job pg_orders/],
      [`DELETE FROM '${tables.pg}'`, /replica of replication job pg_orders/],
      ["SELECT settings FROM 'tmp_replication_jobs'", /internal tables/],
      ["SELECT name, sql FROM sqlite_master", /sqlite_schema/],
      [`CREATE TRIGGER t AFTER INSERT ON "${tables.pg}" BEGIN SELECT 1; END`, /triggers/],
    ];
    for (const [sql, rule] of refused) {
      const res = await client("POST", "/query", { sql });
      // StarbaseDB answers an error of a plugin's beforeQuery with its query route's 500.
      expect(res.status, sql).toBe(500);
      expect(res.body.error, sql).toMatch(rule);
    }
    expect(await count(tables.pg)).toBe(2502);
    const own = await client("POST", "/query", {
      sql: "CREATE TABLE client_notes (id INTEGER PRIMARY KEY, body TEXT)",
    });
    expect(own.status).toBe(200);

    // Nothing the client sends may restart the object: judged statement by statement, each on
    // what the ones before it in the text leave.
    const counter = await client("POST", "/query", {
      sql: "CREATE TABLE client_counter (id INTEGER PRIMARY KEY AUTOINCREMENT, v); INSERT INTO client_counter (v) VALUES (1)",
    });
    expect(counter.status).toBe(200);
    const restarts: Array<[string, RegExp]> = [
      [
        "DELETE FROM sqlite_sequence WHERE name = 'client_counter'; UPDATE client_counter SET id = 9223372036854775807; " +
          "INSERT INTO client_counter (v) VALUES (2)",
        /may not raise the ids of AUTOINCREMENT table client_counter/,
      ],
      ["INSERT OR ROLLBACK INTO client_notes VALUES (1, 'x')", /ON CONFLICT ROLLBACK/],
    ];
    for (const [sql, rule] of restarts) {
      const res = await client("POST", "/query", { sql });
      expect(res.status, sql).toBe(500);
      expect(res.body.error, sql).toMatch(rule);
    }
    const rows = await client<Array<{ id: number }>>("POST", "/query", { sql: "SELECT id FROM client_counter" });
    expect(rows.body.result).toEqual([{ id: 1 }]);
  });

  it("stores the source password sealed, never in clear", async () => {
    const stored = await admin<Array<{ settings: string; sealed: string }>>("POST", "/query", {
      sql: "SELECT settings, source_sealed AS sealed FROM tmp_replication_jobs WHERE name = 'pg_orders'",
    });
    expect(stored.body.result).toHaveLength(1);
    expect(JSON.stringify(stored.body.result)).not.toContain(PASSWORD);
    expect(stored.body.result![0]!.sealed).toMatch(/^v1\.[0-9a-f]{8}\./);
  });
});
