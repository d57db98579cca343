/**
 * Test-only helpers shared by the connector integration tests: writing
 * converted rows into a real Durable Object's SQLite and checking they read
 * back exactly, and polling server-side state.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { expect } from "vitest";
import type { RowStream, SourceColumn, SourceConnection, SqliteValue } from "./types";

function hexOf(buffer: ArrayBuffer): string {
  return [...new Uint8Array(buffer)]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("")
    .toUpperCase();
}

/** What `typeof()` must report for a value stored in a column of the given type. */
function expectedStorageClass(value: SqliteValue, column: SourceColumn): string {
  if (value === null) return "null";
  if (value instanceof ArrayBuffer) return "blob";
  if (typeof value === "number")
    return column.sqliteType === "REAL" ? "real" : Number.isInteger(value) ? "integer" : "real";
  if (column.sqliteType === "INTEGER" && /^-?\d+$/.test(value)) return "integer";
  return "text";
}

/**
 * Creates a table with the mapped SQLite types in a fresh Durable Object,
 * inserts `rows`, and asserts every value reads back exactly (expectStoredExactly).
 */
export async function assertDurableObjectRoundTrip(
  columns: readonly SourceColumn[],
  rows: readonly SqliteValue[][],
): Promise<void> {
  const stub = env.DATABASE_DURABLE_OBJECT.get(env.DATABASE_DURABLE_OBJECT.idFromName(crypto.randomUUID()));
  await runInDurableObject(stub, async (_instance, state) => {
    const sql = state.storage.sql;
    const names = columns.map((_c, i) => `c${i}`);
    sql.exec(`CREATE TABLE replica (${columns.map((c, i) => `${names[i]} ${c.sqliteType}`).join(", ")})`);
    const placeholders = names.map(() => "?").join(", ");
    for (const row of rows) sql.exec(`INSERT INTO replica VALUES (${placeholders})`, ...row);
    expectStoredExactly(sql, "replica", names, columns, rows, "rowid");
  });
}

/**
 * Asserts that `table`'s columns `names` (of the source's `columns`), in `orderBy` order, hold
 * exactly `rows`: storage class by `typeof()`, integers by `CAST(... AS TEXT)` (the JS read path
 * rounds beyond 2^53), blobs by `hex()`, everything else by value.
 */
export function expectStoredExactly(
  sql: SqlStorage,
  table: string,
  names: readonly string[],
  columns: readonly SourceColumn[],
  rows: readonly SqliteValue[][],
  orderBy: string,
): void {
  expect(sql.exec(`SELECT count(*) AS n FROM "${table}"`).one().n).toBe(rows.length);
  columns.forEach((column, i) => {
    const name = `"${names[i]!}"`;
    const stored = sql
      .exec<{ kind: string; text: string | null; hex: string; value: SqliteValue }>(
        `SELECT typeof(${name}) AS kind, CAST(${name} AS TEXT) AS text, hex(${name}) AS hex, ${name} AS value FROM "${table}" ORDER BY ${orderBy}`,
      )
      .toArray();
    rows.forEach((row, r) => {
      const expected = row[i] ?? null;
      const got = stored[r]!;
      const where = `${column.name} (${column.sourceType}) row ${r}`;
      expect(got.kind, where).toBe(expectedStorageClass(expected, column));
      if (expected instanceof ArrayBuffer) expect(got.hex, where).toBe(hexOf(expected));
      else if (got.kind === "integer") expect(got.text, where).toBe(String(expected));
      else expect(got.value, where).toEqual(expected);
    });
  });
}

/** Polls `probe` until it returns `expected` (servers notice a closed connection asynchronously). */
export async function eventually<T>(probe: () => Promise<T>, expected: T, timeoutMs = 3_000): Promise<T> {
  const start = Date.now();
  let last = await probe();
  while (last !== expected && Date.now() - start < timeoutMs) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    last = await probe();
  }
  return last;
}

export function uniqueSuffix(): string {
  return crypto.randomUUID().replace(/-/g, "").slice(0, 10);
}

export function bytes(...values: number[]): ArrayBuffer {
  return new Uint8Array(values).buffer;
}

/** Every row a stream gives until its statement ends; throws the statement's failure. */
export async function takeAll(stream: RowStream): Promise<SqliteValue[][]> {
  const rows: SqliteValue[][] = [];
  for (let batch = await stream.next(); batch; batch = await stream.next()) rows.push(...batch);
  return rows;
}

/**
 * Streams `sql` (many rows), takes one batch, then closes the connection: the rest must fail, never
 * read as the statement's end (the rows the close dropped would be lost silently).
 */
export async function expectCloseToFailStream(conn: SourceConnection, sql: string): Promise<void> {
  const waiting = conn.streamRows(sql, [], { bufferChars: 1024 });
  expect(await waiting.next()).not.toBeNull();
  const rest = takeAll(waiting).then(
    () => "ended",
    () => "failed",
  );
  await conn.close();
  expect(await rest).toBe("failed");
  // A stream asked of a closed connection fails too, rather than reading as empty.
  await expect(takeAll(conn.streamRows("SELECT 1", [], { bufferChars: 1 }))).rejects.toThrow(/closed/);
}

/**
 * After the server was seen waiting on `stream` (nobody taking its rows): few rows reached the
 * isolate, a cancel drops the rest, and the connection then answers its next statement.
 */
export async function expectHeldBackThenCancelled(
  conn: SourceConnection,
  stream: RowStream,
  firstBatch: readonly SqliteValue[][],
): Promise<void> {
  const taken = firstBatch.length + ((await stream.next())?.length ?? 0);
  expect(taken).toBeLessThan(5_000);
  await stream.cancel();
  expect((await conn.query("SELECT ? AS v", ["after"])).rows).toEqual([["after"]]);
}
