/**
 * Integration tests against the real PostgreSQL 15 at 127.0.0.1:5432
 * (user postgres, trust auth, database `test`), run inside workerd.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError, SourceUnavailableError, ValidationError } from "../errors";
import { openSource, postgresDialect, withSource } from "./index";
import {
  assertDurableObjectRoundTrip,
  eventually,
  expectCloseToFailStream,
  expectHeldBackThenCancelled,
  takeAll,
  uniqueSuffix,
} from "./test-support";
import { createPgSweep, dropPgSweep, PG_SWEEP_EXPECTED } from "./type-sweeps";
import type { SourceConfig, SourceConnection } from "./types";

const suffix = uniqueSuffix();
const table = `src_types_${suffix}`;
const mood = `mood_${suffix}`;
const appName = `sources-test-${suffix}`;
const config: SourceConfig = {
  dialect: "postgresql",
  host: "127.0.0.1",
  port: 5432,
  user: "postgres",
  database: "test",
};

let admin: SourceConnection;

beforeAll(async () => {
  admin = await openSource(config);
  await createPgSweep(admin, table, mood);
  await admin.query(`CREATE INDEX ON ${table} (c_int8, c_tstz)`);
});

afterAll(async () => {
  await dropPgSweep(admin, table, mood);
  await admin.close();
});

async function sessionsOfThisTest(): Promise<number> {
  const result = await admin.query("SELECT count(*)::int FROM pg_stat_activity WHERE application_name = ?", [appName]);
  return result.rows[0]![0] as number;
}

describe("PostgreSQL values", () => {
  it("converts every type exactly", async () => {
    const result = await admin.query(`SELECT * FROM ${table} ORDER BY id`);
    expect(result.columns[0]).toBe("id");
    expect(result.rows).toEqual(PG_SWEEP_EXPECTED);
  });

  it("gives the same values through COPY (bulk reads), parameters bound as literals", async () => {
    const sql = `SELECT * FROM ${table} WHERE id >= ? AND 'it''s ?' <> ? ORDER BY id`;
    const first = await admin.query(sql, [0, "O'Brien \\ ?"], { bulk: true });
    expect(first.columns[0]).toBe("id");
    expect(first.rows).toEqual(PG_SWEEP_EXPECTED);
    // The second read of the same statement reuses the learned column types.
    expect((await admin.query(sql, [0, "x"], { bulk: true })).rows).toEqual(PG_SWEEP_EXPECTED);
    expect((await admin.query(sql, [Number.MAX_SAFE_INTEGER, "x"], { bulk: true })).rows).toEqual([]);
  });

  it("reports an SQL error in a bulk read, and the connection stays usable", async () => {
    const conn = await openSource(config);
    try {
      await expect(conn.query("SELECT 1/0 FROM (SELECT ?::int AS x) s", [1], { bulk: true })).rejects.toThrow(
        /division by zero/,
      );
      expect((await conn.query("SELECT ? AS v", ["ok"])).rows).toEqual([["ok"]]);
    } finally {
      await conn.close();
    }
  });

  it("streams a bulk read's rows with the values COPY gives, and the connection stays usable after it", async () => {
    const stream = admin.streamRows(`SELECT * FROM ${table} WHERE id >= ? ORDER BY id`, [0], { bufferChars: 1 });
    expect(await takeAll(stream)).toEqual(PG_SWEEP_EXPECTED);
    expect((await admin.query("SELECT ? AS v", ["ok"])).rows).toEqual([["ok"]]);
  });

  it("streams rows that begin with U+FEFF or are wider than a socket read exactly as the server has them", async () => {
    // A row's first value is where a decoder would take a leading U+FEFF for a byte order mark.
    const sql = `SELECT CASE WHEN g % 100 = 0 THEN repeat('wide é🙂 ', 20000) ELSE chr(65279) || g END AS t, g
                   FROM generate_series(1, 2000) g WHERE g > ? ORDER BY g`;
    const rows = await takeAll(admin.streamRows(sql, [0], { bufferChars: 4096 }));
    expect(rows).toHaveLength(2000);
    rows.forEach(([text, g]) => {
      const expected = (g as number) % 100 === 0 ? "wide é🙂 ".repeat(20000) : `\uFEFF${g}`;
      if (text !== expected) expect(text).toBe(expected);
    });
  });

  it("reads a streamed result no faster than it is taken: the server waits, and a cancel drops the rest", async () => {
    const streamer = `${appName}-stream`;
    const conn = await openSource(config, { applicationName: streamer });
    try {
      const sql = "SELECT g, repeat('x', 200) FROM generate_series(1, ?::int) AS g ORDER BY g";
      const stream = conn.streamRows(sql, [200_000], { bufferChars: 64 * 1024 });
      const first = (await stream.next())!;
      expect(first[0]).toEqual([1, "x".repeat(200)]);
      // About 45 MB of rows; nobody takes them, so the server waits to write (ClientWrite).
      const waitEvent = async () =>
        JSON.stringify(
          (
            await admin.query(
              "SELECT wait_event FROM pg_stat_activity WHERE application_name = ? AND state = 'active'",
              [streamer],
            )
          ).rows,
        );
      expect(await eventually(waitEvent, JSON.stringify([["ClientWrite"]]))).toBe(JSON.stringify([["ClientWrite"]]));
      await expectHeldBackThenCancelled(conn, stream, first);
    } finally {
      await conn.close();
    }
  });

  it("fails a stream whose statement fails, and one whose connection closes while it waits", async () => {
    const conn = await openSource(config);
    const failing = conn.streamRows("SELECT 1/(g - 3) FROM generate_series(1, ?::int) AS g", [5], { bufferChars: 1 });
    await expect(takeAll(failing)).rejects.toThrow(/division by zero/);
    await expectCloseToFailStream(conn, "SELECT g FROM generate_series(1, 5000000) AS g");
  });

  it("a reused connection learns a statement's column types again unless describeColumns just found its table unchanged", async () => {
    const name = `pg_reuse_${Math.random().toString(36).slice(2, 8)}`;
    const conn = await openSource(config);
    try {
      await conn.query(`CREATE TABLE ${name} (id int PRIMARY KEY, v int); INSERT INTO ${name} VALUES (1, 5)`);
      const read = () =>
        takeAll(conn.streamRows(`SELECT id, v FROM ${name} ORDER BY id`, [], { bufferChars: 1, table: name }));
      await conn.describeColumns(name);
      expect(await read()).toEqual([[1, 5]]);

      // The next use reads the catalog, finds the table as it was, and keeps the types it learned:
      // a change made after that reading is not seen (the caller reads the catalog just before).
      expect(conn.reuse()).toBe(true);
      await conn.describeColumns(name);
      await conn.query(`ALTER TABLE ${name} ALTER COLUMN v TYPE text`);
      expect(await read()).toEqual([[1, 5]]);

      // A reading that finds the change, or no reading in this use: the types are learned again.
      expect(conn.reuse()).toBe(true);
      await conn.describeColumns(name);
      expect(await read()).toEqual([[1, "5"]]);
      await conn.query(`ALTER TABLE ${name} ALTER COLUMN v TYPE int USING v::int`);
      expect(conn.reuse()).toBe(true);
      expect(await read()).toEqual([[1, 5]]);
    } finally {
      await conn.query(`DROP TABLE IF EXISTS ${name}`).catch(() => undefined);
      await conn.close();
    }
  });

  it("stores the converted values in Durable Object SQLite without loss", async () => {
    const info = await admin.describeTable(table);
    const result = await admin.query(`SELECT * FROM ${table} ORDER BY id`);
    await assertDurableObjectRoundTrip(info.columns, result.rows);
  });

  it("binds ? parameters and keeps ? inside strings, identifiers and casts", async () => {
    const result = await admin.query(`SELECT ?::bigint + 1, '?' AS "q?", ?::text || $$?$$, ?::boolean, ?::numeric`, [
      "9223372036854775806",
      "a",
      true,
      "0.1000000000000000000001",
    ]);
    expect(result.columns).toEqual(["?column?", "q?", "?column?", "bool", "numeric"]);
    expect(result.rows).toEqual([["9223372036854775807", "?", "a?", 1, "0.1000000000000000000001"]]);
  });
});

describe("PostgreSQL introspection", () => {
  it("describes columns in order with format_type names, nullability and primary key", async () => {
    const info = await admin.describeTable(table);
    expect(info.schema).toBe("public");
    expect(info.primaryKey).toEqual(["id"]);
    const byName = Object.fromEntries(info.columns.map((c) => [c.name, c]));
    expect(info.columns.map((c) => c.name).slice(0, 4)).toEqual(["id", "c_int2", "c_int4", "c_int8"]);
    expect(byName.id).toMatchObject({ sourceType: "integer", nullable: false, sqliteType: "INTEGER" });
    expect(byName.c_int8).toMatchObject({ sourceType: "bigint", nullable: false, sqliteType: "INTEGER" });
    expect(byName.c_num_scale).toMatchObject({ sourceType: "numeric(10,2)", nullable: true, sqliteType: "TEXT" });
    expect(byName.c_tstz).toMatchObject({ sourceType: "timestamp(6) with time zone", sqliteType: "TEXT" });
    expect(byName.c_enum).toMatchObject({ sourceType: mood, sqliteType: "TEXT" });
    expect(byName.c_float8).toMatchObject({ sqliteType: "REAL" });
    expect(byName.c_bytea).toMatchObject({ sqliteType: "BLOB" });
    expect(byName.c_int_arr).toMatchObject({ sourceType: "integer[]", sqliteType: "TEXT" });
  });

  it("names a missing table", async () => {
    await expect(admin.describeTable(`nope_${suffix}`)).rejects.toThrow(
      new ValidationError(`table public.nope_${suffix} not found`),
    );
  });

  it("finds indexes by leading columns", async () => {
    expect(await admin.hasIndexStartingWith(table, ["id"])).toBe(true);
    expect(await admin.hasIndexStartingWith(table, ["c_int8"])).toBe(true);
    expect(await admin.hasIndexStartingWith(table, ["c_int8", "c_tstz"])).toBe(true);
    expect(await admin.hasIndexStartingWith(table, ["c_tstz"])).toBe(false);
    expect(await admin.hasIndexStartingWith(table, ["c_int8", "id"])).toBe(false);
  });

  it("bindComparable finds rows exactly by the values the connector produced", async () => {
    const info = await admin.describeTable(table);
    const rows = (await admin.query(`SELECT * FROM ${table} ORDER BY id`)).rows;
    for (const name of [
      "c_int8",
      "c_numeric",
      "c_tstz",
      "c_ts",
      "c_bool",
      "c_bytea",
      "c_float8",
      "c_enum",
      "c_char",
      "c_date",
    ]) {
      const index = info.columns.findIndex((c) => c.name === name);
      const column = info.columns[index]!;
      for (const row of rows.slice(0, 2)) {
        const { sql, param } = postgresDialect.bindComparable(column, row[index]!);
        const found = await admin.query(
          `SELECT id FROM ${table} WHERE ${postgresDialect.quoteIdentifier(name)} = ${sql}`,
          [param],
        );
        expect(found.rows, `${name} = ${String(row[index])}`).toEqual([[row[0]]]);
      }
    }
  });
});

describe("PostgreSQL errors and connection hygiene", () => {
  const options = { applicationName: appName, statementTimeoutMs: 300, connectTimeoutMs: 2_000 };

  it("closes after success", async () => {
    const seen = await withSource(
      config,
      async (source) => {
        const during = await sessionsOfThisTest();
        await source.query("SELECT 1");
        return during;
      },
      options,
    );
    expect(seen).toBe(1);
    expect(await eventually(sessionsOfThisTest, 0)).toBe(0);
  });

  it("reports the server's SQL error (never an empty result) and closes", async () => {
    const failing = withSource(config, (source) => source.query(`SELECT * FROM missing_${suffix}`), options);
    await expect(failing).rejects.toBeInstanceOf(SourceUnavailableError);
    await expect(failing).rejects.toThrow(`relation "missing_${suffix}" does not exist`);
    expect(await eventually(sessionsOfThisTest, 0)).toBe(0);
  });

  it("enforces the statement timeout and closes", async () => {
    const started = Date.now();
    const slow = withSource(config, (source) => source.query("SELECT pg_sleep(5)"), options);
    await expect(slow).rejects.toThrow(/statement timeout/);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await eventually(sessionsOfThisTest, 0)).toBe(0);
  });

  it("rejects a placeholder/parameter count mismatch", async () => {
    await expect(admin.query("SELECT ?, ?", [1])).rejects.toBeInstanceOf(ValidationError);
  });

  it("never shows the password: server-side failure through a URL", async () => {
    const secret = "Sup3r-Secret!pw";
    const url = `postgres://postgres:${encodeURIComponent(secret)}@127.0.0.1:5432/nodb_${suffix}`;
    const error = await openSource({ dialect: "postgresql", url }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceUnavailableError);
    const message = (error as AppError).message;
    expect(message).toContain(`database "nodb_${suffix}" does not exist`);
    expect(message).not.toContain(secret);
    expect(message).not.toContain(encodeURIComponent(secret));
  });

  it("never shows the password: unreachable server through parts and Hyperdrive", async () => {
    const secret = "another-S3cret";
    const parts = await openSource(
      { dialect: "postgresql", host: "127.0.0.1", port: 1, user: "u", password: secret, database: "d" },
      { connectTimeoutMs: 1_000 },
    ).catch((e: unknown) => e);
    expect(parts).toBeInstanceOf(SourceUnavailableError);
    expect((parts as AppError).message).toMatch(/could not connect to PostgreSQL at 127\.0\.0\.1:1\/d: \S/);
    expect((parts as AppError).message).not.toContain(secret);
    const hyperdrive = await openSource(
      { dialect: "postgresql", hyperdrive: { connectionString: `postgresql://u:${secret}@127.0.0.1:1/d` } },
      { connectTimeoutMs: 1_000 },
    ).catch((e: unknown) => e);
    expect(hyperdrive).toBeInstanceOf(SourceUnavailableError);
    expect((hyperdrive as AppError).message).not.toContain(secret);
  });

  it("connects through a Hyperdrive-style connection string", async () => {
    const result = await withSource(
      { dialect: "postgresql", hyperdrive: { connectionString: "postgresql://postgres:x@127.0.0.1:5432/test" } },
      (source) => source.query("SELECT current_setting('TimeZone'), current_database()"),
    );
    expect(result.rows).toEqual([["UTC", "test"]]);
  });
});
