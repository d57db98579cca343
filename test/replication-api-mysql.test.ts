/**
 * The replication REST API with MySQL/MariaDB sources: the happy path, source
 * checks, and passwords (MariaDB checks them, unlike the test PostgreSQL's trust auth).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobView, RunRecord } from "../plugins/replication";
import { api, CLIENT, sql, uniqueName } from "./helpers";
import { MYSQL, mysqlExec } from "./support/sources";
import {
  CRON,
  cronTask,
  expectNothingStored,
  getJob,
  jobBody,
  JobTracker,
  replicaCount,
  runJob,
  waitForFirstRun,
  without,
} from "./support/replication-api";

const MY_SOURCE = { dialect: "mysql", ...MYSQL } as const;

let table: string; // id, note, seq, updated_at (indexed), maybe_at (nullable)
let keyless: string;
let user: string; // a MariaDB user with a password, allowed to read `table`
let password: string;
const tracker = new JobTracker();
const create = (body: Record<string, unknown>) => tracker.create(body);
const run = runJob;

function myBody(over: Record<string, unknown> = {}): Record<string, unknown> {
  return jobBody("rapi_my", MY_SOURCE, table, over);
}

/** Every answer about a job, as one string, to search for secrets. */
async function everythingAbout(name: string): Promise<string> {
  const answers = await Promise.all([
    api("GET", `/replication/jobs/${name}`),
    api("GET", `/replication/jobs/${name}/runs`),
    api("GET", "/replication/jobs"),
    api("GET", "/cron/tasks"),
  ]);
  return JSON.stringify(answers);
}

beforeAll(async () => {
  table = uniqueName("rapi_my_src");
  keyless = uniqueName("rapi_my_nokey");
  user = uniqueName("rapi_u");
  password = `S3cret-my-${crypto.randomUUID().slice(0, 8)}`;
  await mysqlExec(`CREATE TABLE ${table} (
    id int PRIMARY KEY, note varchar(40), seq bigint NOT NULL, updated_at datetime(6) NOT NULL,
    maybe_at datetime NULL, KEY (updated_at, id))`);
  const values = Array.from({ length: 15 }, (_, i) => i + 1).map(
    (i) => `(${i}, 'note ${i}', ${i * 10}, '2024-05-01 00:00:${String(i).padStart(2, "0")}.250000', NULL)`,
  );
  await mysqlExec(`INSERT INTO ${table} VALUES ${values.join(", ")}`);
  await mysqlExec(`CREATE TABLE ${keyless} (a int NOT NULL, updated_at datetime NOT NULL)`);
  await mysqlExec(`CREATE USER ?@'%' IDENTIFIED BY ?`, [user, password]);
  await mysqlExec(`GRANT SELECT ON test.${table} TO ?@'%'`, [user]);
});

afterAll(async () => {
  await tracker.cleanup();
  await mysqlExec(`DROP TABLE IF EXISTS ${table}, ${keyless}`);
  await mysqlExec(`DROP USER IF EXISTS ?@'%'`, [user]);
});

