/**
 * The replication REST API as a user sees it: every route, every status code,
 * bad bodies, and what is (not) stored afterwards. PostgreSQL sources and the
 * dialect-independent checks live here; MySQL ones in replication-api-mysql.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobView, RunRecord, RunSummary } from "../plugins/replication";
import { api, CLIENT, sql, uniqueName } from "./helpers";
import { PG, pgExec } from "./support/sources";
import {
  CRON,
  cronTask,
  expectNothingStored,
  getJob,
  jobBody,
  JobTracker,
  replicaCount,
  runJob,
  sqliteTableExists,
  waitForFirstRun,
  without,
} from "./support/replication-api";

const PG_SOURCE = { dialect: "postgresql", ...PG } as const;
/** Set as a worker binding in vitest.config.ts; trust auth ignores the password, which must never show. */
const SECRET_PG_PASSWORD = "Pg-binding-pw-77";

let main: string; // id, note, seq, updated_at (indexed), maybe_at (nullable), born (date)
let keyless: string; // no primary key
let big: string; // 30k rows, for runs that take a while
const sourceTables: string[] = [];
const tracker = new JobTracker();
const create = (body: Record<string, unknown>) => tracker.create(body);
const run = runJob;

/** A valid create body on the main PostgreSQL table; `over` replaces fields. */
function pgBody(over: Record<string, unknown> = {}): Record<string, unknown> {
  return jobBody("rapi", PG_SOURCE, main, over);
}

async function insertMain(from: number, to: number): Promise<void> {
  await pgExec(
    `INSERT INTO ${main} (id, note, seq, updated_at, maybe_at, born)
     SELECT g, 'note ' || g, g * 10, '2024-03-01T00:00:00Z'::timestamptz + g * interval '1 minute', NULL, DATE '2000-01-01' + g
     FROM generate_series($1::int, $2::int) g`,
    [from, to],
  );
}

beforeAll(async () => {
  main = uniqueName("rapi_src");
  keyless = uniqueName("rapi_nokey");
  big = uniqueName("rapi_big");
  sourceTables.push(main, keyless, big);
  await pgExec(`CREATE TABLE ${main} (
    id bigint PRIMARY KEY, note text, seq bigint NOT NULL, updated_at timestamptz(6) NOT NULL,
    maybe_at timestamptz, born date)`);
  await pgExec(`CREATE INDEX ON ${main} (updated_at, id)`);
  await insertMain(1, 20);
  await pgExec(`CREATE TABLE ${keyless} (a int NOT NULL, b text, updated_at timestamptz NOT NULL)`);
  await pgExec(`INSERT INTO ${keyless} VALUES (1, 'x', now()), (2, 'y', now())`);
  await pgExec(`CREATE TABLE ${big} (id bigint PRIMARY KEY, updated_at timestamptz(6) NOT NULL, payload text)`);
  await pgExec(`CREATE INDEX ON ${big} (updated_at, id)`);
  await pgExec(
    `INSERT INTO ${big} SELECT g, '2024-01-01'::timestamptz + g * interval '1 second', repeat('p', 40) FROM generate_series(1, 30000) g`,
  );
});

afterAll(async () => {
  await tracker.cleanup();
  for (const table of sourceTables) await pgExec(`DROP TABLE IF EXISTS ${table}`);
});

