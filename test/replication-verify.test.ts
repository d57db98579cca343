/**
 * Verify and repair (POST /replication/jobs/:name/verify) against the real
 * PostgreSQL and MariaDB: deletes, truncation, backdated writes, composite and
 * text keys, NULLs, rows whose hash is unknown, concurrent writers, and that a
 * verify without repair never writes.
 */
import { runInDurableObject } from "cloudflare:test";
import { afterAll, describe, expect, it } from "vitest";
import type { EdgeReplicationPart, JobView } from "../plugins/replication";
import { type RowHashFormula, rowHashSql } from "../plugins/replication/replica/row-hash";
import type { VerifyResult, VerifyShape } from "../plugins/replication/verify/types";
import { mysqlDialect, postgresDialect, withSource } from "../src/sources";
import type { SqliteValue } from "../src/sources/types";
import { api, uniqueName } from "./helpers";
import {
  createTimestampJob,
  databaseStub,
  deleteJob,
  expectReplicaEqualsSource,
  getJob,
  replicaRows,
  runJob,
  SOURCES,
  sourceRows,
  tuneReplication,
  type Dialect,
} from "./support/replication";
import { openWriter } from "./support/sources";
import { createItemsTable, dropTable, exec, insertRange, NOW } from "./support/tables";

const COLUMNS = ["id", "val", "amount", "updated_at"];
const OLD = "2020-01-01 00:00:00"; // before every cursor: a run never reads rows stamped with it
const created: Array<[Dialect, string]> = [];
const zeros = { missing: 0, extra: 0, differing: 0 };

afterAll(async () => {
  for (const [dialect, table] of created) {
    await deleteJob(table);
    await dropTable(dialect, table);
  }
});

async function verify(name: string, repair = false, values = false): Promise<VerifyResult> {
  const query = [repair ? "repair=true" : "", values ? "values=true" : ""].filter(Boolean).join("&");
  const res = await api<VerifyResult>("POST", `/replication/jobs/${name}/verify${query ? `?${query}` : ""}`);
  expect(res.body.error).toBeUndefined();
  expect(res.status).toBe(200);
  return res.body.result!;
}

const short = (dialect: Dialect) => (dialect === "postgresql" ? "pg" : "my");

/** The items table (id, val, amount, updated_at) with `rows` rows, and a paused job that has copied it. */
async function itemsJob(dialect: Dialect, rows: number, extra: Record<string, unknown> = {}) {
  const table = uniqueName(`ver_${short(dialect)}`);
  created.push([dialect, table]);
  await createItemsTable(dialect, table);
  if (rows > 0) await insertRange(dialect, table, 1, rows, "2024-05-01T10:00:00.000000Z");
  await createTimestampJob(dialect, table, {
    // The rows share one timestamp: a lookback window would re-read them all on every run.
    lookback_seconds: 0,
    ...extra,
  });
  expect((await runJob(table)).done).toBe(true);
  return table;
}

/** The replica exactly as SQLite stores it: its definition, and every value of every row with its type, by rowid. */
async function replicaDump(table: string): Promise<string> {
  return runInDurableObject(databaseStub(), (_instance, state) => {
    const sql = state.storage.sql;
    const definition = sql.exec<{ sql: string }>(`SELECT sql FROM sqlite_master WHERE name = ?`, table).one().sql;
    const names = sql
      .exec<{ name: string }>(`SELECT name FROM pragma_table_info(?)`, table)
      .toArray()
      .map((c) => `"${c.name}"`);
    const values = names.map((n) => `quote(${n}), typeof(${n})`).join(", ");
    const rows = Array.from(sql.exec(`SELECT rowid, ${values} FROM "${table}" ORDER BY rowid`).raw());
    return JSON.stringify({ definition, rows });
  });
}

/** Runs SQL on the worker's Durable Object directly: arranging what the API cannot (a replica from an older version). */
async function inObject(statement: string): Promise<void> {
  await runInDurableObject(databaseStub(), (_instance, state) => void state.storage.sql.exec(statement));
}

async function tuneVerify(shape: Partial<VerifyShape>): Promise<VerifyShape> {
  return runInDurableObject(databaseStub(), (instance) => {
    const current = instance.durablePart<EdgeReplicationPart>("replication").engine.verifier.shape;
    const before = { ...current };
    Object.assign(current, shape);
    return before;
  });
}

