import { afterAll, describe, expect, it } from "vitest";
import { api, sql, uniqueName } from "./helpers";
import {
  createJob,
  createTimestampJob,
  deleteJob,
  expectReplicaEqualsSource,
  getJob,
  replicaRows,
  runJob,
  runUntilDone,
  SOURCES,
  tuneReplication,
  type Dialect,
} from "./support/replication";
import { openWriter } from "./support/sources";
import { createItemsTable, dropTable, exec, insertRange, NOW } from "./support/tables";

const COLUMNS = ["id", "val", "amount", "updated_at"];
const created: Array<[Dialect, string]> = [];

afterAll(async () => {
  for (const [dialect, table] of created) {
    await deleteJob(table);
    await dropTable(dialect, table);
  }
});

async function itemsJob(
  dialect: Dialect,
  extra: Record<string, unknown> = {},
  options: { nullableTracking?: boolean } = {},
) {
  const table = uniqueName(`items_${dialect === "postgresql" ? "pg" : "my"}`);
  created.push([dialect, table]);
  await createItemsTable(dialect, table, options);
  const job = await createTimestampJob(dialect, table, {
    ...extra,
  });
  return { table, job };
}

/** A table of (id, body, data, updated_at) for values of any size, dropped after the file. */
async function bodyTable(dialect: Dialect, prefix: string): Promise<string> {
  const table = uniqueName(`${prefix}_${dialect === "postgresql" ? "pg" : "my"}`);
  created.push([dialect, table]);
  await exec(
    dialect,
    dialect === "postgresql"
      ? `CREATE TABLE ${table} (id bigint PRIMARY KEY, body text, data bytea, updated_at timestamptz(6) NOT NULL)`
      : `CREATE TABLE ${table} (id bigint PRIMARY KEY, body longtext, data longblob, updated_at datetime(6) NOT NULL)`,
  );
  return table;
}