describe("POST /replication/jobs rejects bad bodies with 400 and stores nothing", () => {
  type Case = [label: string, body: () => Record<string, unknown>, message: RegExp];
  const missing: Case[] = ["name", "source", "table_name", "tracking_col", "tracking_type", "cron_tab"].map(
    (field): Case => [`missing ${field}`, () => without(pgBody(), field), new RegExp(field.replace("_", "_"))],
  );
  const shapes: Case[] = [
    ["name is a number", () => pgBody({ name: 123 }), /name/],
    ["name is empty", () => pgBody({ name: "" }), /name/],
    ["name is too long", () => pgBody({ name: "n".repeat(65) }), /name/],
    ["name with SQL injection", () => pgBody({ name: "x; DROP TABLE y" }), /name/],
    ["name with a dash", () => pgBody({ name: "bad-name" }), /name/],
    ["name with unicode", () => pgBody({ name: `jöb_${uniqueName("u")}` }), /name/],
    ["source is a string", () => pgBody({ source: "postgresql://postgres@127.0.0.1/test" }), /source/],
    ["source is an array", () => pgBody({ source: [] }), /source/],
    ["source is null", () => pgBody({ source: null }), /source/],
    ["source dialect unknown", () => pgBody({ source: { ...PG_SOURCE, dialect: "oracle" } }), /source\.dialect/],
    ["source without dialect", () => pgBody({ source: without({ ...PG_SOURCE }, "dialect") }), /dialect/],
    ["source without host", () => pgBody({ source: without({ ...PG_SOURCE }, "host") }), /source\.host/],
    ["source without user", () => pgBody({ source: without({ ...PG_SOURCE }, "user") }), /source\.user/],
    ["source without database", () => pgBody({ source: without({ ...PG_SOURCE }, "database") }), /source\.database/],
    ["source port is a string", () => pgBody({ source: { ...PG_SOURCE, port: "5432" } }), /source\.port/],
    ["source port 0", () => pgBody({ source: { ...PG_SOURCE, port: 0 } }), /source\.port/],
    ["source port 70000", () => pgBody({ source: { ...PG_SOURCE, port: 70000 } }), /source\.port/],
    ["source password is a number", () => pgBody({ source: { ...PG_SOURCE, password: 1234 } }), /source\.password/],
    ["source ssl unknown", () => pgBody({ source: { ...PG_SOURCE, ssl: "maybe" } }), /source\.ssl/],
    ["source unknown field", () => pgBody({ source: { ...PG_SOURCE, sslmode: "disable" } }), /sslmode/],
    [
      "source schema injection",
      () => pgBody({ source: { ...PG_SOURCE, schema: "public; DROP SCHEMA public" } }),
      /source\.schema/,
    ],
    [
      "source url not a URL",
      () => pgBody({ source: { dialect: "postgresql", url: "http://example.com/db" } }),
      /source\.url/,
    ],
    [
      "source url and host mixed",
      () => pgBody({ source: { dialect: "postgresql", url: "postgresql://postgres@127.0.0.1/test", host: "x" } }),
      /host/,
    ],
    [
      "source secret not a name",
      () => pgBody({ source: { dialect: "postgresql", secret: "NOT-A NAME" } }),
      /source\.secret/,
    ],
    [
      "source secret not set",
      () => pgBody({ source: { dialect: "postgresql", secret: "NO_SUCH_SECRET_XYZ" } }),
      /NO_SUCH_SECRET_XYZ.*not set/,
    ],
    [
      "hyperdrive binding missing",
      () => pgBody({ source: { dialect: "postgresql", hyperdrive: "NO_SUCH_HYPERDRIVE" } }),
      /NO_SUCH_HYPERDRIVE/,
    ],
    ["hyperdrive with mysql", () => pgBody({ source: { dialect: "mysql", hyperdrive: "HD" } }), /hyperdrive/],
    ["table_name is a number", () => pgBody({ table_name: 5 }), /table_name/],
    ["table_name with injection", () => pgBody({ table_name: 't"; DROP TABLE x; --' }), /table_name/],
    ["table_name with unicode", () => pgBody({ table_name: "tablé" }), /table_name/],
    ["tracking_col with injection", () => pgBody({ tracking_col: "a) OR 1=1 --" }), /tracking_col/],
    ["tracking_type unknown", () => pgBody({ tracking_type: "uuid" }), /tracking_type/],
    ["target_table reserved tmp_", () => pgBody({ target_table: "tmp_evil" }), /target_table/],
    ["target_table reserved TMP_ (any case)", () => pgBody({ target_table: "TMP_Evil" }), /target_table/],
    ["target_table reserved sqlite_", () => pgBody({ target_table: "sqlite_evil" }), /target_table/],
    ["target_table reserved _cf_", () => pgBody({ target_table: "_cf_evil" }), /target_table/],
    [
      "table_name whose default target is reserved",
      () => pgBody({ table_name: "tmp_rapi_source", target_table: undefined }),
      /target_table tmp_rapi_source is reserved/,
    ],
    ["target_table with injection", () => pgBody({ target_table: 'x"; DROP TABLE y; --' }), /target_table/],
    ["target_table with unicode", () => pgBody({ target_table: "réplique" }), /target_table/],
    ["columns is a string", () => pgBody({ columns: "id" }), /columns/],
    ["columns is empty", () => pgBody({ columns: [] }), /columns/],
    ["columns repeats a column", () => pgBody({ columns: ["id", "updated_at", "ID"] }), /columns/],
    ["columns with injection", () => pgBody({ columns: ["id", "updated_at", "note; DROP TABLE x"] }), /columns/],
    ["primary_key is a number", () => pgBody({ primary_key: 5 }), /primary_key/],
    ["primary_key with injection", () => pgBody({ primary_key: ["id", "x--"] }), /primary_key/],
    ["batch_size is a string", () => pgBody({ batch_size: "10" }), /batch_size/],
    ["batch_size 0", () => pgBody({ batch_size: 0 }), /batch_size/],
    ["batch_size 10001", () => pgBody({ batch_size: 10001 }), /batch_size/],
    ["batch_size fractional", () => pgBody({ batch_size: 1.5 }), /batch_size/],
    ["lookback_seconds negative", () => pgBody({ lookback_seconds: -1 }), /lookback_seconds/],
    ["lookback_seconds over 7 days", () => pgBody({ lookback_seconds: 7 * 86_400 + 1 }), /lookback_seconds/],
    ["active is a string", () => pgBody({ active: "yes" }), /active/],
    ["unknown top-level field", () => pgBody({ where: "1=1" }), /where/],
    ["cron_tab is a number", () => pgBody({ cron_tab: 5 }), /cron_tab/],
    ["cron_tab is empty", () => pgBody({ cron_tab: "" }), /cron_tab/],
    ["cron_tab with 3 fields", () => pgBody({ cron_tab: "* * *" }), /cron/],
    ["cron_tab minute 61", () => pgBody({ cron_tab: "61 * * * *" }), /cron/],
    ["cron_tab with 7 fields", () => pgBody({ cron_tab: "0 0 0 1 1 * 2030" }), /cron/],
    ["cron_tab is words", () => pgBody({ cron_tab: "every day please" }), /cron/],
    ["cron_tab that never fires", () => pgBody({ cron_tab: "0 0 31 2 *" }), /never fires/],
  ];
  const againstSource: Case[] = [
    ["unknown table", () => pgBody({ table_name: "no_such_table_rapi" }), /no_such_table_rapi.*not found/],
    ["unknown schema", () => pgBody({ source: { ...PG_SOURCE, schema: "no_such_schema_rapi" } }), /not found/],
    ["unknown database", () => pgBody({ source: { ...PG_SOURCE, database: "no_such_db_rapi" } }), /no_such_db_rapi/],
    ["closed port", () => pgBody({ source: { ...PG_SOURCE, port: 1 } }), /source check failed/],
    ["unknown tracking column", () => pgBody({ tracking_col: "nope" }), /tracking_col "nope"/],
    ["unknown column in columns", () => pgBody({ columns: ["id", "updated_at", "nope"] }), /columns\[\] "nope"/],
    ["unknown primary_key column", () => pgBody({ primary_key: "nope" }), /primary_key "nope"/],
    ["columns missing the key", () => pgBody({ columns: ["note", "updated_at"] }), /missing: id/],
    ["columns missing the tracking column", () => pgBody({ columns: ["id", "note"] }), /missing: updated_at/],
    ["timestamp tracking on a text column", () => pgBody({ tracking_col: "note" }), /tracking_col "note".*text/],
    ["id tracking on a timestamp column", () => pgBody({ tracking_type: "id" }), /tracking_col "updated_at".*integer/],
    ["keyless table without primary_key", () => pgBody({ table_name: keyless }), /no primary key/],
  ];

  it.each([...missing, ...shapes, ...againstSource])("%s", async (_label, makeBody, message) => {
    const body = makeBody();
    const res = await api("POST", "/replication/jobs", { body });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(message);
    await expectNothingStored(body);
  });

  it("accepts the boundaries: 64-character name, batch_size 1 and 10000, lookback 0 and 7 days", async () => {
    const long = `r${uniqueName("x")}`.padEnd(64, "z");
    expect((await create(pgBody({ name: long, batch_size: 1, lookback_seconds: 0 }))).name).toBe(long);
    const job = await create(pgBody({ batch_size: 10_000, lookback_seconds: 7 * 86_400 }));
    expect(job).toMatchObject({ batch_size: 10_000, lookback_seconds: 604_800 });
  });

  it("accepts a 6-field cron_tab (leading seconds)", async () => {
    const job = await create(pgBody({ cron_tab: "0 0 0 1 1 *" }));
    expect(job.cron_tab).toBe("0 0 0 1 1 *");
  });

  it("rejects a target table that exists, with 409, and stores nothing", async () => {
    const target = uniqueName("rapi_existing");
    expect((await sql(`CREATE TABLE ${target} (other TEXT PRIMARY KEY)`)).status).toBe(200);
    try {
      const body = pgBody({ target_table: target });
      const res = await api("POST", "/replication/jobs", { body });
      expect(res.status).toBe(409);
      expect(res.body.error).toMatch(new RegExp(`target_table "${target}" already exists`));
      const name = body.name as string;
      expect((await api("GET", `/replication/jobs/${name}`)).status).toBe(404);
      expect(await cronTask(name)).toBeUndefined();
    } finally {
      await sql(`DROP TABLE ${target}`);
    }
  });
});