describe("MySQL: create and run", () => {
  it("creates a job (201) with the source's key and types, and copies the table", async () => {
    const target = uniqueName("rapi_my_copy");
    const job = await create(myBody({ target_table: target, lookback_seconds: 0, batch_size: 4 }));
    expect(job).toMatchObject({
      source: { ...MY_SOURCE, password: "" },
      primary_key: ["id"],
      tracking_col: "updated_at",
      status: { state: "idle", cursor: null, rows_synced: 0 },
    });
    expect(job.columns.map((c) => c.name)).toEqual(["id", "note", "seq", "updated_at", "maybe_at"]);
    expect(job.warnings).toEqual([]);
    expect(await cronTask(job.name)).toMatchObject({ enabled: true, cron_tab: CRON });

    // An active job copies on its own as soon as it is created.
    const first = (await waitForFirstRun(job.name)).status;
    expect(first).toMatchObject({ rows_synced: 15, last_error: null });
    expect(first.cursor).toEqual({ tracking: "2024-05-01T00:00:15.250000", key: [15] });
    expect(await run(job.name)).toMatchObject({ rows: 0, done: true });
    const client = await sql<Array<Record<string, unknown>>>(
      `SELECT id, note, seq, updated_at FROM ${target} ORDER BY id LIMIT 1`,
      [],
      CLIENT,
    );
    expect(client.status).toBe(200);
    expect(client.body.result).toEqual([{ id: 1, note: "note 1", seq: 10, updated_at: "2024-05-01T00:00:01.250000" }]);
    expect((await getJob(job.name)).status).toMatchObject({ rows_synced: 15, state: "idle", last_error: null });
    const runs = (await api<RunRecord[]>("GET", `/replication/jobs/${job.name}/runs`)).body.result!;
    expect(runs.map((r) => [r.trigger, r.rows, r.done, r.pages])).toEqual([
      ["manual", 0, true, 1],
      ["cron", 15, true, 4],
    ]);
  });

  it("tracks an integer column with tracking_type id", async () => {
    const target = uniqueName("rapi_my_id");
    const job = await create(
      myBody({ target_table: target, tracking_col: "seq", tracking_type: "id", columns: ["id", "seq"], active: false }),
    );
    expect(job.warnings.join("\n")).toMatch(/no index .* starts with seq/);
    expect(await run(job.name)).toMatchObject({ rows: 15, cursor: { tracking: 150, key: [15] } });
    expect(await replicaCount(target)).toBe(15);
  });

  it("pause, resume, reset and delete work the same as for PostgreSQL", async () => {
    const target = uniqueName("rapi_my_life");
    const job = await create(myBody({ target_table: target }));
    await waitForFirstRun(job.name);
    expect(await replicaCount(target)).toBe(15);
    expect((await api("POST", `/replication/jobs/${job.name}/pause`)).status).toBe(200);
    expect((await cronTask(job.name))!.enabled).toBe(false);
    expect((await api("POST", `/replication/jobs/${job.name}/resume`)).status).toBe(200);
    expect((await cronTask(job.name))!.enabled).toBe(true);
    expect((await api("POST", `/replication/jobs/${job.name}/reset?truncate=true`)).status).toBe(200);
    expect(await replicaCount(target)).toBe(0);
    expect(await run(job.name)).toMatchObject({ rows: 15 });
    const del = await api("DELETE", `/replication/jobs/${job.name}?drop_table=true`);
    expect(del.status).toBe(200);
    expect(await cronTask(job.name)).toBeUndefined();
    expect((await sql("SELECT name FROM sqlite_master WHERE name = ?", [target])).body.result).toEqual([]);
  });
});

describe("MySQL: create rejects with 400 and stores nothing", () => {
  type Case = [label: string, body: () => Record<string, unknown>, message: RegExp];
  const cases: Case[] = [
    ["unknown table", () => myBody({ table_name: "no_such_table_rapi" }), /no_such_table_rapi.*not found/],
    ["unknown database", () => myBody({ source: { ...MY_SOURCE, database: "no_such_db_rapi" } }), /no_such_db_rapi/],
    ["unknown tracking column", () => myBody({ tracking_col: "nope" }), /tracking_col "nope"/],
    ["timestamp tracking on a varchar", () => myBody({ tracking_col: "note" }), /tracking_col "note".*varchar/],
    ["id tracking on a datetime", () => myBody({ tracking_type: "id" }), /integer/],
    ["columns missing the key", () => myBody({ columns: ["updated_at", "note"] }), /missing: id/],
    ["keyless table without primary_key", () => myBody({ table_name: keyless }), /no primary key/],
    ["source without user", () => myBody({ source: without({ ...MY_SOURCE }, "user") }), /source\.user/],
    [
      "url of another scheme",
      () => myBody({ source: { dialect: "mysql", url: "ftp://root@127.0.0.1/test" } }),
      /source\.url/,
    ],
    ["closed port", () => myBody({ source: { ...MY_SOURCE, port: 1 } }), /source check failed/],
  ];

  it.each(cases)("%s", async (_label, makeBody, message) => {
    const body = makeBody();
    const res = await api("POST", "/replication/jobs", { body });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(message);
    await expectNothingStored(body);
  });

  it("a keyless table is accepted with primary_key", async () => {
    const job = await create(myBody({ table_name: keyless, primary_key: ["a"] }));
    expect(job.primary_key).toEqual(["a"]);
  });
});