describe.each<Dialect>(["postgresql", "mysql"])("%s", (dialect) => {
  it("neither loses nor re-reads rows that share one timestamp across page boundaries", async () => {
    const { table } = await itemsJob(dialect, { batch_size: 50 });
    // A first copy reads in key order (pull/first-copy.ts): this one copies a row, and leaves the
    // cursor at it, so that the rows written next are read in the cursor's order, by timestamp.
    await insertRange(dialect, table, 0, 0, "2024-05-01T09:00:00.000000Z");
    expect(await runJob(table)).toMatchObject({ rows: 1, done: true });
    await insertRange(dialect, table, 1, 500, "2024-05-01T10:00:00.123456Z");
    await insertRange(dialect, table, 501, 507, "2024-05-01T10:00:01.000000Z");

    const run = await runJob(table);
    expect(run).toMatchObject({ rows: 507, pages: 11, done: true });
    expect(run.cursor).toEqual({ tracking: expect.stringMatching(/^2024-05-01[T ]10:00:01\.000000Z?$/), key: [507] });
    await expectReplicaEqualsSource(dialect, table, table, COLUMNS, "id");
  });

  it("resumes inside a run of equal timestamps when a run stops part-way", async () => {
    const { table } = await itemsJob(dialect, { batch_size: 40 });
    // The first copy (in key order) takes one earlier row; the rest is read in the cursor's order.
    await insertRange(dialect, table, 0, 0, "2024-05-01T09:00:00.000000Z");
    expect(await runJob(table)).toMatchObject({ rows: 1, done: true });
    await insertRange(dialect, table, 1, 400, "2024-05-01T10:00:00.000000Z");
    await tuneReplication((s) => (s.bounds = { ...s.bounds, maxRows: 90 }));
    try {
      const runs = await runUntilDone(table);
      // A run reads no more rows than its bound: 90, 90, 90, 90, then the 40 left.
      expect(runs.map((r) => r.rows)).toEqual([90, 90, 90, 90, 40]);
      expect((await getJob(table)).status.rows_synced).toBe(401);
    } finally {
      await tuneReplication((s) => (s.bounds = { ...s.bounds, maxRows: 250_000 }));
    }
    await expectReplicaEqualsSource(dialect, table, table, COLUMNS, "id");
  });

  it("copies a new job's table in key order, then leaves its cursor where a copy in its order would", async () => {
    const { table } = await itemsJob(dialect, { batch_size: 40 });
    await insertRange(dialect, table, 1, 100, "2024-05-01T10:00:02.000000Z");
    await insertRange(dialect, table, 101, 150, "2024-05-01T10:00:01.000000Z");
    await tuneReplication((s) => (s.bounds = { ...s.bounds, maxRows: 90 }));
    try {
      // A run part-way through the copy: it shows as the first copy, without a warning or a lag (the
      // cursor stands at the watermark the copy started from, after every row it is copying).
      expect(await runJob(table)).toMatchObject({ rows: 90, done: false });
      const copying = await getJob(table);
      expect(copying.status.recopy).toMatchObject({ first_copy: true, columns: [], rows_copied: 90 });
      expect(copying.status).toMatchObject({ rows_synced: 90, lag_seconds: null, cursor: { key: null } });
      expect(copying.warnings).toEqual([]);
      expect(await replicaRows(table, ["id"], "id")).toEqual(Array.from({ length: 90 }, (_, i) => [i + 1]));

      expect((await runUntilDone(table)).map((r) => r.rows)).toEqual([60]);
      const copied = await getJob(table);
      expect(copied.status).toMatchObject({ recopy: null, rows_synced: 150 });
      // The last row, in key order, of those with the largest value.
      expect(copied.status.cursor).toEqual({
        tracking: expect.stringMatching(/^2024-05-01[T ]10:00:02\.000000Z?$/),
        key: [100],
      });
    } finally {
      await tuneReplication((s) => (s.bounds = { ...s.bounds, maxRows: 250_000 }));
    }
    // Rows written afterwards with values older than the copy's watermark, newer than every row it
    // copied (history loaded into the table): the cursor pull reads them, as after a copy in its order.
    await insertRange(dialect, table, 151, 160, "2025-01-01T00:00:00.000000Z");
    expect(await runJob(table)).toMatchObject({ rows: 10, done: true });
    await expectReplicaEqualsSource(dialect, table, table, COLUMNS, "id");
  });

  it("says since when the replica holds every row the source committed: not during a first copy or a backlog", async () => {
    const { table } = await itemsJob(dialect, { batch_size: 40 });
    await insertRange(dialect, table, 1, 100, "2024-05-01T10:00:00.000000Z");
    await tuneReplication((s) => (s.bounds = { ...s.bounds, maxRows: 90 }));
    try {
      expect(await runJob(table)).toMatchObject({ done: false });
      expect((await getJob(table)).status).toMatchObject({ synced_as_of: null, lag_seconds: null });
      await runUntilDone(table);
      const copied = (await getJob(table)).status;
      expect(copied.synced_as_of).toBe(copied.last_run_at);
      expect(copied.lag_seconds).toBeLessThanOrEqual(Math.ceil((Date.now() - Date.parse(copied.last_run_at!)) / 1000));

      // A source with no new rows: each run leaves the replica current as of its start.
      await new Promise((resolve) => setTimeout(resolve, 20));
      await runJob(table);
      const idle = (await getJob(table)).status;
      expect(Date.parse(idle.synced_as_of!)).toBeGreaterThan(Date.parse(copied.synced_as_of!));

      // A backlog larger than a run: the replica stays as of the last run that read everything.
      await insertRange(dialect, table, 101, 300, "2024-05-01T11:00:00.000000Z");
      expect(await runJob(table)).toMatchObject({ done: false });
      const behind = (await getJob(table)).status;
      expect(behind.synced_as_of).toBe(idle.synced_as_of);
      expect(Date.parse(behind.last_run_at!)).toBeGreaterThan(Date.parse(idle.synced_as_of!));
      const caughtUp = (await runUntilDone(table)).length;
      expect(caughtUp).toBeGreaterThan(1);
      const current = (await getJob(table)).status;
      expect(current.synced_as_of).toBe(current.last_run_at);
    } finally {
      await tuneReplication((s) => (s.bounds = { ...s.bounds, maxRows: 250_000 }));
    }
    const reset = await api<{ status: { synced_as_of: string | null } }>("POST", `/replication/jobs/${table}/reset`);
    expect(reset.body.result!.status.synced_as_of).toBeNull();
  });

  it("keeps an exact id cursor beyond 2^53, and never rounds it up", async () => {
    const table = uniqueName(`ids_${dialect === "postgresql" ? "pg" : "my"}`);
    created.push([dialect, table]);
    await exec(dialect, `CREATE TABLE ${table} (id bigint PRIMARY KEY, note varchar(40))`);
    const insert = async (ids: string[]) => {
      for (const id of ids) await exec(dialect, `INSERT INTO ${table} VALUES (${id}, 'n${id}')`);
    };
    await insert([
      "-9223372036854775808",
      "-1",
      "9007199254740991",
      "9007199254740992",
      "9007199254740993",
      "9007199254740995",
    ]);
    await createJob({
      name: table,
      source: SOURCES[dialect],
      table_name: table,
      tracking_col: "id",
      tracking_type: "id",
      batch_size: 4,
      active: false,
    });

    const first = await runJob(table);
    expect(first).toMatchObject({ rows: 6, pages: 2, done: true });
    // As a double, 2^53 + 3 rounds up to 2^53 + 4: a rounded cursor would skip the row inserted next.
    expect(first.cursor).toEqual({ tracking: "9007199254740995", key: ["9007199254740995"] });
    await insert(["9007199254740996"]);
    expect((await runJob(table)).rows).toBe(1);

    await insert(["9223372036854775806", "9223372036854775807"]);
    const last = await runJob(table);
    expect(last).toMatchObject({ rows: 2, cursor: { tracking: "9223372036854775807", key: ["9223372036854775807"] } });
    expect((await getJob(table)).status.cursor).toEqual(last.cursor);

    const replica = await sql<Array<{ id: string; note: string }>>(
      `SELECT CAST(id AS TEXT) AS id, note FROM ${table} ORDER BY ${table}.id`,
    );
    const all = [
      "-9223372036854775808",
      "-1",
      "9007199254740991",
      "9007199254740992",
      "9007199254740993",
      "9007199254740995",
      "9007199254740996",
      "9223372036854775806",
      "9223372036854775807",
    ];
    expect(replica.body.result).toEqual(all.map((id) => ({ id, note: `n${id}` })));
  });

  it("does not replicate rows whose tracking value is NULL, and says so", async () => {
    const { table, job } = await itemsJob(dialect, {}, { nullableTracking: true });
    expect(job.warnings.join(" ")).toMatch(/NULL are not replicated/);
    await insertRange(dialect, table, 1, 5, "2024-05-01T10:00:00.000000Z");
    await exec(dialect, `INSERT INTO ${table} (id, val, amount, updated_at) VALUES (6, 'no stamp', 1, NULL)`);
    expect((await runJob(table)).rows).toBe(5);
    const ids = await sql<Array<{ id: number }>>(`SELECT id FROM ${table} ORDER BY id`);
    expect(ids.body.result!.map((r) => r.id)).toEqual([1, 2, 3, 4, 5]);
  });

  it("picks up a transaction that stamped its rows earlier but committed later (lookback)", async () => {
    for (const lookback of [300, 0]) {
      const { table } = await itemsJob(dialect, { lookback_seconds: lookback });
      await insertRange(dialect, table, 1, 3, "2024-05-01T10:00:00.000000Z");
      expect((await runJob(table)).done).toBe(true);

      const late = await openWriter(dialect);
      const early = await openWriter(dialect);
      try {
        await late.query("BEGIN");
        await late.query(`INSERT INTO ${table} VALUES (100, 'late', 1, ${NOW[dialect]})`);
        await new Promise((r) => setTimeout(r, 5));
        await early.query(`INSERT INTO ${table} VALUES (200, 'early', 2, ${NOW[dialect]})`);
        expect((await runJob(table)).rows).toBeGreaterThanOrEqual(1);
        await late.query("COMMIT");
      } finally {
        await late.close();
        await early.close();
      }
      await runJob(table);
      const ids = (await replicaRows(table, ["id"], "id")).map((r) => r[0]);
      if (lookback > 0) {
        expect(ids).toEqual([1, 2, 3, 100, 200]);
        await expectReplicaEqualsSource(dialect, table, table, COLUMNS, "id");
      } else {
        // Without a lookback window the late commit is lost: this is why the window exists.
        expect(ids).toEqual([1, 2, 3, 200]);
      }
    }
  });

  it("copies values too large to share a batch exactly, and fails naming a row over the 2 MB limit", async () => {
    const table = await bodyTable(dialect, "big");
    const pg = dialect === "postgresql";
    const text = (n: number, ch: string) => (pg ? `repeat('${ch}', ${n})` : `REPEAT('${ch}', ${n})`);
    const bytes = (pairs: number) =>
      pg ? `decode(repeat('00ff', ${pairs}), 'hex')` : `UNHEX(REPEAT('00FF', ${pairs}))`;
    const at = (s: number) => `'2024-05-01 10:00:0${s}'`;
    // Row 2's text and row 3's bytes are each too large to share a JSON batch (bytes double as hex), not the row limit.
    await exec(
      dialect,
      `INSERT INTO ${table} VALUES (1, 'small', NULL, ${at(1)}), (2, ${text(1_200_000, "x")}, NULL, ${at(2)}),
      (3, 'blob', ${bytes(750_000)}, ${at(3)}), (4, 'small', NULL, ${at(4)})`,
    );
    await createTimestampJob(dialect, table);

    expect(await runJob(table)).toMatchObject({ rows: 4, done: true });
    const sizes = await sql<Array<{ id: number; body: number; data: number | null }>>(
      `SELECT id, length(body) AS body, length(data) AS data FROM ${table} ORDER BY id`,
    );
    expect(sizes.body.result).toEqual([
      { id: 1, body: 5, data: null },
      { id: 2, body: 1_200_000, data: null },
      { id: 3, body: 4, data: 1_500_000 },
      { id: 4, body: 5, data: null },
    ]);
    await expectReplicaEqualsSource(dialect, table, table, ["id", "body", "data", "updated_at"], "id");

    // A row over the 2 MB row limit fails the run naming its key; the rows before it stay, the cursor does not pass it.
    await exec(dialect, `INSERT INTO ${table} VALUES (5, ${text(2_100_000, "y")}, NULL, ${at(5)})`);
    const failed = await api("POST", `/replication/jobs/${table}/run`);
    expect(failed.status).toBe(400);
    expect(failed.body.error).toMatch(
      /row with key \(5\) is 2100\d{3} bytes, over the Durable Object's 2 MB row limit/,
    );
    const job = await getJob(table);
    expect(job.status.last_error).toBe(failed.body.error);
    expect(Number(job.status.cursor!.key![0])).toBeLessThan(5);
    expect((await replicaRows(table, ["id"], "id")).map((r) => r[0])).toEqual([1, 2, 3, 4]);

    await exec(dialect, `UPDATE ${table} SET body = 'fits now' WHERE id = 5`);
    expect((await runJob(table)).done).toBe(true);
    await expectReplicaEqualsSource(dialect, table, table, ["id", "body", "data", "updated_at"], "id");
  });

  it("reads wide rows in pages of about 512 KiB whatever batch_size says, a run's first page included", async () => {
    const table = await bodyTable(dialect, "wide");
    const pg = dialect === "postgresql";
    // 150 rows of 100,000 characters: 15 MB, which batch_size 10,000 would read in one page.
    await exec(
      dialect,
      pg
        ? `INSERT INTO ${table} (id, body, updated_at) SELECT g, repeat(chr(96 + g % 26), 100000), timestamptz '2024-05-01 10:00:00+00' + g * interval '1 second' FROM generate_series(1, 150) g`
        : `INSERT INTO ${table} (id, body, updated_at) SELECT seq, REPEAT(CHAR(96 + seq % 26), 100000), TIMESTAMP'2024-05-01 10:00:00' + INTERVAL seq SECOND FROM seq_1_to_150`,
    );
    await createTimestampJob(dialect, table, {
      batch_size: 10_000,
    });
    // A probe of 100 rows, then pages of 5 rows (512 KiB of 100,000-byte rows).
    const first = await runJob(table);
    expect(first).toMatchObject({ rows: 150, done: true });
    expect(first.pages).toBeGreaterThanOrEqual(11);
    // The next run knows the rows' size from its first page on.
    await exec(dialect, `UPDATE ${table} SET updated_at = ${NOW[dialect]} WHERE id <= 30`);
    const second = await runJob(table);
    expect(second).toMatchObject({ rows: 30, done: true });
    expect(second.pages).toBeGreaterThanOrEqual(6);
    await expectReplicaEqualsSource(dialect, table, table, ["id", "body", "updated_at"], "id");
  });

  it("converges to the source after concurrent writers stop, whatever order their commits arrived in", async () => {
    const { table } = await itemsJob(dialect, { batch_size: 37 });
    await insertRange(dialect, table, 1, 300, "2024-05-01T10:00:00.000000Z");
    const stop = Date.now() + 2_500;
    let nextId = 1_000;
    const writer = async (seed: number) => {
      const session = await openWriter(dialect);
      try {
        for (let i = 0; Date.now() < stop; i++) {
          const pick = (seed * 7919 + i * 104729) % 300;
          switch (i % 4) {
            case 0: // insert a new row
              await session.query(`INSERT INTO ${table} VALUES (${nextId++}, 'new', ${i}, ${NOW[dialect]})`);
              break;
            case 1: // update one row
              await session.query(
                `UPDATE ${table} SET val = 'upd${seed}-${i}', updated_at = ${NOW[dialect]} WHERE id = ${pick + 1}`,
              );
              break;
            case 2: // a burst sharing one timestamp
              await session.query(
                `UPDATE ${table} SET amount = amount + 1, updated_at = ${NOW[dialect]} WHERE id BETWEEN ${pick} AND ${pick + 60}`,
              );
              break;
            default: // a transaction that stamps early and commits late
              await session.query("BEGIN");
              await session.query(
                `UPDATE ${table} SET val = 'slow${seed}-${i}', updated_at = ${NOW[dialect]} WHERE id IN (${pick + 1}, ${((pick + 150) % 300) + 1})`,
              );
              await new Promise((r) => setTimeout(r, 40));
              await session.query("COMMIT");
          }
        }
      } finally {
        await session.close();
      }
    };
    const runner = async () => {
      let runs = 0;
      while (Date.now() < stop) {
        await runJob(table);
        runs++;
      }
      return runs;
    };
    const [, , , runs] = await Promise.all([writer(1), writer(2), writer(3), runner()]);
    expect(runs).toBeGreaterThan(3);

    const final = await runJob(table);
    expect(final.done).toBe(true);
    await expectReplicaEqualsSource(dialect, table, table, COLUMNS, "id");
  });
});
