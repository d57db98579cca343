/**
 * Integration tests against the real MariaDB 10.11 at 127.0.0.1:3306
 * (user root, empty password, database `test`), run inside workerd.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError, SourceUnavailableError, ValidationError } from "../errors";
import { mysqlDialect, openSource, withSource } from "./index";
import {
  assertDurableObjectRoundTrip,
  eventually,
  expectCloseToFailStream,
  expectHeldBackThenCancelled,
  takeAll,
  uniqueSuffix,
} from "./test-support";
import { createMysqlSweep, MYSQL_SWEEP_EXPECTED } from "./type-sweeps";
import type { SourceConfig, SourceConnection } from "./types";

const suffix = uniqueSuffix();
const table = `src_types_${suffix}`;
const user = `src_${suffix}`;
const password = `Pw-${suffix}-secret`;
const config: SourceConfig = { dialect: "mysql", host: "127.0.0.1", port: 3306, user: "root", database: "test" };
const userConfig: SourceConfig = { ...config, user, password };

let admin: SourceConnection;

beforeAll(async () => {
  admin = await openSource(config);
  await createMysqlSweep(admin, table);
  await admin.query(`CREATE USER '${user}'@'%' IDENTIFIED BY '${password}'`);
  await admin.query(`GRANT ALL ON test.* TO '${user}'@'%'`);
});

afterAll(async () => {
  await admin.query(`DROP TABLE IF EXISTS ${table}`);
  await admin.query(`DROP USER IF EXISTS '${user}'@'%'`);
  await admin.close();
});

async function sessionsOfTestUser(): Promise<number> {
  const result = await admin.query("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = ?", [user]);
  return Number(result.rows[0]![0]);
}

describe("MySQL values", () => {
  it("converts every type exactly (text protocol)", async () => {
    const result = await admin.query(`SELECT * FROM ${table} ORDER BY id`);
    expect(result.columns.slice(0, 3)).toEqual(["id", "c_bool", "c_tiny"]);
    expect(result.rows).toEqual(MYSQL_SWEEP_EXPECTED);
  });

  it("converts every type exactly with bound parameters", async () => {
    const result = await admin.query(`SELECT * FROM ${table} WHERE id >= ? ORDER BY id`, [0]);
    expect(result.rows).toEqual(MYSQL_SWEEP_EXPECTED);
  });

  it("streams a result's rows with the values a query gives, and the connection stays usable after it", async () => {
    const stream = admin.streamRows(`SELECT * FROM ${table} WHERE id >= ? ORDER BY id`, [0], { bufferChars: 1 });
    expect(await takeAll(stream)).toEqual(MYSQL_SWEEP_EXPECTED);
    expect((await admin.query("SELECT ? AS v", ["ok"])).rows).toEqual([["ok"]]);
  });

  it("reads a streamed result no faster than it is taken: the server waits, and a cancel drops the rest", async () => {
    const conn = await openSource(config);
    try {
      const marker = `stream_${suffix}`;
      const stream = conn.streamRows(`SELECT /* ${marker} */ seq, REPEAT('x', 300) FROM seq_1_to_300000`, [], {
        bufferChars: 64 * 1024,
      });
      const first = (await stream.next())!;
      expect(first[0]![1]).toBe("x".repeat(300));
      // About 90 MB of rows that nobody takes: the server waits to send them.
      const state = async () =>
        JSON.stringify(
          (
            await admin.query(
              "SELECT STATE FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND INFO LIKE ?",
              [`%${marker}%`],
            )
          ).rows,
        );
      const writing = JSON.stringify([["Writing to net"]]);
      expect(await eventually(state, writing)).toBe(writing);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await state()).toBe(writing);
      await expectHeldBackThenCancelled(conn, stream, first);
    } finally {
      await conn.close();
    }
  });

  it("fails a stream whose statement fails, and one whose connection closes while it waits", async () => {
    const conn = await openSource(config);
    const failing = conn.streamRows("SELECT * FROM no_such_table_here", [], { bufferChars: 1 });
    await expect(failing.next()).rejects.toThrow(/no_such_table_here/);
    await expectCloseToFailStream(conn, "SELECT seq FROM seq_1_to_5000000");
  });

  it("stores the converted values in Durable Object SQLite without loss", async () => {
    const info = await admin.describeTable(table);
    const result = await admin.query(`SELECT * FROM ${table} ORDER BY id`);
    await assertDurableObjectRoundTrip(info.columns, result.rows);
  });

  it("keeps GEOMETRY as the server's bytes (SRID + WKB)", async () => {
    const result = await admin.query(
      "SELECT ST_GeomFromText('POINT(1 2)', 4326) AS g, HEX(ST_GeomFromText('POINT(1 2)', 4326)) AS h, ST_GeomFromText(NULL) AS n",
    );
    const [g, h, n] = result.rows[0]!;
    expect(g).toBeInstanceOf(ArrayBuffer);
    const hex = [...new Uint8Array(g as ArrayBuffer)].map((b) => b.toString(16).padStart(2, "0")).join("");
    expect(hex.toUpperCase()).toBe(h);
    expect(hex.slice(0, 8)).toBe("e6100000"); // SRID 4326, little-endian
    expect(n).toBeNull();
  });

  it("reads many rows spanning many socket reads exactly, ASCII and not", async () => {
    const result = await admin.query(
      `SELECT CAST(seq AS SIGNED), CONCAT('row ', seq, IF(seq % 7 = 0, ' é🙂', '')), IF(seq % 5 = 0, NULL, seq / 4),
              CONCAT(_utf8mb4 0xEFBBBF, seq), REPEAT('x', seq % 300)
         FROM seq_1_to_20000`,
    );
    expect(result.rows).toHaveLength(20_000);
    result.rows.forEach((row, k) => {
      const seq = k + 1;
      const expected = [
        seq,
        `row ${seq}${seq % 7 === 0 ? " é🙂" : ""}`,
        seq % 5 === 0 ? null : (seq / 4).toFixed(4),
        `\uFEFF${seq}`,
        "x".repeat(seq % 300),
      ];
      if (JSON.stringify(row) !== JSON.stringify(expected)) expect(row).toEqual(expected);
    });
  });

  it("binds ? parameters outside strings, identifiers and comments", async () => {
    const result = await admin.query("SELECT '?', ?, CAST(? AS UNSIGNED), ? /* ? */", [
      "a?",
      "18446744073709551615",
      null,
    ]);
    expect(result.rows).toEqual([["?", "a?", "18446744073709551615", null]]);
  });

  it("binds hostile strings as data", async () => {
    const hostile = [
      "O'Brien",
      'say "hi"',
      "back\\slash\\",
      "nul\0byte",
      "\u0000\n\r\t\u001a",
      "' OR 1=1 -- ",
      "😀 ünïcode",
    ];
    for (const value of hostile) {
      const result = await admin.query("SELECT ? AS v, CHAR_LENGTH(?) AS n", [value, value]);
      expect(result.rows).toEqual([[value, [...value].length]]);
    }
  });
});

describe("MySQL introspection", () => {
  it("describes columns with COLUMN_TYPE, nullability and primary key", async () => {
    const info = await admin.describeTable(table);
    expect(info).toMatchObject({ schema: "test", name: table, primaryKey: ["id"] });
    const byName = Object.fromEntries(info.columns.map((c) => [c.name, c]));
    expect(info.columns[0]).toMatchObject({
      name: "id",
      sourceType: "int(11)",
      nullable: false,
      sqliteType: "INTEGER",
    });
    expect(byName.c_bool).toMatchObject({ sourceType: "tinyint(1)", nullable: true, sqliteType: "INTEGER" });
    expect(byName.c_big).toMatchObject({ sourceType: "bigint(20)", nullable: false, sqliteType: "INTEGER" });
    expect(byName.c_ubig).toMatchObject({ sourceType: "bigint(20) unsigned", sqliteType: "TEXT" });
    expect(byName.c_dec).toMatchObject({ sourceType: "decimal(65,30)", sqliteType: "TEXT" });
    expect(byName.c_json).toMatchObject({ sqliteType: "TEXT" });
    expect(byName.c_blob).toMatchObject({ sourceType: "blob", sqliteType: "BLOB" });
    expect(byName.c_bit64).toMatchObject({ sourceType: "bit(64)", sqliteType: "TEXT" });
  });

  it("names a missing table", async () => {
    await expect(admin.describeTable(`nope_${suffix}`)).rejects.toThrow(
      new ValidationError(`table test.nope_${suffix} not found`),
    );
  });

  it("finds indexes by leading columns", async () => {
    expect(await admin.hasIndexStartingWith(table, ["id"])).toBe(true);
    expect(await admin.hasIndexStartingWith(table, ["c_big", "c_dt"])).toBe(true);
    expect(await admin.hasIndexStartingWith(table, ["c_dt"])).toBe(false);
  });
});

describe("MySQL exact comparisons", () => {
  it("bindComparable finds rows exactly by the values the connector produced", async () => {
    const info = await admin.describeTable(table);
    const rows = (await admin.query(`SELECT * FROM ${table} ORDER BY id`)).rows;
    const names = [
      "c_big",
      "c_ubig",
      "c_dec",
      "c_dec40",
      "c_float",
      "c_double",
      "c_date",
      "c_dt",
      "c_ts",
      "c_time",
      "c_year",
      "c_varchar",
      "c_binary",
      "c_varbinary",
      "c_bit64",
      "c_bool",
    ];
    for (const name of names) {
      const index = info.columns.findIndex((c) => c.name === name);
      const column = info.columns[index]!;
      for (const row of rows.slice(0, 2)) {
        const value = row[index]!;
        if (typeof value === "string" && value.startsWith("0000-00-00")) continue;
        const { sql, param } = mysqlDialect.bindComparable(column, value);
        const found = await admin.query(
          `SELECT id FROM ${table} WHERE ${mysqlDialect.quoteIdentifier(name)} = ${sql}`,
          [param],
        );
        expect(found.rows, `${name} = ${String(value)}`).toEqual([[row[0]]]);
      }
    }
  });

  it("does not round big integers like a plain string parameter would, and stays indexable", async () => {
    const column = (await admin.describeTable(table)).columns.find((c) => c.name === "c_big")!;
    const nearMax = "9223372036854775806";
    // The trap: compared as DOUBLE (a JS number is bound as one), 2^63-2 "equals" 2^63-1.
    const loose = await admin.query(`SELECT id FROM ${table} WHERE c_big = CAST(? AS DOUBLE)`, [nearMax]);
    expect(loose.rows).toEqual([[1]]);
    const { sql, param } = mysqlDialect.bindComparable(column, nearMax);
    expect((await admin.query(`SELECT id FROM ${table} WHERE c_big = ${sql}`, [param])).rows).toEqual([]);
    const plan = await admin.query(`EXPLAIN SELECT id FROM ${table} WHERE c_big = ${sql}`, [param]);
    const possibleKeys = plan.rows[0]![plan.columns.indexOf("possible_keys")];
    expect(String(possibleKeys)).toContain("by_big_dt");
  });
});

describe("MySQL errors and connection hygiene", () => {
  const options = { statementTimeoutMs: 300, connectTimeoutMs: 2_000 };

  it("closes after success", async () => {
    const seen = await withSource(
      userConfig,
      async (source) => {
        await source.query("SELECT 1");
        return sessionsOfTestUser();
      },
      options,
    );
    expect(seen).toBe(1);
    expect(await eventually(sessionsOfTestUser, 0)).toBe(0);
  });

  it("reports the server's SQL error (never an empty result) and closes", async () => {
    const failing = withSource(userConfig, (source) => source.query(`SELECT * FROM missing_${suffix}`), options);
    await expect(failing).rejects.toBeInstanceOf(SourceUnavailableError);
    await expect(failing).rejects.toThrow(`Table 'test.missing_${suffix}' doesn't exist`);
    expect(await eventually(sessionsOfTestUser, 0)).toBe(0);
  });

  it("enforces the statement timeout and closes", async () => {
    const started = Date.now();
    const slow = withSource(
      userConfig,
      (source) => source.query("SELECT SLEEP(5) FROM DUAL WHERE 1 = ?", [1]),
      options,
    );
    await expect(slow).rejects.toThrow(/max_statement_time|timed out/);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await eventually(sessionsOfTestUser, 0)).toBe(0);
  });

  it("never shows the password on failed authentication", async () => {
    const wrong = `Wrong-${password}`;
    const byParts = await openSource({ ...config, user, password: wrong }).catch((e: unknown) => e);
    expect(byParts).toBeInstanceOf(SourceUnavailableError);
    expect((byParts as AppError).message).toContain(`Access denied for user '${user}'`);
    expect((byParts as AppError).message).not.toContain(wrong);
    const url = `mysql://${user}:${encodeURIComponent(wrong)}@127.0.0.1:3306/test`;
    const byUrl = await openSource({ dialect: "mysql", url }).catch((e: unknown) => e);
    expect((byUrl as AppError).message).toContain("Access denied");
    expect((byUrl as AppError).message).not.toContain(wrong);
  });

  it("never shows the password when the server is unreachable", async () => {
    const error = await openSource({ ...userConfig, port: 1 }, { connectTimeoutMs: 1_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceUnavailableError);
    expect((error as AppError).message).toMatch(/could not connect to MySQL at 127\.0\.0\.1:1\/test: \S/);
    expect((error as AppError).message).not.toContain(password);
  });
});