describe("a target table made before the job", () => {
  const columns = "id INTEGER PRIMARY KEY, note TEXT, seq INTEGER, updated_at TEXT, maybe_at TEXT, born TEXT";

  it.each([
    ["forged rows", "", `INSERT INTO {t} (id, note) VALUES (999, 'forged')`],
    ["a ROLLBACK conflict clause", " UNIQUE ON CONFLICT ROLLBACK", null],
  ])(
    "by the client role, with %s, is refused until dropped; the job then makes its own",
    async (_label, extra, fill) => {
      const target = uniqueName("rapi_seeded");
      // The client role may make a table named as a future replica (not once a job names it).
      const made = await sql(
        `CREATE TABLE ${target} (${columns.replace("note TEXT", `note TEXT${extra}`)})`,
        [],
        CLIENT,
      );
      expect(made.status).toBe(200);
      if (fill) expect((await sql(fill.replace("{t}", target), [], CLIENT)).status).toBe(200);
      const body = pgBody({ target_table: target, active: false });
      const refused = await api("POST", "/replication/jobs", { body });
      expect(refused.status).toBe(409);
      expect(refused.body.error).toMatch(/already exists/);
      expect((await api("GET", `/replication/jobs/${body.name as string}`)).status).toBe(404);

      expect((await sql(`DROP TABLE ${target}`, [], CLIENT)).status).toBe(200);
      const job = await create(body);
      expect((await sql(`CREATE TABLE ${target} (${columns})`, [], CLIENT)).status).toBe(403);
      expect(await run(job.name)).toMatchObject({ rows: 20, done: true });
      const rows = await sql<Array<{ id: number }>>(`SELECT id FROM ${target} ORDER BY id`);
      expect(rows.body.result!.map((r) => r.id)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      const definition = await sql<Array<{ sql: string }>>(`SELECT sql FROM sqlite_schema WHERE name = ?`, [target]);
      expect(definition.body.result![0]!.sql).not.toMatch(/ROLLBACK/);
    },
  );
});

describe("content type and JSON", () => {
  const cases: Array<[string, { rawBody?: string; contentType?: string }, RegExp]> = [
    ["text/plain", { rawBody: "{}", contentType: "text/plain" }, /Content-Type/],
    ["form encoding", { rawBody: "name=x", contentType: "application/x-www-form-urlencoded" }, /Content-Type/],
    ["no body at all", {}, /Content-Type/],
    ["malformed JSON", { rawBody: '{"name": "x",' }, /not valid JSON/],
    ["empty JSON body", { rawBody: "" }, /not valid JSON/],
    ["JSON array", { rawBody: "[]" }, /./],
    ["JSON null", { rawBody: "null" }, /./],
    ["JSON string", { rawBody: '"job"' }, /./],
  ];

  it.each(cases)("POST /replication/jobs with %s → 400", async (_label, options) => {
    const res = await api("POST", "/replication/jobs", options);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(cases.find((c) => c[1] === options)![2]);
  });

  it("a valid body sent as text/plain is refused and not stored", async () => {
    const body = pgBody();
    const res = await api("POST", "/replication/jobs", { rawBody: JSON.stringify(body), contentType: "text/plain" });
    expect(res.status).toBe(400);
    await expectNothingStored(body);
  });

  it("accepts application/json with a charset", async () => {
    const body = pgBody();
    const res = await api("POST", "/replication/jobs", {
      rawBody: JSON.stringify(body),
      contentType: "application/json; charset=utf-8",
    });
    expect(res.status).toBe(201);
    tracker.names.push(body.name as string);
  });

  it.each(cases)("PATCH with %s → 400 and nothing changes", async (_label, options) => {
    const name = (await create(pgBody({ batch_size: 77 }))).name;
    const res = await api("PATCH", `/replication/jobs/${name}`, options);
    expect(res.status).toBe(400);
    expect((await getJob(name)).batch_size).toBe(77);
  });
});

describe("create: what is stored", () => {
  it("answers 201 with the job, its columns, the default key, defaults and a scheduled cron task", async () => {
    const body = pgBody({ target_table: undefined });
    const job = await create(body);
    const createdAt = Date.now();
    expect(job).toMatchObject({
      name: body.name,
      source: { ...PG_SOURCE, password: "" },
      table_name: main,
      target_table: main,
      tracking_col: "updated_at",
      tracking_type: "timestamp",
      primary_key: ["id"],
      cron_tab: CRON,
      batch_size: 1000,
      lookback_seconds: 300,
      active: true,
      status: { state: "idle", cursor: null, rows_synced: 0, last_run_at: null, last_error: null, lag_seconds: null },
    });
    expect(job.columns.map((c) => c.name)).toEqual(["id", "note", "seq", "updated_at", "maybe_at", "born"]);
    expect(job.columns.find((c) => c.name === "id")).toMatchObject({ sqlite_type: "INTEGER", nullable: false });
    // Indexed, NOT NULL tracking column: nothing to warn about.
    expect(job.warnings).toEqual([]);
    // An active job's first run is due at once, not at its first tick.
    expect(Math.abs(Date.parse(job.status.next_run_at!) - createdAt)).toBeLessThan(5_000);

    // That run was a one-off: afterwards the job is back on its schedule, the next 1 January.
    const settled = await waitForFirstRun(job.name);
    expect(settled.status).toMatchObject({ state: "idle", rows_synced: 20, last_error: null });
    expect(settled.status.next_run_at).toMatch(/^\d{4}-01-01T00:00:00/);
    expect(Date.parse(settled.status.next_run_at!)).toBeGreaterThan(Date.now());
    const task = await cronTask(job.name);
    expect(task).toMatchObject({ cron_tab: CRON, enabled: true, next_run_at: settled.status.next_run_at });
    expect(task!.payload).toEqual({ job: job.name, kind: "sync" });
    const list = await api<JobView[]>("GET", "/replication/jobs");
    expect(list.status).toBe(200);
    expect(list.body.result!.find((j) => j.name === job.name)).toEqual({
      ...settled,
      status: { ...settled.status, lag_seconds: expect.any(Number) },
    });
  });

  it("two concurrent creates of one name: one 201, one 409, one job", async () => {
    const body = pgBody();
    const results = await Promise.all([
      api("POST", "/replication/jobs", { body }),
      api("POST", "/replication/jobs", { body }),
    ]);
    tracker.names.push(body.name as string);
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    const list = (await api<JobView[]>("GET", "/replication/jobs")).body.result!;
    expect(list.filter((j) => j.name === body.name)).toHaveLength(1);
  });

  it("answers 409 for a duplicate name and leaves the first job unchanged", async () => {
    const body = pgBody({ batch_size: 10 });
    const first = await create(body);
    const res = await api("POST", "/replication/jobs", { body: { ...body, batch_size: 20, table_name: keyless } });
    expect(res.status).toBe(409);
    expect(res.body.error).toContain(body.name as string);
    const after = await getJob(first.name);
    expect(after.batch_size).toBe(10);
    expect(after.table_name).toBe(main);
  });

  it("warns about a nullable tracking column and a missing index", async () => {
    const job = await create(pgBody({ tracking_col: "maybe_at" }));
    expect(job.warnings).toHaveLength(2);
    expect(job.warnings.join("\n")).toMatch(/"maybe_at" is nullable/);
    expect(job.warnings.join("\n")).toMatch(/no index .* starts with maybe_at/);
  });

  it("keeps the source's spelling of a tracking column given in another case", async () => {
    const job = await create(pgBody({ tracking_col: "UPDATED_AT" }));
    expect(job.tracking_col).toBe("updated_at");
  });

  it("takes primary_key as a string or an array, and accepts a keyless table with one", async () => {
    const asString = await create(pgBody({ table_name: keyless, primary_key: "a" }));
    expect(asString.primary_key).toEqual(["a"]);
    const asArray = await create(
      pgBody({ table_name: keyless, primary_key: ["a", "b"], target_table: uniqueName("rapi_t") }),
    );
    expect(asArray.primary_key).toEqual(["a", "b"]);
  });

  it("replicates only the given columns into target_table, readable by the client role", async () => {
    const target = uniqueName("rapi_subset");
    const job = await create(
      pgBody({
        target_table: target,
        columns: ["id", "updated_at", "seq"],
        tracking_col: "seq",
        tracking_type: "id",
        active: false,
      }),
    );
    expect(job.columns.map((c) => c.name)).toEqual(["id", "updated_at", "seq"]);
    await run(job.name);
    const client = await sql<Array<Record<string, unknown>>>(`SELECT * FROM ${target} ORDER BY id LIMIT 1`, [], CLIENT);
    expect(client.status).toBe(200);
    // The given columns, and the row hash verification uses (README "Verify, repair and reconciliation").
    expect(client.body.result).toEqual([
      { id: 1, updated_at: "2024-03-01T00:01:00.000000Z", seq: 10, _starbase_row_hash: expect.any(Number) },
    ]);
  });

  it("active: false creates a paused job whose cron task is disabled", async () => {
    const job = await create(pgBody({ active: false }));
    expect(job.active).toBe(false);
    expect(job.status.state).toBe("paused");
    expect(job.status.next_run_at).toBeNull();
    expect((await cronTask(job.name))!.enabled).toBe(false);
  });

  it("reads the connection URL from a worker secret, never showing it", async () => {
    const job = await create(
      pgBody({ source: { dialect: "postgresql", secret: "REPLICATION_TEST_PG_URL" }, active: false }),
    );
    expect(job.source).toEqual({ dialect: "postgresql", secret: "REPLICATION_TEST_PG_URL" });
    const summary = await run(job.name);
    expect(summary.rows).toBeGreaterThanOrEqual(20);
    const everything = JSON.stringify([
      job,
      await getJob(job.name),
      await api("GET", `/replication/jobs/${job.name}/runs`),
    ]);
    expect(everything).not.toContain(SECRET_PG_PASSWORD);
    expect(everything).not.toContain("127.0.0.1");
  });

  it("a secret naming a worker secret that is not a URL is refused without showing its value", async () => {
    const body = pgBody({ source: { dialect: "postgresql", secret: "ADMIN_AUTHORIZATION_TOKEN" } });
    const res = await api("POST", "/replication/jobs", { body });
    expect(res.status).toBe(400);
    expect(res.body.error).not.toContain("test-admin-token");
    await expectNothingStored(body);
  });

  it("shows a url source with its password redacted, and the password nowhere else", async () => {
    const password = "Url-pw-S3cret-91";
    const job = await create(
      pgBody({
        source: { dialect: "postgresql", url: `postgresql://postgres:${password}@127.0.0.1:5432/test` },
        active: false,
      }),
    );
    expect(job.source).toEqual({ dialect: "postgresql", url: "postgresql://postgres:***@127.0.0.1:5432/test" });
    await run(job.name);
    const list = await api("GET", "/replication/jobs");
    const everything = JSON.stringify([
      job,
      await getJob(job.name),
      list,
      await api("GET", `/replication/jobs/${job.name}/runs`),
    ]);
    expect(everything).not.toContain(password);
  });

  it("keeps a password out of a failed source check's message", async () => {
    // Trust auth ignores passwords here, so make the server echo it back: it is also the database name.
    const password = "Echo-pw-S3cret-42";
    const viaUrl = pgBody({
      source: { dialect: "postgresql", url: `postgresql://postgres:${password}@127.0.0.1:5432/${password}` },
    });
    const viaFields = pgBody({ source: { ...PG_SOURCE, password, database: password } });
    const closed = pgBody({ source: { dialect: "postgresql", url: `postgres://u:${password}@127.0.0.1:1/x` } });
    for (const body of [viaUrl, viaFields, closed]) {
      const res = await api("POST", "/replication/jobs", { body });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatch(/source check failed/);
      expect(JSON.stringify(res.body)).not.toContain(password);
      expect(JSON.stringify(res.body)).not.toContain("S3cret");
      await expectNothingStored(body);
    }
  });
});

describe("runs, status and history", () => {
  it("copies the table, reports progress, and picks up new rows on the next run", async () => {
    const target = uniqueName("rapi_copy");
    const job = await create(pgBody({ target_table: target, lookback_seconds: 0, batch_size: 7, active: false }));
    const first = await run(job.name);
    expect(first).toMatchObject({ rows: 20, pages: 3, done: true });
    expect(first.cursor).toEqual({ tracking: "2024-03-01T00:20:00.000000Z", key: [20] });
    expect(first.duration_ms).toBeGreaterThanOrEqual(0);
    expect(await replicaCount(target)).toBe(20);

    const status = (await getJob(job.name)).status;
    expect(status).toMatchObject({ state: "paused", rows_synced: 20, last_error: null, consecutive_failures: 0 });
    expect(status.cursor).toEqual(first.cursor);
    expect(Date.parse(status.last_success_at!)).toBeGreaterThanOrEqual(Date.parse(status.last_run_at!));
    // The run read everything: the replica holds every row committed before it began.
    expect(status.synced_as_of).toBe(status.last_run_at);

    expect(await run(job.name)).toMatchObject({ rows: 0, done: true });
    await insertMain(21, 23);
    try {
      expect(await run(job.name)).toMatchObject({ rows: 3, done: true, cursor: { key: [23] } });
      expect(await replicaCount(target)).toBe(23);
    } finally {
      await pgExec(`DELETE FROM ${main} WHERE id > 20`);
    }

    const runs = await api<RunRecord[]>("GET", `/replication/jobs/${job.name}/runs`);
    expect(runs.status).toBe(200);
    expect(runs.body.result!.map((r) => [r.trigger, r.rows, r.done, r.error])).toEqual([
      ["manual", 3, true, null],
      ["manual", 0, true, null],
      ["manual", 20, true, null],
    ]);
    const latest = runs.body.result![0]!;
    expect(latest.pages).toBe(1);
    expect(Date.parse(latest.ended_at!)).toBeGreaterThanOrEqual(Date.parse(latest.started_at));
    expect(Object.keys(latest).sort()).toEqual([
      "done",
      "ended_at",
      "error",
      "id",
      "note",
      "pages",
      "rows",
      "schema_changes",
      "started_at",
      "trigger",
    ]);
  });

  it("a new paused job has no runs", async () => {
    const job = await create(pgBody({ active: false }));
    const runs = await api("GET", `/replication/jobs/${job.name}/runs`);
    expect(runs).toEqual({ status: 200, body: { result: [] } });
  });

  it("an active job starts copying when created, without a manual run", async () => {
    const target = uniqueName("rapi_auto");
    const job = await create(pgBody({ target_table: target }));
    expect(job.active).toBe(true);
    const settled = await waitForFirstRun(job.name);
    expect(settled.status).toMatchObject({ state: "idle", rows_synced: 20, last_error: null, consecutive_failures: 0 });
    expect(settled.status.cursor).toEqual({ tracking: "2024-03-01T00:20:00.000000Z", key: [20] });
    expect(await replicaCount(target)).toBe(20);
    const runs = await api<RunRecord[]>("GET", `/replication/jobs/${job.name}/runs`);
    expect(runs.status).toBe(200);
    expect(runs.body.result).toHaveLength(1);
    expect(runs.body.result![0]).toMatchObject({ trigger: "cron", rows: 20, done: true, error: null });
  });

  it("answers 502 when the source fails, recording the error in status and runs", async () => {
    const gone = uniqueName("rapi_gone");
    sourceTables.push(gone);
    await pgExec(`CREATE TABLE ${gone} (id int PRIMARY KEY, updated_at timestamptz NOT NULL)`);
    const job = await create(pgBody({ table_name: gone, active: false }));
    await pgExec(`DROP TABLE ${gone}`);
    const res = await api("POST", `/replication/jobs/${job.name}/run`);
    expect(res.status).toBe(502);
    expect(res.body.error).toContain(gone);
    // Resuming puts the job back on its schedule without running it, and shows it failing.
    expect((await api("POST", `/replication/jobs/${job.name}/resume`)).status).toBe(200);
    const status = (await getJob(job.name)).status;
    expect(status).toMatchObject({ state: "failing", last_error: res.body.error, consecutive_failures: 1 });
    expect(status.retry_at).not.toBeNull();
    const runs = (await api<RunRecord[]>("GET", `/replication/jobs/${job.name}/runs`)).body.result!;
    expect(runs[0]).toMatchObject({ trigger: "manual", done: false, rows: 0, error: res.body.error });
    expect(runs[0]!.ended_at).not.toBeNull();
  });

  it("allows one run of a job at a time: two concurrent runs → one 200, one 409", async () => {
    const job = await create(
      pgBody({ table_name: big, batch_size: 100, target_table: uniqueName("rapi_big_a"), active: false }),
    );
    const results = await Promise.all([
      api<RunSummary>("POST", `/replication/jobs/${job.name}/run`),
      api<RunSummary>("POST", `/replication/jobs/${job.name}/run`),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const conflict = results.find((r) => r.status === 409)!;
    expect(conflict.body.error).toMatch(/in progress/);
    const ok = results.find((r) => r.status === 200)!;
    expect(ok.body.result!.rows).toBe(30000);
    expect((await api<RunRecord[]>("GET", `/replication/jobs/${job.name}/runs`)).body.result).toHaveLength(1);
  });

  it("refuses run, reset and delete while a run is in progress, and shows state running", async () => {
    const target = uniqueName("rapi_big_b");
    const job = await create(pgBody({ table_name: big, batch_size: 100, target_table: target, active: false }));
    const running = api<RunSummary>("POST", `/replication/jobs/${job.name}/run`);
    let settled = false;
    void running.finally(() => (settled = true));
    // Wait (by asking, not sleeping) until the object reports the run.
    let seen: JobView | undefined;
    while (!settled) {
      seen = await getJob(job.name);
      if (seen.status.state === "running") break;
    }
    expect(seen?.status.state).toBe("running");
    const [again, reset, truncate, del, drop] = await Promise.all([
      api("POST", `/replication/jobs/${job.name}/run`),
      api("POST", `/replication/jobs/${job.name}/reset`),
      api("POST", `/replication/jobs/${job.name}/reset?truncate=true`),
      api("DELETE", `/replication/jobs/${job.name}`),
      api("DELETE", `/replication/jobs/${job.name}?drop_table=true`),
    ]);
    expect(settled).toBe(false);
    for (const res of [again, reset, truncate, del, drop]) expect(res.status).toBe(409);
    const done = await running;
    expect(done.status).toBe(200);
    expect(done.body.result!.rows).toBe(30000);
    expect(await replicaCount(target)).toBe(30000);
    expect((await getJob(job.name)).status.state).toBe("paused");
  });
});

describe("pause and resume", () => {
  it("pause disables the cron task, resume enables it again; both are idempotent", async () => {
    const job = await create(pgBody());
    await waitForFirstRun(job.name);
    const paused = await api<JobView>("POST", `/replication/jobs/${job.name}/pause`);
    expect(paused.status).toBe(200);
    expect(paused.body.result).toMatchObject({ active: false, status: { state: "paused", next_run_at: null } });
    expect(await cronTask(job.name)).toMatchObject({ enabled: false, next_run_at: null });
    expect((await api("POST", `/replication/jobs/${job.name}/pause`)).status).toBe(200);
    expect((await getJob(job.name)).status.state).toBe("paused");

    const resumed = await api<JobView>("POST", `/replication/jobs/${job.name}/resume`);
    expect(resumed.status).toBe(200);
    expect(resumed.body.result).toMatchObject({ active: true, status: { state: "idle" } });
    expect(resumed.body.result!.status.next_run_at).toMatch(/-01-01T00:00:00/);
    expect(await cronTask(job.name)).toMatchObject({ enabled: true });
    expect((await api("POST", `/replication/jobs/${job.name}/resume`)).status).toBe(200);
    expect((await cronTask(job.name))!.enabled).toBe(true);
  });
});

describe("reset", () => {
  it("clears the cursor; the next run copies every row again without duplicates", async () => {
    const target = uniqueName("rapi_reset");
    const job = await create(pgBody({ target_table: target, active: false }));
    await run(job.name);
    const reset = await api<JobView>("POST", `/replication/jobs/${job.name}/reset`);
    expect(reset.status).toBe(200);
    expect(reset.body.result!.status).toMatchObject({ cursor: null, rows_synced: 0, last_error: null });
    expect(await replicaCount(target)).toBe(20);
    expect(await run(job.name)).toMatchObject({ rows: 20, done: true });
    expect(await replicaCount(target)).toBe(20);
  });

  it("?truncate=true also empties the replica", async () => {
    const target = uniqueName("rapi_trunc");
    const job = await create(pgBody({ target_table: target, active: false }));
    await run(job.name);
    const reset = await api<JobView>("POST", `/replication/jobs/${job.name}/reset?truncate=true`);
    expect(reset.status).toBe(200);
    expect(reset.body.result!.status.cursor).toBeNull();
    expect(await replicaCount(target)).toBe(0);
    expect(await sqliteTableExists(target)).toBe(true);
    await run(job.name);
    expect(await replicaCount(target)).toBe(20);
  });

  it("?truncate=false keeps the rows; a job that never ran resets fine", async () => {
    const target = uniqueName("rapi_keep");
    const job = await create(pgBody({ target_table: target, active: false }));
    expect((await api("POST", `/replication/jobs/${job.name}/reset?truncate=true`)).status).toBe(200);
    await run(job.name);
    expect((await api("POST", `/replication/jobs/${job.name}/reset?truncate=false`)).status).toBe(200);
    expect(await replicaCount(target)).toBe(20);
  });

  it.each(["yes", "1", "TRUE", ""])("?truncate=%s → 400 and nothing changes", async (value) => {
    const target = uniqueName("rapi_badflag");
    const job = await create(pgBody({ target_table: target, active: false }));
    const summary = await run(job.name);
    const res = await api("POST", `/replication/jobs/${job.name}/reset?truncate=${value}`);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/truncate must be true or false/);
    expect((await getJob(job.name)).status.cursor).toEqual(summary.cursor);
    expect(await replicaCount(target)).toBe(20);
  });
});

describe("delete", () => {
  it("removes the job and its cron task but keeps the replica", async () => {
    const target = uniqueName("rapi_del");
    const job = await create(pgBody({ target_table: target, active: false }));
    await run(job.name);
    const res = await api("DELETE", `/replication/jobs/${job.name}`);
    expect(res).toEqual({ status: 200, body: { result: { deleted: job.name, dropped_table: false } } });
    expect((await api("GET", `/replication/jobs/${job.name}`)).status).toBe(404);
    expect((await api("GET", `/replication/jobs/${job.name}/runs`)).status).toBe(404);
    expect(await cronTask(job.name)).toBeUndefined();
    expect(await sqliteTableExists(target)).toBe(true);
    expect(await replicaCount(target)).toBe(20);
    expect((await api("DELETE", `/replication/jobs/${job.name}`)).status).toBe(404);
    await sql(`DROP TABLE ${target}`);
  });

  it("?drop_table=true also drops the replica; the name can be reused", async () => {
    const target = uniqueName("rapi_drop");
    const body = pgBody({ target_table: target, active: false });
    const job = await create(body);
    await run(job.name);
    const res = await api("DELETE", `/replication/jobs/${job.name}?drop_table=true`);
    expect(res).toEqual({ status: 200, body: { result: { deleted: job.name, dropped_table: true } } });
    expect(await sqliteTableExists(target)).toBe(false);
    expect(await cronTask(job.name)).toBeUndefined();
    const again = await create(body);
    expect(again.status.rows_synced).toBe(0);
    expect((await api<RunRecord[]>("GET", `/replication/jobs/${job.name}/runs`)).body.result).toEqual([]);
  });

  it.each(["yes", "1", "no"])("?drop_table=%s → 400 and the job stays", async (value) => {
    const job = await create(pgBody({ active: false }));
    const res = await api("DELETE", `/replication/jobs/${job.name}?drop_table=${value}`);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/drop_table must be true or false/);
    expect((await getJob(job.name)).name).toBe(job.name);
    expect(await cronTask(job.name)).toBeDefined();
  });
});

describe("PATCH /replication/jobs/:name", () => {
  it("changes cron_tab (and the cron task), batch_size, lookback_seconds and active", async () => {
    const job = await create(pgBody());
    expect((await waitForFirstRun(job.name)).status.rows_synced).toBe(20);
    const res = await api<JobView>("PATCH", `/replication/jobs/${job.name}`, {
      body: { cron_tab: "0 0 2 1 *", batch_size: 5, lookback_seconds: 60 },
    });
    expect(res.status).toBe(200);
    expect(res.body.result).toMatchObject({ cron_tab: "0 0 2 1 *", batch_size: 5, lookback_seconds: 60, active: true });
    expect(res.body.result!.status.next_run_at).toMatch(/-01-02T00:00:00/);
    expect(await cronTask(job.name)).toMatchObject({ cron_tab: "0 0 2 1 *", enabled: true });
    // Read everything again, to see the new batch_size at work.
    expect((await api("POST", `/replication/jobs/${job.name}/reset`)).status).toBe(200);
    const summary = await run(job.name);
    expect(summary.rows).toBe(20);
    expect(summary.pages).toBeGreaterThanOrEqual(4); // 20 rows, at most 5 a page

    const paused = await api<JobView>("PATCH", `/replication/jobs/${job.name}`, { body: { active: false } });
    expect(paused.body.result!.status.state).toBe("paused");
    expect((await cronTask(job.name))!.enabled).toBe(false);
    // A new schedule on a paused job leaves it paused.
    await api("PATCH", `/replication/jobs/${job.name}`, { body: { cron_tab: "0 0 3 1 *" } });
    expect(await cronTask(job.name)).toMatchObject({ cron_tab: "0 0 3 1 *", enabled: false });
    await api("PATCH", `/replication/jobs/${job.name}`, { body: { active: true } });
    expect(await cronTask(job.name)).toMatchObject({ enabled: true });
  });

  it("replaces the source credentials after checking them against the source", async () => {
    const password = "Patch-pw-S3cret-5";
    const job = await create(pgBody({ active: false }));
    const res = await api<JobView>("PATCH", `/replication/jobs/${job.name}`, {
      body: { source: { ...PG_SOURCE, password } },
    });
    expect(res.status).toBe(200);
    expect(res.body.result!.source).toMatchObject({ password: "***" });
    expect(JSON.stringify(res.body)).not.toContain(password);
    expect(JSON.stringify(await getJob(job.name))).not.toContain(password);
    expect(await run(job.name)).toMatchObject({ rows: 20 });
  });

  type Case = [label: string, body: Record<string, unknown>, message: RegExp];
  const bad: Case[] = [
    ["empty body", {}, /nothing to change/],
    ["only undefined-like keys", { batch_size: null }, /batch_size/],
    ["unknown field", { table_name: "other" }, /table_name/],
    ["tracking_col is not patchable", { tracking_col: "seq" }, /tracking_col/],
    ["batch_size 0", { batch_size: 0 }, /batch_size/],
    ["batch_size 10001", { batch_size: 10001 }, /batch_size/],
    ["lookback_seconds negative", { lookback_seconds: -5 }, /lookback_seconds/],
    ["active as a string", { active: "false" }, /active/],
    ["invalid cron with a valid batch_size", { batch_size: 3, cron_tab: "61 * * * *" }, /cron/],
    ["cron with 3 fields", { cron_tab: "* * *" }, /cron/],
    [
      "source of another dialect",
      { source: { dialect: "mysql", host: "127.0.0.1", port: 3306, user: "root", database: "test" } },
      /dialect cannot change/,
    ],
    [
      "unreachable source with a valid batch_size",
      { batch_size: 3, source: { ...PG_SOURCE, port: 1 } },
      /source check failed/,
    ],
    ["source without the table", { source: { ...PG_SOURCE, database: "postgres" } }, /not found/],
    ["source secret not set", { source: { dialect: "postgresql", secret: "NO_SUCH_SECRET_XYZ" } }, /not set/],
    ["source not an object", { source: "postgresql://x" }, /source/],
  ];
  it.each(bad)("%s → 400 and nothing changes", async (_label, body, message) => {
    const created = await create(pgBody({ batch_size: 9 }));
    const job = await waitForFirstRun(created.name);
    const res = await api("PATCH", `/replication/jobs/${job.name}`, { body });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(message);
    const after = await getJob(job.name);
    expect(after).toEqual({ ...job, status: { ...job.status, lag_seconds: expect.any(Number) } });
    expect(await cronTask(job.name)).toMatchObject({ cron_tab: CRON, enabled: true });
  });
});

describe("unknown jobs and bad names in the path", () => {
  const routes = (name: string): Array<[string, string, unknown?]> => [
    ["GET", `/replication/jobs/${name}`],
    ["PATCH", `/replication/jobs/${name}`, { batch_size: 5 }],
    ["DELETE", `/replication/jobs/${name}`],
    ["DELETE", `/replication/jobs/${name}?drop_table=true`],
    ["POST", `/replication/jobs/${name}/run`],
    ["POST", `/replication/jobs/${name}/pause`],
    ["POST", `/replication/jobs/${name}/resume`],
    ["POST", `/replication/jobs/${name}/reset`],
    ["POST", `/replication/jobs/${name}/reset?truncate=true`],
    ["GET", `/replication/jobs/${name}/runs`],
  ];

  it.each(routes("no_such_job_rapi"))("%s %s → 404", async (method, path, body) => {
    const res = await api(method, path, { body });
    expect(res.status).toBe(404);
    expect(res.body.error).toContain("no_such_job_rapi");
  });

  it.each(routes("bad-name%3B%20DROP"))("%s %s → 400", async (method, path, body) => {
    const res = await api(method, path, { body });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/job name/);
  });

  it("an unknown sub-route is a JSON 404", async () => {
    const res = await api("POST", "/replication/jobs/no_such_job_rapi/explode");
    expect(res.status).toBe(404);
  });
});

