/**
 * The two sides of a verification, as thin I/O over the statements of
 * source-sql.ts and replica-sql.ts: the source through its connection, the
 * replica through the Durable Object's SQLite.
 */
import type { SourceConnection, SqliteValue } from "../../../src/sources/types";
import { keyBatches } from "../replica/keys";
import * as replicaSql from "./replica-sql";
import * as sourceSql from "./source-sql";
import type { Aggregate, Entry, Key, KeyRange } from "./types";

export interface SourceSide {
  aggregate(range: KeyRange): Promise<Aggregate>;
  keyAt(range: KeyRange, offset: number): Promise<Key | null>;
  entries(range: KeyRange, limit?: number): Promise<Entry[]>;
  /** Copied columns then the hash, in key order. */
  rows(range: KeyRange, limit?: number): Promise<SqliteValue[][]>;
  /** Which of these keys are live rows at the source, as the source spells them. */
  present(keys: readonly Key[]): Promise<Key[]>;
}

export interface ReplicaSide {
  aggregate(range: KeyRange): Aggregate;
  keyAt(range: KeyRange, offset: number): Key | null;
  entries(range: KeyRange, limit?: number): Entry[];
  /** Entries of the rows with exactly these keys. */
  lookup(keys: readonly Key[]): Entry[];
  /** The rows with exactly these keys: copied columns, then the stored hash (null when unknown; absent without the hash column), as source rows come. */
  rows(keys: readonly Key[]): SqliteValue[][];
  count(): number;
}

/** Keys per statement when the source is asked which keys it holds. */
const PRESENT_BATCH = 500;

export function sourceSide(connection: SourceConnection, table: sourceSql.SourceTable): SourceSide {
  const keyWidth = table.key.length;
  const run = (statement: sourceSql.Statement, bulk = false) =>
    connection.query(statement.sql, statement.params, { bulk });
  return {
    async aggregate(range) {
      const [row] = (await run(sourceSql.aggregateStatement(table, range))).rows;
      return { rows: Number(row?.[0] ?? 0), sum: BigInt(String(row?.[1] ?? 0)), unknown: 0 };
    },
    async keyAt(range, offset) {
      const [row] = (await run(sourceSql.keyAtStatement(table, range, offset))).rows;
      return row ? row.slice(0, keyWidth) : null;
    },
    async entries(range, limit) {
      const { rows } = await run(sourceSql.entriesStatement(table, range, limit), true);
      return rows.map((row) => ({ key: row.slice(0, keyWidth), hash: hashValue(row[keyWidth]) }));
    },
    async rows(range, limit) {
      return (await run(sourceSql.rowsStatement(table, range, limit), true)).rows;
    },
    async present(keys) {
      const found: Key[] = [];
      for (let i = 0; i < keys.length; i += PRESENT_BATCH) {
        const { rows } = await run(sourceSql.presentStatement(table, keys.slice(i, i + PRESENT_BATCH)));
        found.push(...rows.map((row) => row.slice(0, keyWidth)));
      }
      return found;
    },
  };
}

export function replicaSide(sql: SqlStorage, table: replicaSql.ReplicaTable): ReplicaSide {
  const keyWidth = table.key.length;
  const raw = (statement: string, ...params: SqliteValue[]) =>
    Array.from(sql.exec(statement, ...params).raw()) as SqliteValue[][];
  const entry = (row: SqliteValue[]): Entry => ({ key: row.slice(0, keyWidth), hash: hashValue(row[keyWidth]) });
  const byKeys = (statement: string, keys: readonly Key[]) => keyBatches(keys).flatMap((json) => raw(statement, json));
  return {
    aggregate(range) {
      const s = replicaSql.aggregateSql(table, range);
      const [row] = raw(s.sql, ...s.params);
      return { rows: Number(row?.[0] ?? 0), sum: BigInt(String(row?.[1] ?? 0)), unknown: Number(row?.[2] ?? 0) };
    },
    keyAt(range, offset) {
      const s = replicaSql.keyAtSql(table, range, offset);
      return raw(s.sql, ...s.params)[0] ?? null;
    },
    entries(range, limit) {
      const s = replicaSql.entriesSql(table, range, limit);
      return raw(s.sql, ...s.params).map(entry);
    },
    lookup(keys) {
      return byKeys(replicaSql.lookupSql(table), keys).map(entry);
    },
    rows(keys) {
      return byKeys(replicaSql.rowsSql(table), keys);
    },
    count() {
      return Number(raw(replicaSql.countSql(table))[0]?.[0] ?? 0);
    },
  };
}

/** A row hash as both sides compare it: a number, or null when unknown. */
export function hashValue(value: SqliteValue | undefined): number | null {
  return value === null || value === undefined ? null : Number(value);
}