describe.each<Dialect>(["postgresql", "mysql"])("%s", (dialect) => {
  it("finds scattered deletes as extra rows, changes nothing, and repairs them", async () => {
    const table = await itemsJob(dialect, 1000);
    expect(await verify(table)).toMatchObject({
      source_rows: 1000,
      replica_rows: 1000,
      ...zeros,
      repaired: false,
      done: true,
      method: "key ranges",
    });
    await exec(dialect, `DELETE FROM ${table} WHERE id IN (3, 250, 251, 777, 1000)`);
    expect((await runJob(table)).rows).toBe(0); // a cursor cannot see a delete
    const found = await verify(table);
    expect(found).toMatchObject({ source_rows: 995, replica_rows: 1000, missing: 0, extra: 5, differing: 0 });
    expect(found.examples).toEqual({ missing: [], extra: [3, 250, 251, 777, 1000], differing: [] });
    expect(await verify(table, true)).toMatchObject({ extra: 5, repaired: true, done: true });
    expect(await verify(table)).toMatchObject({ source_rows: 995, replica_rows: 995, ...zeros });
    await expectReplicaEqualsSource(dialect, table, table, COLUMNS, "id");
    expect((await getJob(table)).status.verify).toMatchObject({ source_rows: 995, ...zeros, at: expect.any(String) });
  });

  it("finds a deleted key range, then every row deleted, and repairs both", async () => {
    const table = await itemsJob(dialect, 1000);
    await exec(dialect, `DELETE FROM ${table} WHERE id BETWEEN 200 AND 700`);
    const range = await verify(table, true);
    expect(range).toMatchObject({ source_rows: 499, replica_rows: 1000, missing: 0, extra: 501, differing: 0 });
    expect(range.examples.extra).toEqual([200, 201, 202, 203, 204, 205, 206, 207, 208, 209]);
    expect(await verify(table)).toMatchObject({ source_rows: 499, replica_rows: 499, ...zeros });

    await exec(dialect, `DELETE FROM ${table}`);
    expect(await verify(table, true)).toMatchObject({ source_rows: 0, replica_rows: 499, extra: 499 });
    expect(await verify(table)).toMatchObject({ source_rows: 0, replica_rows: 0, ...zeros });
  });

  it("finds a TRUNCATE and a refill with old timestamps, which runs never read, and repairs them", async () => {
    const table = await itemsJob(dialect, 1000);
    await exec(dialect, `TRUNCATE TABLE ${table}`);
    await insertRange(dialect, table, 701, 1100, "2020-01-01T00:00:00.000000Z");
    await exec(dialect, `UPDATE ${table} SET val = 'refilled' WHERE id <= 800`);
    expect((await runJob(table)).rows).toBe(0);
    const found = await verify(table);
    // 1-700 gone; 701-800 back with other values; 801-1000 back as they were (amount and val alike,
    // the timestamp older); 1001-1100 new.
    expect(found).toMatchObject({ source_rows: 400, replica_rows: 1000, missing: 100, extra: 700, differing: 300 });
    expect(found.examples.missing).toEqual([1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 1010]);
    expect(await verify(table, true)).toMatchObject({ missing: 100, extra: 700, differing: 300, repaired: true });
    expect(await verify(table)).toMatchObject({ source_rows: 400, replica_rows: 400, ...zeros });
    await expectReplicaEqualsSource(dialect, table, table, COLUMNS, "id");
  });

  it("finds backdated inserts and edits as missing and differing rows", async () => {
    const table = await itemsJob(dialect, 300);
    await exec(dialect, `INSERT INTO ${table} VALUES (5000, 'backdated', 1, '${OLD}'), (0, 'zero', 2, '${OLD}')`);
    await exec(dialect, `UPDATE ${table} SET val = 'edited', amount = 9.5 WHERE id IN (17, 230)`);
    await exec(dialect, `UPDATE ${table} SET amount = amount + 0.0001 WHERE id = 42`); // a change after the point
    expect((await runJob(table)).rows).toBe(0);
    const found = await verify(table);
    expect(found).toMatchObject({ source_rows: 302, replica_rows: 300, missing: 2, extra: 0, differing: 3 });
    expect(found.examples).toEqual({ missing: [0, 5000], extra: [], differing: [17, 42, 230] });
    await verify(table, true);
    expect(await verify(table)).toMatchObject({ source_rows: 302, replica_rows: 302, ...zeros });
    await expectReplicaEqualsSource(dialect, table, table, COLUMNS, "id");
  });

  it("tells NULL from empty text and zero in non-key columns", async () => {
    const table = await itemsJob(dialect, 20);
    await exec(dialect, `UPDATE ${table} SET val = NULL, amount = NULL, updated_at = ${NOW[dialect]} WHERE id <= 5`);
    await runJob(table);
    expect(await verify(table)).toMatchObject({ source_rows: 20, ...zeros });
    await exec(dialect, `UPDATE ${table} SET val = '' WHERE id = 2`);
    await exec(dialect, `UPDATE ${table} SET amount = 0 WHERE id = 3`);
    await exec(dialect, `UPDATE ${table} SET val = NULL WHERE id = 9`);
    expect(await verify(table)).toMatchObject({ ...zeros, differing: 3, examples: { differing: [2, 3, 9] } });
    await verify(table, true);
    expect(await verify(table)).toMatchObject(zeros);
    await expectReplicaEqualsSource(dialect, table, table, COLUMNS, "id");
  });

  it("never writes without repair: the replica stays byte for byte the same, unknown hashes included", async () => {
    const table = await itemsJob(dialect, 500);
    await exec(dialect, `DELETE FROM ${table} WHERE id BETWEEN 10 AND 20`);
    await exec(dialect, `UPDATE ${table} SET val = 'changed' WHERE id IN (100, 400)`);
    await exec(dialect, `INSERT INTO ${table} VALUES (9999, 'new', 1, '${OLD}')`);
    await inObject(`UPDATE "${table}" SET _starbase_row_hash = NULL WHERE id > 250`);
    const before = await replicaDump(table);
    const found = await verify(table);
    expect(found).toMatchObject({ missing: 1, extra: 11, differing: 2 });
    expect(await replicaDump(table)).toBe(before);
  });

  it("compares rows whose hash is unknown value by value, and a repair fills their hashes in", async () => {
    const table = await itemsJob(dialect, 300);
    // A replica made before the hash column existed: the column goes, and verify must not add it back.
    await inObject(`ALTER TABLE "${table}" DROP COLUMN _starbase_row_hash`);
    await exec(dialect, `UPDATE ${table} SET val = 'changed' WHERE id = 123`);
    const before = await replicaDump(table);
    expect(await verify(table)).toMatchObject({ source_rows: 300, ...zeros, differing: 1 });
    expect(await replicaDump(table)).toBe(before);

    // The next run adds the column; the rows it does not read keep an unknown (NULL) hash.
    await runJob(table);
    const unknown = async () =>
      (await replicaRows(table, ["_starbase_row_hash"], "id")).filter((r) => r[0] === null).length;
    expect(await unknown()).toBe(300);
    expect(await verify(table)).toMatchObject({ differing: 1, examples: { differing: [123] } });
    expect(await verify(table, true)).toMatchObject({ differing: 1 });
    expect(await unknown()).toBe(0);
    expect(await verify(table)).toMatchObject({ source_rows: 300, ...zeros });
    await expectReplicaEqualsSource(dialect, table, table, COLUMNS, "id");
  });

  it("with values=true, compares every value: finds replica values changed under their stored hashes, and repairs them", async () => {
    const table = await itemsJob(dialect, 300);
    // Changed in the replica by hand (as an admin may), the stored hashes left as they were.
    await inObject(`UPDATE "${table}" SET val = 'by hand' WHERE id IN (5, 250)`);
    await inObject(`UPDATE "${table}" SET amount = NULL WHERE id = 77`);
    expect(await verify(table)).toMatchObject({ ...zeros, compared: "hashes" });
    const found = await verify(table, false, true);
    expect(found).toMatchObject({
      source_rows: 300,
      replica_rows: 300,
      ...zeros,
      differing: 3,
      compared: "values",
      method: "keys",
      examples: { differing: [5, 77, 250] },
    });
    expect(await getJob(table)).toMatchObject({ status: { verify: { differing: 3, compared: "values" } } });
    expect(await verify(table, true, true)).toMatchObject({ differing: 3, repaired: true, done: true });
    expect(await verify(table, false, true)).toMatchObject({ source_rows: 300, ...zeros });
    await expectReplicaEqualsSource(dialect, table, table, COLUMNS, "id");
  });

  it("after a column added and one dropped at the source, the re-copy leaves verify nothing to find", async () => {
    const table = await itemsJob(dialect, 300, { batch_size: 100 });
    await exec(dialect, `ALTER TABLE ${table} ADD COLUMN region varchar(8) DEFAULT 'eu'`);
    // Until the re-copy has passed them, rows lack the new column: they differ, and verify says so.
    await tuneReplication((t) => (t.bounds = { ...t.bounds, maxRows: 50 }));
    try {
      await runJob(table); // the re-copy's first page only
    } finally {
      await tuneReplication((t) => (t.bounds = { ...t.bounds, maxRows: 250_000 }));
    }
    expect(await verify(table)).toMatchObject({ missing: 0, extra: 0, differing: 200 });
    for (let i = 0; (await getJob(table)).status.recopy !== null; i++) {
      expect(i).toBeLessThan(20);
      await runJob(table);
    }
    expect(await verify(table)).toMatchObject({ source_rows: 300, ...zeros });
    await exec(dialect, `ALTER TABLE ${table} DROP COLUMN amount`);
    for (let i = 0; i === 0 || (await getJob(table)).status.recopy !== null; i++) {
      expect(i).toBeLessThan(20);
      await runJob(table);
    }
    expect(await verify(table)).toMatchObject({ source_rows: 300, ...zeros });
    await expectReplicaEqualsSource(dialect, table, table, ["id", "val", "updated_at", "region"], "id");
  });

  it("descends through several levels and, when a repair reaches the run limits, answers done: false and goes on when called again", async () => {
    const table = await itemsJob(dialect, 1000, { batch_size: 50 });
    const shape = await tuneVerify({ topRows: 200, fanout: 4, leafRows: 10, pageRows: 100 });
    await tuneReplication((t) => (t.bounds = { ...t.bounds, maxRows: 300 }));
    try {
      await exec(dialect, `DELETE FROM ${table} WHERE id % 97 = 0 OR id BETWEEN 600 AND 640`);
      await exec(dialect, `UPDATE ${table} SET val = 'edited' WHERE id IN (5, 555, 999)`);
      await api("POST", `/replication/jobs/${table}/reset?truncate=true`);
      await exec(dialect, `INSERT INTO ${table} VALUES (2000, 'late', 1, '${OLD}')`);
      const first = await verify(table, true);
      expect(first).toMatchObject({ done: false, repaired: true });
      let calls = 1;
      while ((await verify(table, true)).done === false) expect(++calls).toBeLessThan(10);
      expect(await verify(table)).toMatchObject({ source_rows: 1000 - 10 - 41 + 1, ...zeros, done: true });
      await expectReplicaEqualsSource(dialect, table, table, COLUMNS, "id");
    } finally {
      await tuneVerify(shape);
      await tuneReplication((t) => (t.bounds = { ...t.bounds, maxRows: 250_000 }));
    }
  });

  it("repairs under concurrent writers, and after they stop a run and a repair leave nothing to find", async () => {
    const table = await itemsJob(dialect, 400, { batch_size: 60 });
    const shape = await tuneVerify({ topRows: 100, fanout: 4, leafRows: 10 });
    try {
      // Writers go on until the repairer has made three passes, and for at least 1.5 s.
      const until = Date.now() + 1_500;
      let writing = true;
      let nextId = 10_000;
      const writer = async (seed: number) => {
        const session = await openWriter(dialect);
        try {
          for (let i = 0; writing; i++) {
            const pick = ((seed * 7919 + i * 104729) % 400) + 1;
            const statements = [
              `INSERT INTO ${table} VALUES (${nextId++}, 'new', ${i}, ${NOW[dialect]})`,
              `UPDATE ${table} SET val = 'upd${seed}-${i}', updated_at = ${NOW[dialect]} WHERE id = ${pick}`,
              `DELETE FROM ${table} WHERE id = ${pick}`,
              `INSERT INTO ${table} VALUES (${nextId++}, 'old', ${i}, '${OLD}')`,
              `UPDATE ${table} SET amount = amount + 1 WHERE id BETWEEN ${pick} AND ${pick + 30}`,
            ];
            await session.query(statements[i % statements.length]!);
          }
        } finally {
          await session.close();
        }
      };
      const repairer = async () => {
        let repairs = 0;
        try {
          while (repairs < 3 || Date.now() < until) {
            await runJob(table);
            expect((await verify(table, true)).done).toBe(true);
            repairs++;
          }
        } finally {
          writing = false;
        }
        return repairs;
      };
      const [, , repairs] = await Promise.all([writer(1), writer(2), repairer()]);
      expect(repairs).toBeGreaterThanOrEqual(3);
    } finally {
      await tuneVerify(shape);
    }
    await runJob(table);
    await verify(table, true);
    expect(await verify(table)).toMatchObject(zeros);
    await expectReplicaEqualsSource(dialect, table, table, COLUMNS, "id");
  });
});