describe("authorization on every route", () => {
  let name: string;
  let target: string;
  let before: JobView;

  beforeAll(async () => {
    target = uniqueName("rapi_auth");
    name = (await create(pgBody({ target_table: target }))).name;
    before = await waitForFirstRun(name);
  });

  const routes = (): Array<[string, string, unknown?]> => [
    ["POST", "/replication/jobs", pgBody()],
    ["GET", "/replication/jobs"],
    ["GET", `/replication/jobs/${name}`],
    ["PATCH", `/replication/jobs/${name}`, { batch_size: 5, active: false }],
    ["POST", `/replication/jobs/${name}/run`],
    ["POST", `/replication/jobs/${name}/pause`],
    ["POST", `/replication/jobs/${name}/resume`],
    ["POST", `/replication/jobs/${name}/reset?truncate=true`],
    ["GET", `/replication/jobs/${name}/runs`],
    ["DELETE", `/replication/jobs/${name}?drop_table=true`],
    ["GET", "/cron/tasks"],
  ];

  it.each([
    { label: "no token", token: null, status: 401 },
    { label: "a wrong token", token: "not-the-token", status: 401 },
    { label: "the client token", token: CLIENT, status: 403 },
  ])("with $label every route answers $status and nothing changes", async ({ token, status }) => {
    for (const [method, path, body] of routes()) {
      const res = await api(method, path, { token, body });
      expect({ method, path, status: res.status }).toEqual({ method, path, status });
      expect(res.body.error).toEqual(expect.any(String));
      expect(res.body.result).toBeUndefined();
      if (method === "POST" && path === "/replication/jobs") await expectNothingStored(body as Record<string, unknown>);
    }
    expect(await getJob(name)).toEqual({ ...before, status: { ...before.status, lag_seconds: expect.any(Number) } });
    expect((await api<RunRecord[]>("GET", `/replication/jobs/${name}/runs`)).body.result).toHaveLength(1);
    expect(await replicaCount(target)).toBe(20);
    expect(await cronTask(name)).toMatchObject({ enabled: true });
  });

  it("the client role can read the replica through /query", async () => {
    const res = await sql<Array<{ n: number }>>(`SELECT count(*) AS n FROM ${target}`, [], CLIENT);
    expect(res.status).toBe(200);
    expect(res.body.result).toEqual([{ n: 20 }]);
  });
});

