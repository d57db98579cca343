/**
 * Schema changes at the source, on real PostgreSQL and MariaDB, with writers and
 * runs going on while the table changes: added, dropped, retyped and renamed
 * columns, subset jobs, and a source table that goes away. After the writers
 * stop, the replica must equal the source in every column the job copies.
 */
import { afterAll, describe, expect, it } from "vitest";
import type { JobView, RunSummary } from "../plugins/replication";
import { api, CLIENT, sql, uniqueName } from "./helpers";
import {
  createTimestampJob,
  deleteJob,
  expectReplicaEqualsSource,
  getJob,
  runJob,
  runUntilDone,
  tuneReplication,
  type Dialect,
} from "./support/replication";
import { openWriter } from "./support/sources";
import { dropTable, exec, NOW } from "./support/tables";

const created: Array<[Dialect, string]> = [];
const INITIAL_ROWS = 300;
/** Ids of rows the writers insert: above every initial row, never used twice in a file. */
let nextId = 100_000;

/** Views tests make over replicas: a view left naming a dropped table would break later DDL. */
const views: string[] = [];
/** Tables of the object's own that tests make beside replicas. */
const ownTables: string[] = [];

afterAll(async () => {
  for (const view of views) await sql(`DROP VIEW IF EXISTS ${view}`);
  for (const own of ownTables) await sql(`DROP TABLE IF EXISTS ${own}`);
  for (const [dialect, table] of created) {
    await deleteJob(table);
    await deleteJob(`${table}_drop`);
    await dropTable(dialect, table);
  }
});

/** id, val, mid (in the middle), amount, updated_at; 300 rows with JSON-looking, unevenly spaced text in val. */
async function createSource(dialect: Dialect): Promise<string> {
  const table = uniqueName(`sc_${dialect === "postgresql" ? "pg" : "my"}`);
  created.push([dialect, table]);
  if (dialect === "postgresql") {
    await exec(
      dialect,
      `CREATE TABLE ${table} (id bigint PRIMARY KEY, val text, mid integer, amount numeric(14,4), updated_at timestamptz(6) NOT NULL)`,
    );
    await exec(dialect, `CREATE INDEX ON ${table} (updated_at, id)`);
    await exec(
      dialect,
      `INSERT INTO ${table} SELECT g, '{"k":   ' || g || '}', g * 3, g * 1.5, '2024-05-01T10:00:00Z'::timestamptz + g * interval '1 ms'
       FROM generate_series(1, ${INITIAL_ROWS}) g`,
    );
  } else {
    await exec(
      dialect,
      `CREATE TABLE ${table} (id bigint PRIMARY KEY, val varchar(200), mid int, amount decimal(14,4), updated_at datetime(6) NOT NULL, INDEX (updated_at, id))`,
    );
    await exec(
      dialect,
      `INSERT INTO ${table} WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < ${INITIAL_ROWS})
       SELECT g, CONCAT('{"k":   ', g, '}'), g * 3, g * 1.5, TIMESTAMPADD(MICROSECOND, g * 1000, '2024-05-01 10:00:00') FROM s`,
    );
  }
  return table;
}

async function sourceJob(
  dialect: Dialect,
  over: Record<string, unknown> = {},
): Promise<{ table: string; job: JobView }> {
  const table = await createSource(dialect);
  const job = await createTimestampJob(dialect, table, {
    batch_size: 50,
    ...over,
  });
  expect(await runJob(table)).toMatchObject({ rows: INITIAL_ROWS, done: true });
  return { table, job };
}

/**
 * What runs showed while the source changed: whether a re-copy was seen in progress, every cursor
 * in order, and each job's schema changes as its runs answered them (the run history keeps the
 * latest 50 runs, fewer than a fast machine makes here).
 */
interface Observed {
  recopySeen: boolean;
  readDuringRecopy: number[];
  cursors: string[];
  failures: string[];
  schemaChanges: Record<string, RunSummary["schema_changes"]>;
}