describe.each<Dialect>(["postgresql", "mysql"])("%s: composite and text keys", (dialect) => {
  // Distinct even case-insensitively (a MySQL key under utf8mb4_general_ci), in an order a
  // case-insensitive collation and SQLite's binary comparison disagree on: "a" < "B" < "_x" there,
  // "B" < "_x" < "a" here.
  const CODES = ["a", "B", "_x", "c_", "Zed", "abc", "m-1", "M_2", "é", "z"];

  async function textKeyJob(collation: string) {
    const table = uniqueName(`verk_${short(dialect)}`);
    created.push([dialect, table]);
    const text = (n: number) =>
      dialect === "postgresql" ? `varchar(${n}) COLLATE "${collation}"` : `varchar(${n}) COLLATE ${collation}`;
    const stamp = dialect === "postgresql" ? "timestamptz(6)" : "datetime(6)";
    await exec(
      dialect,
      `CREATE TABLE ${table} (region ${text(8)} NOT NULL, code ${text(20)} NOT NULL, n int, note varchar(40), updated_at ${stamp} NOT NULL, PRIMARY KEY (region, code))`,
    );
    const rows = ["eu", "us"].flatMap((region) =>
      CODES.map((code, i) => `('${region}', '${code}', ${i}, 'note ${i}', '${OLD}')`),
    );
    await exec(dialect, `INSERT INTO ${table} VALUES ${rows.join(", ")}`);
    await createTimestampJob(dialect, table);
    await runJob(table);
    return table;
  }

  const collations =
    dialect === "postgresql"
      ? [
          ["C", "key ranges"],
          ["en-x-icu", "keys"],
        ]
      : [
          ["utf8mb4_general_ci", "keys"],
          ["utf8mb4_nopad_bin", "key ranges"],
        ];

  it.each(collations)("with collation %s compares keys exactly, by %s", async (collation, method) => {
    const table = await textKeyJob(collation!);
    const shape = await tuneVerify({ topRows: 6, fanout: 2, leafRows: 2, pageRows: 3 });
    try {
      expect(await verify(table)).toMatchObject({ source_rows: 20, replica_rows: 20, ...zeros, method });
      // A key whose case changed is another key: the old one is extra, the new one missing.
      await exec(dialect, `UPDATE ${table} SET code = 'ABC' WHERE region = 'eu' AND code = 'abc'`);
      await exec(dialect, `DELETE FROM ${table} WHERE region = 'us' AND code = 'B'`);
      await exec(dialect, `UPDATE ${table} SET note = 'edited' WHERE region = 'us' AND code = '_x'`);
      const found = await verify(table);
      expect(found).toMatchObject({ source_rows: 19, replica_rows: 20, missing: 1, extra: 2, differing: 1 });
      expect(found.examples.missing).toEqual([["eu", "ABC"]]);
      expect(found.examples.extra).toEqual(
        expect.arrayContaining([
          ["eu", "abc"],
          ["us", "B"],
        ]),
      );
      expect(found.examples.differing).toEqual([["us", "_x"]]);
      await verify(table, true);
      expect(await verify(table)).toMatchObject({ source_rows: 19, replica_rows: 19, ...zeros });
    } finally {
      await tuneVerify(shape);
    }
    const order = dialect === "postgresql" ? `region, code COLLATE "C"` : "region, CAST(code AS BINARY)";
    const source = await sourceRows(dialect, table, ["region", "code", "n", "note"], order);
    expect(await replicaRows(table, ["region", "code", "n", "note"], "region, code")).toEqual(source);
  });
});