/** Bugs these tests found, kept as regressions. */
describe("regressions", () => {
  it("two jobs may not write into the same target table", async () => {
    const target = uniqueName("rapi_shared");
    await create(pgBody({ target_table: target }));
    const body = pgBody({ target_table: target, table_name: keyless, primary_key: "a" });
    const res = await api("POST", "/replication/jobs", { body });
    if (res.status === 201) tracker.names.push(body.name as string);
    // The second job would mix rows, and its reset?truncate / delete?drop_table wipe the first job's replica.
    expect([400, 409]).toContain(res.status);
  });

  it("a url password containing @ is hidden whole", async () => {
    const tail = "S3cret-after-at-4";
    const body = pgBody({
      source: { dialect: "postgresql", url: `postgresql://postgres:Leak@${tail}@127.0.0.1:5432/test` },
    });
    const res = await api("POST", "/replication/jobs", { body });
    if (res.status === 201) tracker.names.push(body.name as string);
    // After its first run too: a failed run's error must not show it either.
    const name = body.name as string;
    const views =
      res.status === 201
        ? [
            await waitForFirstRun(name),
            await api("GET", "/replication/jobs"),
            await api("GET", `/replication/jobs/${name}/runs`),
            await api("GET", "/cron/tasks"),
          ]
        : [];
    expect(JSON.stringify([res.body, views])).not.toContain(tail);
  });

  it("PATCH source refuses a source whose table lacks the job's columns", async () => {
    const schema = uniqueName("rapi_schema");
    await pgExec(`CREATE SCHEMA ${schema}`);
    try {
      await pgExec(`CREATE TABLE ${schema}.${main} (id bigint PRIMARY KEY)`);
      const job = await create(pgBody());
      const res = await api("PATCH", `/replication/jobs/${job.name}`, { body: { source: { ...PG_SOURCE, schema } } });
      expect(res.status).toBe(400);
      expect((await getJob(job.name)).source).toEqual({ ...PG_SOURCE, password: "" });
    } finally {
      await pgExec(`DROP SCHEMA ${schema} CASCADE`);
    }
  });

  it("the job keeps cron_tab normalised like its cron task", async () => {
    const job = await create(pgBody({ cron_tab: " 0  0 1 1 * " }));
    expect(job.cron_tab).toBe((await cronTask(job.name))!.cron_tab);
  });
});
