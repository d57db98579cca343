/**
 * Every type each connector maps, end to end: a job copies the connectors' sweep tables
 * (src/sources/type-sweeps.ts) into its replica, through the JSON batches of a pull and
 * through change capture's decoded changes, and the replica must hold exactly the values
 * the source layer reads (storage class, 64-bit integers and bytes included), with row
 * hashes the source's verify agrees with.
 */
import { runInDurableObject } from "cloudflare:test";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { openSource, withSource } from "../src/sources";
import { expectStoredExactly } from "../src/sources/test-support";
import {
  createMysqlSweep,
  createPgSweep,
  dropPgSweep,
  MYSQL_SWEEP_EXPECTED,
  PG_SWEEP_EXPECTED,
} from "../src/sources/type-sweeps";
import type { SourceColumn, SqliteValue } from "../src/sources/types";
import { api, uniqueName } from "./helpers";
import { createCdcJob, dropLeftoverCdcObjects } from "./support/cdc";
import { createJob, databaseStub, type Dialect, runJob, runUntilDone, SOURCES } from "./support/replication";
import { mysqlExec, pgExec } from "./support/sources";

const jobs: string[] = [];
const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  for (const name of jobs.splice(0)) await api("DELETE", `/replication/jobs/${name}?drop_table=true`);
});

afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
  await dropLeftoverCdcObjects();
});

/** A sweep table at `dialect`'s source, dropped after the file; returns its columns as the connector describes them. */
async function sweepTable(dialect: Dialect, table: string): Promise<SourceColumn[]> {
  const conn = await openSource(SOURCES[dialect]);
  try {
    if (dialect === "postgresql") {
      const mood = `${table}_mood`;
      cleanups.push(() => withSource(SOURCES.postgresql, (c) => dropPgSweep(c, table, mood)));
      await createPgSweep(conn, table, mood);
    } else {
      cleanups.push(() => mysqlExec(`DROP TABLE IF EXISTS ${table}`));
      await createMysqlSweep(conn, table);
    }
    return (await conn.describeTable(table)).columns;
  } finally {
    await conn.close();
  }
}

async function expectReplicaHolds(
  replica: string,
  columns: readonly SourceColumn[],
  rows: readonly SqliteValue[][],
): Promise<void> {
  await runInDurableObject(databaseStub(), (_instance, state) =>
    expectStoredExactly(
      state.storage.sql,
      replica,
      columns.map((c) => c.name),
      columns,
      rows,
      '"id"',
    ),
  );
}

async function expectVerified(name: string): Promise<void> {
  const res = await api<Record<string, unknown>>("POST", `/replication/jobs/${name}/verify`);
  expect(res.body.error).toBeUndefined();
  expect(res.body.result).toMatchObject({ missing: 0, extra: 0, differing: 0, done: true });
}

/** A pull job on `table` tracking its integer key, run until it has copied everything. */
async function pullJob(dialect: Dialect, table: string): Promise<string> {
  const name = uniqueName(`types_pull_${dialect === "postgresql" ? "pg" : "my"}`);
  jobs.push(name);
  await createJob({
    name,
    source: SOURCES[dialect],
    table_name: table,
    target_table: name,
    tracking_col: "id",
    tracking_type: "id",
    active: false,
  });
  await runUntilDone(name);
  return name;
}

const withId = (row: readonly SqliteValue[], id: number): SqliteValue[] => [id, ...row.slice(1)];

describe("every type a connector maps, in a replica", () => {
  it.each([
    ["MySQL", "mysql", MYSQL_SWEEP_EXPECTED],
    ["PostgreSQL", "postgresql", PG_SWEEP_EXPECTED],
  ] as const)("%s, through a pull's JSON batches", async (_label, dialect, expected) => {
    const table = uniqueName(`types_${dialect === "postgresql" ? "pg" : "my"}`);
    const columns = await sweepTable(dialect, table);
    const name = await pullJob(dialect, table);
    await expectReplicaHolds(name, columns, expected);
    await expectVerified(name);
  });

  it("PostgreSQL, through change capture: copied, then inserted and updated in the stream", async () => {
    const table = uniqueName("cdct_types");
    const columns = await sweepTable("postgresql", table);
    const name = table;
    jobs.push(name);
    await createCdcJob(name, table);
    await runJob(name);
    await expectReplicaHolds(name, columns, PG_SWEEP_EXPECTED);

    // Inserts of every row again (ids 11 to 13), and rows 1 and 2 swapping all their values.
    const others = columns.slice(1).map((c) => `"${c.name}"`);
    await pgExec(`INSERT INTO ${table} SELECT id + 10, ${others.join(", ")} FROM ${table}`);
    await pgExec(
      `UPDATE ${table} t SET (${others.join(", ")}) = (SELECT ${others.join(", ")} FROM ${table} s WHERE s.id = 3 - t.id) WHERE id IN (1, 2)`,
    );
    expect(await runJob(name)).toMatchObject({ rows: 5, done: true });
    const [high, low, nulls] = PG_SWEEP_EXPECTED as [SqliteValue[], SqliteValue[], SqliteValue[]];
    await expectReplicaHolds(name, columns, [
      withId(low, 1),
      withId(high, 2),
      nulls,
      withId(high, 11),
      withId(low, 12),
      withId(nulls, 13),
    ]);
    // The stored hashes were computed from pgoutput's texts; the source's from `col::text`.
    await expectVerified(name);
  });
});