describe("MySQL: passwords", () => {
  it("shows a real password as *** in the create answer, the job, the list and never elsewhere", async () => {
    const job = await create(myBody({ source: { ...MY_SOURCE, user, password }, active: false }));
    expect(job.source).toEqual({ ...MY_SOURCE, user, password: "***" });
    const list = (await api<JobView[]>("GET", "/replication/jobs")).body.result!;
    expect(list.find((j) => j.name === job.name)!.source).toMatchObject({ password: "***" });
    expect((await getJob(job.name)).source).toMatchObject({ password: "***" });
    expect(await run(job.name)).toMatchObject({ rows: 15 });
    expect(await everythingAbout(job.name)).not.toContain(password);
  });

  it("redacts the password of a url source", async () => {
    const url = `mysql://${user}:${password}@127.0.0.1:3306/test`;
    const job = await create(myBody({ source: { dialect: "mysql", url }, active: false }));
    expect(job.source).toEqual({ dialect: "mysql", url: `mysql://${user}:***@127.0.0.1:3306/test` });
    expect(await run(job.name)).toMatchObject({ rows: 15 });
    expect(await everythingAbout(job.name)).not.toContain(password);
  });

  it.each([
    ["fields", (pw: string) => ({ ...MY_SOURCE, user, password: pw })],
    ["url", (pw: string) => ({ dialect: "mysql", url: `mysql://${user}:${pw}@127.0.0.1:3306/test` })],
  ])("a wrong password (%s) → 400 naming the failure, never a password", async (_label, source) => {
    const wrong = `Wrong-S3cret-${crypto.randomUUID().slice(0, 6)}`;
    const body = myBody({ source: source(wrong) });
    const res = await api("POST", "/replication/jobs", { body });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/source check failed.*Access denied/);
    expect(res.body.error).not.toContain(wrong);
    expect(res.body.error).not.toContain(password);
    await expectNothingStored(body);
  });

  it("a changed password: run → 502 recorded without secrets; PATCH with the old one → 400; with the new one → 200", async () => {
    const own = uniqueName("rapi_u2");
    const oldPw = `Old-S3cret-${crypto.randomUUID().slice(0, 6)}`;
    const newPw = `New-S3cret-${crypto.randomUUID().slice(0, 6)}`;
    await mysqlExec(`CREATE USER ?@'%' IDENTIFIED BY ?`, [own, oldPw]);
    try {
      await mysqlExec(`GRANT SELECT ON test.${table} TO ?@'%'`, [own]);
      const target = uniqueName("rapi_my_pw");
      const job = await create(
        myBody({ target_table: target, source: { ...MY_SOURCE, user: own, password: oldPw }, active: false }),
      );
      await mysqlExec(`ALTER USER ?@'%' IDENTIFIED BY ?`, [own, newPw]);

      const failed = await api("POST", `/replication/jobs/${job.name}/run`);
      expect(failed.status).toBe(502);
      expect(failed.body.error).toMatch(/Access denied/);
      // Resuming puts the job back on its schedule without running it, and shows it failing.
      expect((await api("POST", `/replication/jobs/${job.name}/resume`)).status).toBe(200);
      const status = (await getJob(job.name)).status;
      expect(status).toMatchObject({ state: "failing", last_error: failed.body.error, consecutive_failures: 1 });
      const runs = (await api<RunRecord[]>("GET", `/replication/jobs/${job.name}/runs`)).body.result!;
      expect(runs[0]).toMatchObject({ done: false, rows: 0, error: failed.body.error });

      const stale = await api("PATCH", `/replication/jobs/${job.name}`, {
        body: { batch_size: 3, source: { ...MY_SOURCE, user: own, password: `${oldPw}x` } },
      });
      expect(stale.status).toBe(400);
      expect(JSON.stringify(stale.body)).not.toContain(oldPw);
      expect((await getJob(job.name)).batch_size).toBe(1000);

      const fixed = await api<JobView>("PATCH", `/replication/jobs/${job.name}`, {
        body: { source: { ...MY_SOURCE, user: own, password: newPw } },
      });
      expect(fixed.status).toBe(200);
      expect(fixed.body.result!.source).toMatchObject({ password: "***" });
      expect(await run(job.name)).toMatchObject({ rows: 15 });
      expect((await getJob(job.name)).status).toMatchObject({
        state: "idle",
        last_error: null,
        consecutive_failures: 0,
      });
      const all = await everythingAbout(job.name);
      expect(all).not.toContain(oldPw);
      expect(all).not.toContain(newPw);
    } finally {
      await mysqlExec(`DROP USER IF EXISTS ?@'%'`, [own]);
    }
  });

  it("PATCH cannot move a job to another dialect", async () => {
    const job = await create(myBody());
    const res = await api("PATCH", `/replication/jobs/${job.name}`, {
      body: { source: { dialect: "postgresql", host: "127.0.0.1", port: 5432, user: "postgres", database: "test" } },
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/dialect cannot change/);
    expect((await getJob(job.name)).source).toMatchObject({ dialect: "mysql" });
  });
});