/** One manual run of each job, then each job's status: a run may fail in the instant the table changes. */
async function observeRun(jobs: readonly string[], observed: Observed, mustSucceed: boolean): Promise<boolean> {
  let done = true;
  for (const name of jobs) {
    const res = await api<RunSummary>("POST", `/replication/jobs/${name}/run`);
    if (mustSucceed || res.status === 409) expect(res.body.error).toBeUndefined();
    if (res.status !== 200) {
      observed.failures.push(res.body.error ?? String(res.status));
      done = false;
      continue;
    }
    done &&= res.body.result!.done;
    (observed.schemaChanges[name] ??= []).push(...res.body.result!.schema_changes);
    const job = await getJob(name);
    if (job.status.cursor) observed.cursors.push(String(job.status.cursor.tracking));
    if (job.status.recopy) {
      observed.recopySeen = true;
      // The replica stays readable to clients while its rows are copied again.
      const read = await sql<Array<{ n: number }>>(`SELECT count(*) AS n FROM "${job.target_table}"`, [], CLIENT);
      expect(read.status).toBe(200);
      observed.readDuringRecopy.push(read.body.result![0]!.n);
    }
  }
  return done;
}

/**
 * Writers insert rows and update `amount` (never a column the change touches),
 * and runs of `jobs` go on, while `change` alters the source table part-way.
 * Then, with the writers stopped, runs continue until every job is done.
 */
async function changeUnderLoad(
  dialect: Dialect,
  table: string,
  jobs: readonly string[],
  change: () => Promise<unknown>,
): Promise<Observed> {
  const observed: Observed = { recopySeen: false, readDuringRecopy: [], cursors: [], failures: [], schemaChanges: {} };
  let stop = false;
  const writer = async (seed: number) => {
    const session = await openWriter(dialect);
    try {
      for (let i = 0; !stop; i++) {
        if (i % 2 === 0) {
          await session.query(
            `INSERT INTO ${table} (id, amount, updated_at) VALUES (${nextId++}, ${i}, ${NOW[dialect]})`,
          );
        } else {
          const id = ((seed * 7919 + i * 104729) % INITIAL_ROWS) + 1;
          await session.query(`UPDATE ${table} SET amount = amount + 1, updated_at = ${NOW[dialect]} WHERE id = ${id}`);
        }
      }
    } finally {
      await session.close();
    }
  };
  const runner = async () => {
    while (!stop) await observeRun(jobs, observed, false);
  };
  const changer = async () => {
    await new Promise((r) => setTimeout(r, 300));
    await change();
    await new Promise((r) => setTimeout(r, 700));
    stop = true;
  };
  // Small runs while the writers write: a re-copy of a few hundred rows takes several, as a large one would.
  await tuneReplication((t) => (t.bounds = { ...t.bounds, maxRows: 120 }));
  try {
    await Promise.all([writer(1), writer(2), runner(), changer()]);
  } finally {
    await tuneReplication((t) => (t.bounds = { ...t.bounds, maxRows: 250_000 }));
  }
  for (let i = 0; !(await observeRun(jobs, observed, true)); i++) {
    if (i > 10) throw new Error(`jobs ${jobs.join(", ")} not done after 10 quiet runs`);
  }
  // Once more, caught up, with the run's usual bounds: a run re-reads its whole lookback window only
  // when the window fits in one run, which 120 rows did not (a writer's INSERT held by the ALTER's
  // lock commits late, inside the window). A window larger than a run's bounds is a limitation of
  // the pull (reported), not of schema changes.
  await observeRun(jobs, observed, true);
  const cursors = observed.cursors;
  if (jobs.length === 1) expect([...cursors].sort()).toEqual(cursors); // never backwards
  return observed;
}

async function replicaColumns(table: string): Promise<Array<{ name: string; type: string }>> {
  const res = await sql<Array<{ name: string; type: string }>>("SELECT name, type FROM pragma_table_info(?)", [table]);
  expect(res.status).toBe(200);
  return res.body.result!;
}

async function expectCopiedColumnsEqual(dialect: Dialect, table: string, target = table): Promise<JobView> {
  const job = await getJob(target);
  await expectReplicaEqualsSource(
    dialect,
    table,
    target,
    job.columns.map((c) => c.name),
    "id",
  );
  return job;
}

const TYPES = {
  postgresql: { int: "integer", bigint: "bigint", text: "text", region: "text" },
  mysql: { int: "int(11)", bigint: "bigint(20)", text: "varchar(200)", region: "varchar(20)" },
};