describe("a replica at the column limit", () => {
  it("has no room for the hash column: verify and repair compare its rows value by value", async () => {
    const table = uniqueName("ver_wide");
    created.push(["postgresql", table]);
    const fillers = Array.from({ length: 98 }, (_, i) => `c${i} int DEFAULT ${i}`).join(", ");
    await exec(
      "postgresql",
      `CREATE TABLE ${table} (id bigint PRIMARY KEY, updated_at timestamptz NOT NULL, ${fillers})`,
    );
    await exec("postgresql", `INSERT INTO ${table} (id, updated_at) SELECT g, '${OLD}' FROM generate_series(1, 40) g`);
    await createTimestampJob("postgresql", table);
    await runJob(table);
    const width = async () =>
      runInDurableObject(
        databaseStub(),
        (_instance, state) => state.storage.sql.exec(`SELECT count(*) AS n FROM pragma_table_info(?)`, table).one().n,
      );
    expect(await width()).toBe(100);
    expect(await verify(table)).toMatchObject({ source_rows: 40, ...zeros });
    await exec("postgresql", `UPDATE ${table} SET c50 = -1 WHERE id = 7`);
    await exec("postgresql", `DELETE FROM ${table} WHERE id = 9`);
    expect(await verify(table, true)).toMatchObject({
      differing: 1,
      extra: 1,
      examples: { differing: [7], extra: [9] },
    });
    expect(await verify(table)).toMatchObject({ source_rows: 39, ...zeros });
    expect(await width()).toBe(100);
  });
});