describe.each<Dialect>(["postgresql", "mysql"])("%s", (dialect) => {
  const types = TYPES[dialect];

  it("adds a column added with a DEFAULT and NOT NULL, and old rows get the default through a re-copy", async () => {
    const { table } = await sourceJob(dialect);
    const observed = await changeUnderLoad(dialect, table, [table], () =>
      exec(dialect, `ALTER TABLE ${table} ADD COLUMN region ${types.region} NOT NULL DEFAULT 'emea'`),
    );
    expect(observed.recopySeen).toBe(true);
    expect(observed.readDuringRecopy.every((n) => n >= INITIAL_ROWS)).toBe(true);
    expect(observed.schemaChanges[table]).toEqual([
      { column: "region", change: "added", from: null, to: types.region },
    ]);
    const job = await expectCopiedColumnsEqual(dialect, table);
    expect(job.columns.map((c) => c.name)).toEqual(["id", "val", "mid", "amount", "updated_at", "region"]);
    expect(job.status.recopy).toBeNull();
    const regions = await sql<Array<{ region: string | null; n: number }>>(
      `SELECT region, count(*) AS n FROM "${table}" GROUP BY region`,
    );
    expect(regions.body.result).toEqual([{ region: "emea", n: job.status.replica_rows }]);
  });

  it("keeps running when a column in the middle is dropped: kept by default, dropped on request", async () => {
    const { table } = await sourceJob(dialect);
    const dropping = `${table}_drop`;
    await createTimestampJob(dialect, table, {
      name: dropping,
      target_table: dropping,
      batch_size: 50,
      on_column_drop: "drop",
    });
    await runJob(dropping);
    const observed = await changeUnderLoad(dialect, table, [table, dropping], () =>
      exec(dialect, `ALTER TABLE ${table} DROP COLUMN mid`),
    );

    for (const name of [table, dropping]) {
      expect(observed.schemaChanges[name]).toEqual([{ column: "mid", change: "dropped", from: types.int, to: null }]);
      const job = await expectCopiedColumnsEqual(dialect, table, name);
      expect(job.columns.map((c) => c.name)).toEqual(["id", "val", "amount", "updated_at"]);
      expect(job.status).toMatchObject({ consecutive_failures: 0, recopy: null });
    }
    const kept = await getJob(table);
    expect(kept.on_column_drop).toBe("keep");
    expect(kept.warnings.join("\n")).toMatch(/keeps column "mid", which this job no longer copies/);
    expect((await replicaColumns(table)).map((c) => c.name)).toContain("mid");
    const midOfNewRows = await sql<Array<{ n: number }>>(
      `SELECT count(*) AS n FROM "${table}" WHERE id >= 100000 AND mid IS NOT NULL`,
    );
    expect(midOfNewRows.body.result).toEqual([{ n: 0 }]);
    const dropped = await getJob(dropping);
    expect(dropped.warnings).toEqual([]);
    expect((await replicaColumns(dropping)).map((c) => c.name)).toEqual([
      "id",
      "val",
      "amount",
      "updated_at",
      "_starbase_row_hash", // the row hash (README "Verify, repair and reconciliation")
    ]);
  });

  it("keeps the replica's own indexes, views and triggers through a retyped column, and drops with a warning those on a column dropped", async () => {
    const { table } = await sourceJob(dialect, { on_column_drop: "drop" });
    views.push(`${table}_mids`, `${table}_amounts`);
    ownTables.push(`${table}_log`);
    for (const statement of [
      `CREATE INDEX ${table}_mid ON "${table}" (mid)`,
      `CREATE INDEX ${table}_amount ON "${table}" (amount) WHERE amount > 0`,
      `CREATE INDEX ${table}_val ON "${table}" (val)`,
      `CREATE VIEW ${table}_mids AS SELECT id, mid FROM "${table}"`,
      `CREATE VIEW ${table}_amounts AS SELECT id, amount FROM "${table}"`,
      `CREATE TABLE ${table}_log (id INTEGER, value TEXT)`,
      `CREATE TRIGGER ${table}_logs_mid AFTER INSERT ON "${table}" BEGIN INSERT INTO ${table}_log VALUES (new.id, new.mid); END`,
      `CREATE TRIGGER ${table}_logs_amount AFTER UPDATE ON "${table}" BEGIN INSERT INTO ${table}_log VALUES (new.id, new.amount); END`,
    ]) {
      expect((await sql(statement)).status).toBe(200);
    }
    const objects = async () =>
      (
        await sql<Array<{ name: string }>>(
          `SELECT name FROM sqlite_schema WHERE type IN ('index', 'view', 'trigger') AND name LIKE ? ORDER BY name`,
          [`${table}_%`],
        )
      ).body.result!.map((i) => i.name);
    // SQLite refuses to drop a column an index or a view names: the retype (a drop and an add) failed every run.
    await exec(
      dialect,
      dialect === "postgresql"
        ? `ALTER TABLE ${table} ALTER COLUMN mid TYPE numeric(10,2)`
        : `ALTER TABLE ${table} MODIFY mid decimal(10,2)`,
    );
    await runUntilDone(table);
    await expectCopiedColumnsEqual(dialect, table);
    expect(await objects()).toEqual([
      `${table}_amount`,
      `${table}_amounts`,
      `${table}_logs_amount`,
      `${table}_logs_mid`,
      `${table}_mid`,
      `${table}_mids`,
      `${table}_val`,
    ]);
    const plan = await sql<Array<{ detail: string }>>(`EXPLAIN QUERY PLAN SELECT id FROM "${table}" WHERE mid = ?`, [
      "15.00",
    ]);
    expect(plan.body.result!.map((r) => r.detail).join(" ")).toContain(`${table}_mid`);
    expect((await sql(`SELECT mid FROM ${table}_mids WHERE id = 5`)).body.result).toEqual([{ mid: "15.00" }]);

    await exec(dialect, `ALTER TABLE ${table} DROP COLUMN amount`);
    await runUntilDone(table);
    const job = await expectCopiedColumnsEqual(dialect, table);
    expect(job.columns.map((c) => c.name)).toEqual(["id", "val", "mid", "updated_at"]);
    expect(job.status).toMatchObject({ consecutive_failures: 0, recopy: null });
    expect(await objects()).toEqual([`${table}_logs_mid`, `${table}_mid`, `${table}_mids`, `${table}_val`]);
    expect(job.warnings.join("\n")).toContain(
      `index "${table}_amount", view "${table}_amounts", trigger "${table}_logs_amount" named what the replica ${table} no longer has`,
    );
    // The trigger kept still fires, and the job's writes go on (one naming the dropped column would fail them).
    const id = nextId++;
    await exec(dialect, `UPDATE ${table} SET val = 'changed', updated_at = ${NOW[dialect]} WHERE id = 7`);
    await exec(dialect, `INSERT INTO ${table} (id, val, mid, updated_at) VALUES (${id}, 'new', 42, ${NOW[dialect]})`);
    await runUntilDone(table);
    await expectCopiedColumnsEqual(dialect, table);
    const logged = await sql(`SELECT value FROM ${table}_log WHERE id = ?`, [id]);
    expect(logged.body.result).toEqual([{ value: "42.00" }]);
  });

  it("carries on through int to bigint without copying again, and takes values beyond 32 bits", async () => {
    const { table } = await sourceJob(dialect);
    const observed = await changeUnderLoad(dialect, table, [table], () =>
      exec(
        dialect,
        dialect === "postgresql"
          ? `ALTER TABLE ${table} ALTER COLUMN mid TYPE bigint`
          : `ALTER TABLE ${table} MODIFY mid bigint`,
      ),
    );
    expect(observed.recopySeen).toBe(false);
    expect(observed.schemaChanges[table]).toEqual([
      { column: "mid", change: "retyped", from: types.int, to: types.bigint },
    ]);
    await exec(dialect, `UPDATE ${table} SET mid = 1099511627776, updated_at = ${NOW[dialect]} WHERE id = 7`);
    expect(await runJob(table)).toMatchObject({ done: true });
    const job = await expectCopiedColumnsEqual(dialect, table);
    expect(job.columns.find((c) => c.name === "mid")).toMatchObject({
      source_type: types.bigint,
      sqlite_type: "INTEGER",
    });
    expect((await sql(`SELECT mid FROM "${table}" WHERE id = 7`)).body.result).toEqual([{ mid: 1099511627776 }]);
  });

  it("re-creates a column whose SQLite type changes (int to decimal) and copies its values again", async () => {
    const { table } = await sourceJob(dialect);
    const decimal = dialect === "postgresql" ? "numeric(10,2)" : "decimal(10,2)";
    const observed = await changeUnderLoad(dialect, table, [table], () =>
      exec(
        dialect,
        dialect === "postgresql"
          ? `ALTER TABLE ${table} ALTER COLUMN mid TYPE ${decimal}`
          : `ALTER TABLE ${table} MODIFY mid ${decimal}`,
      ),
    );
    expect(observed.recopySeen).toBe(true);
    expect(observed.schemaChanges[table]).toEqual([{ column: "mid", change: "retyped", from: types.int, to: decimal }]);
    await expectCopiedColumnsEqual(dialect, table);
    expect((await replicaColumns(table)).find((c) => c.name === "mid")).toEqual({ name: "mid", type: "TEXT" });
    expect((await sql(`SELECT mid FROM "${table}" WHERE id = 5`)).body.result).toEqual([{ mid: "15.00" }]);
  });

  it("sees a renamed column as a drop and an add: the replica keeps the old one and fills the new one", async () => {
    const { table } = await sourceJob(dialect);
    const observed = await changeUnderLoad(dialect, table, [table], () =>
      exec(dialect, `ALTER TABLE ${table} RENAME COLUMN val TO note`),
    );
    expect(observed.recopySeen).toBe(true);
    expect(observed.schemaChanges[table]).toEqual([
      { column: "val", change: "dropped", from: types.text, to: null },
      { column: "note", change: "added", from: null, to: types.text },
    ]);
    const job = await expectCopiedColumnsEqual(dialect, table);
    expect(job.columns.map((c) => c.name)).toEqual(["id", "mid", "amount", "updated_at", "note"]);
    expect(job.warnings.join("\n")).toMatch(/keeps column "val"/);
    const old = await sql(`SELECT val, note FROM "${table}" WHERE id = 4`);
    expect(old.body.result).toEqual([{ val: '{"k":   4}', note: '{"k":   4}' }]);
  });

  it("a subset job ignores new columns, fails naming a chosen column that is dropped, and takes new columns by PATCH", async () => {
    const { table } = await sourceJob(dialect, { columns: ["id", "val", "updated_at"] });
    expect((await getJob(table)).column_selection).toBe("subset");
    const observed = await changeUnderLoad(dialect, table, [table], () =>
      exec(dialect, `ALTER TABLE ${table} ADD COLUMN extra ${types.region} DEFAULT 'x'`),
    );
    let job = await expectCopiedColumnsEqual(dialect, table);
    expect(job.columns.map((c) => c.name)).toEqual(["id", "val", "updated_at"]);
    expect(job.warnings.join("\n")).toMatch(
      /has columns this job does not copy \(its columns were chosen\): mid, amount, extra/,
    );
    expect(observed.schemaChanges[table]).toEqual([]);

    await exec(dialect, `ALTER TABLE ${table} DROP COLUMN val`);
    const failed = await api("POST", `/replication/jobs/${table}/run`);
    expect(failed.status).toBe(400);
    expect(failed.body.error).toMatch(/column "val", chosen in this job's columns, is gone from the source table/);
    expect((await getJob(table)).status).toMatchObject({ consecutive_failures: 1, last_error: failed.body.error });

    // Bad PATCHes answer 400 naming the problem and change nothing.
    const before = await getJob(table);
    for (const [body, message] of [
      [{ columns: ["id", "updated_at", "nope"] }, /"nope" is not a column of/],
      [{ columns: ["id", "amount"] }, /missing: updated_at/],
      [{ columns: "some" }, /columns must be "all" or an array/],
      [{ on_column_drop: "sometimes" }, /on_column_drop must be "keep" or "drop"/],
      [{ columns: ["id", "updated_at", "amount"], on_column_drop: "never" }, /on_column_drop/],
    ] as const) {
      const res = await api("PATCH", `/replication/jobs/${table}`, { body });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatch(message);
    }
    expect(await getJob(table)).toEqual({ ...before, status: { ...before.status, lag_seconds: expect.anything() } });

    const patched = await api<JobView>("PATCH", `/replication/jobs/${table}`, {
      body: { columns: ["id", "updated_at", "amount"] },
    });
    expect(patched.body.error).toBeUndefined();
    expect(patched.body.result!.columns.map((c) => c.name)).toEqual(["id", "updated_at", "amount"]);
    expect(patched.body.result!.status.recopy).toMatchObject({ columns: ["amount"], rows_copied: 0 });
    await changeUnderLoad(dialect, table, [table], async () => {});
    job = await expectCopiedColumnsEqual(dialect, table);
    expect(job.status.recopy).toBeNull();
    expect(job.warnings.join("\n")).toMatch(/keeps column "val"/);
    expect(job.warnings.join("\n")).toMatch(/does not copy .*: mid, extra/);
  });

  it("fails naming the source table when it is renamed or dropped, backs off, and keeps every replica row", async () => {
    const { table } = await sourceJob(dialect);
    await exec(dialect, `ALTER TABLE ${table} RENAME TO ${table}_moved`);
    created.push([dialect, `${table}_moved`]);
    const failed = await api("POST", `/replication/jobs/${table}/run`);
    expect(failed.status).toBe(502);
    expect(failed.body.error).toMatch(
      new RegExp(`table \\S*${table} not found at the source \\(dropped or renamed\\?\\): the replica keeps its rows`),
    );
    expect((await getJob(table)).status).toMatchObject({
      consecutive_failures: 1,
      last_error: failed.body.error,
      retry_at: expect.any(String),
      replica_rows: INITIAL_ROWS,
    });

    await exec(dialect, `ALTER TABLE ${table}_moved RENAME TO ${table}`);
    expect(await runJob(table)).toMatchObject({ done: true });
    expect((await getJob(table)).status).toMatchObject({ consecutive_failures: 0, retry_at: null });

    await exec(dialect, `DROP TABLE ${table}`);
    expect((await api("POST", `/replication/jobs/${table}/run`)).status).toBe(502);
    expect((await getJob(table)).status).toMatchObject({ consecutive_failures: 1, replica_rows: INITIAL_ROWS });
  });
});

describe("postgresql only", () => {
  it("re-copies a column changed from text to jsonb, whose values the source rewrote", async () => {
    const { table } = await sourceJob("postgresql");
    const observed = await changeUnderLoad("postgresql", table, [table], () =>
      exec("postgresql", `ALTER TABLE ${table} ALTER COLUMN val TYPE jsonb USING val::jsonb`),
    );
    expect(observed.recopySeen).toBe(true);
    expect(observed.schemaChanges[table]).toEqual([{ column: "val", change: "retyped", from: "text", to: "jsonb" }]);
    await expectCopiedColumnsEqual("postgresql", table);
    expect((await sql(`SELECT val FROM "${table}" WHERE id = 3`)).body.result).toEqual([{ val: '{"k": 3}' }]);
  });

  it("a reset ends a re-copy in progress: its runs copy every row again anyway", async () => {
    const { table } = await sourceJob("postgresql", { columns: ["id", "val", "updated_at"] });
    const patched = await api<JobView>("PATCH", `/replication/jobs/${table}`, { body: { columns: "all" } });
    expect(patched.body.result).toMatchObject({
      column_selection: "all",
      status: { recopy: { columns: ["mid", "amount"], rows_copied: 0 } },
    });
    const reset = await api<JobView>("POST", `/replication/jobs/${table}/reset`);
    expect(reset.body.result!.status).toMatchObject({ cursor: null, recopy: null });
    expect(await runJob(table)).toMatchObject({ rows: INITIAL_ROWS, done: true });
    await expectCopiedColumnsEqual("postgresql", table);
  });

  it("warns, and does not fail, when an added column would take the replica past 100 columns", async () => {
    const table = uniqueName("sc_wide");
    created.push(["postgresql", table]);
    const fillers = Array.from({ length: 98 }, (_, i) => `c${i} int`).join(", ");
    await exec(
      "postgresql",
      `CREATE TABLE ${table} (id bigint PRIMARY KEY, updated_at timestamptz NOT NULL, ${fillers})`,
    );
    await exec("postgresql", `INSERT INTO ${table} (id, updated_at) VALUES (1, now())`);
    await createTimestampJob("postgresql", table);
    await runJob(table);
    await exec("postgresql", `ALTER TABLE ${table} ADD COLUMN one_too_many text`);
    expect(await runJob(table)).toMatchObject({ done: true, schema_changes: [] });
    const job = await getJob(table);
    expect(job.columns).toHaveLength(100);
    expect(job.warnings.join("\n")).toMatch(
      /column "one_too_many" was added at the source but not to the replica: a Durable Object table has at most 100 columns/,
    );
  });
});