describe.each([
  ["mysql", "crc32", "crc32"],
  ["postgresql", "hashtext", "md5"],
] as const)("%s: the row hash formula", (dialect, atCreation, afterReset) => {
  /** Each row's hash as the source computes it with `formula`, by id. */
  async function sourceHashes(table: string, formula: RowHashFormula): Promise<SqliteValue[][]> {
    return withSource(SOURCES[dialect], async (source) => {
      const hash = rowHashSql(dialect === "mysql" ? mysqlDialect : postgresDialect, COLUMNS, formula);
      return (await source.query(`SELECT id, ${hash} FROM ${table} ORDER BY id`)).rows;
    });
  }

  it(`gives a new job ${atCreation}; a job from before keeps MD5 (its stored hashes verify clean), and has ${afterReset} after a reset`, async () => {
    const table = uniqueName(`ver_${dialect === "mysql" ? "my" : "pg"}_formula`);
    created.push([dialect, table]);
    await createItemsTable(dialect, table);
    await insertRange(dialect, table, 1, 300, "2024-05-01T10:00:00.000000Z");
    await createTimestampJob(dialect, table, { lookback_seconds: 0 });
    expect((await getJob(table)).row_hash).toBe(atCreation);
    // What the migration leaves a job that existed before the formula did.
    await inObject(`UPDATE tmp_replication_jobs SET row_hash = 'md5' WHERE name = '${table}'`);
    expect((await getJob(table)).row_hash).toBe("md5");
    expect((await runJob(table)).done).toBe(true);
    const md5 = await sourceHashes(table, "md5");
    expect(await replicaRows(table, ["id", "_starbase_row_hash"], "id")).toEqual(md5);
    expect(await verify(table)).toMatchObject({ source_rows: 300, replica_rows: 300, ...zeros });

    expect((await api<JobView>("POST", `/replication/jobs/${table}/reset`)).body.result!.row_hash).toBe(afterReset);
    expect((await runJob(table)).done).toBe(true);
    const hashes = await sourceHashes(table, afterReset);
    if (afterReset !== "md5") expect(hashes).not.toEqual(md5);
    expect(await replicaRows(table, ["id", "_starbase_row_hash"], "id")).toEqual(hashes);
    expect(await verify(table)).toMatchObject({ source_rows: 300, replica_rows: 300, ...zeros });
  });
});
