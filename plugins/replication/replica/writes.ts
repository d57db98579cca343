/** Writing source rows into a replica table: upsert statements and batches under the Durable Object's limits. */
import { ValidationError } from "../../../src/errors";
import { MAX_BOUND_PARAMETERS, MAX_VALUE_BYTES } from "../../../src/limits";
import type { SourceColumn, SqliteValue } from "../../../src/sources/types";
import { quoteSqlite } from "./table";

/** Upper bound on one JSON batch parameter, in UTF-16 units (x3 stays under the 2 MB limit). */
export const MAX_BATCH_CHARS = 600_000;

/**
 * Where rows are cut into batches, in UTF-16 units; a larger row (up to MAX_BATCH_CHARS) gets a
 * batch of its own. Batches of 600,000 characters left the isolate's heap peak 3-4 MiB higher in a
 * 1,000,000-row backfill (bench/profile-backfill.mjs HEAP=1: 50.5 and 51.3 MiB against 47.2 and
 * 47.4 MiB) at the same speed; likely because strings past V8's 128 KiB regular object size go
 * to its large-object space, collected apart from other young objects (not verified).
 */
export const BATCH_TARGET_CHARS = 60_000;

/**
 * The table-valued function that expands a JSON batch into rows. `jsonb_each` hands each
 * row over as binary JSONB, where `json_each` prints it as text for every `->> N` to parse
 * again (1.6x the rows per second in bench/profile.mjs); it needs SQLite 3.45, which the
 * workerd of wrangler 3 (StarbaseDB's) lacks.
 */
export type JsonRowsFunction = "jsonb_each" | "json_each";

const rowsFunctions = new WeakMap<SqlStorage, JsonRowsFunction>();

/** The faster of the two that this database's SQLite has (asked once per database). */
export function jsonRowsFunction(sql: SqlStorage): JsonRowsFunction {
  let known = rowsFunctions.get(sql);
  if (!known) {
    try {
      sql.exec("SELECT 1 FROM jsonb_each('[]')").toArray();
      known = "jsonb_each";
    } catch {
      known = "json_each";
    }
    rowsFunctions.set(sql, known);
  }
  return known;
}

/**
 * One upsert statement with a single bound parameter: a JSON array of rows expanded
 * by `rowsFrom`. This keeps any page under the 100-parameter limit. Cells are taken
 * with `->> N` (an array index), which SQLite resolves faster than the path `'$[N]'`.
 */
export function upsertFromJsonSql(
  table: string,
  columns: readonly SourceColumn[],
  key: readonly string[],
  rowsFrom: JsonRowsFunction,
): string {
  const names = columns.map((c) => quoteSqlite(c.name));
  const values = columns.map(jsonCell);
  return `INSERT INTO ${quoteSqlite(table)} (${names.join(", ")}) SELECT ${values.join(", ")} FROM ${rowsFrom}(?) WHERE true ${onConflict(columns, key)}`;
}

/** Cell `i` of a JSON batch row, as the column stores it (blobs travel as hex). */
function jsonCell(column: SourceColumn, i: number): string {
  return column.sqliteType === "BLOB" ? `unhex(value ->> ${i})` : `value ->> ${i}`;
}

/**
 * The upsert of rows missing some of their values (change capture's unchanged TOASTed ones): it
 * changes only rows the replica holds, never inventing a row with NULL for what was not sent.
 */
export function updateExistingFromJsonSql(
  table: string,
  columns: readonly SourceColumn[],
  key: readonly string[],
  rowsFrom: JsonRowsFunction,
): string {
  const names = columns.map((c) => quoteSqlite(c.name));
  const held = key
    .map((k) => {
      const i = columns.findIndex((c) => c.name === k);
      return `held.${quoteSqlite(k)} = ${jsonCell(columns[i]!, i)}`;
    })
    .join(" AND ");
  return (
    `INSERT INTO ${quoteSqlite(table)} (${names.join(", ")}) SELECT ${columns.map(jsonCell).join(", ")} FROM ${rowsFrom}(?) ` +
    `WHERE EXISTS (SELECT 1 FROM ${quoteSqlite(table)} AS held WHERE ${held}) ${onConflict(columns, key)}`
  );
}

/** updateExistingFromJsonSql for one row bound directly (numbered parameters: the key's are used twice). */
export function updateExistingRowSql(table: string, columns: readonly SourceColumn[], key: readonly string[]): string {
  const names = columns.map((c) => quoteSqlite(c.name));
  const held = key.map((k) => `held.${quoteSqlite(k)} = ?${columns.findIndex((c) => c.name === k) + 1}`).join(" AND ");
  return (
    `INSERT INTO ${quoteSqlite(table)} (${names.join(", ")}) SELECT ${names.map((_n, i) => `?${i + 1}`).join(", ")} ` +
    `WHERE EXISTS (SELECT 1 FROM ${quoteSqlite(table)} AS held WHERE ${held}) ${onConflict(columns, key)}`
  );
}

/** The same upsert with one bound parameter per column, for a row too large for a JSON batch. */
export function upsertRowSql(table: string, columns: readonly SourceColumn[], key: readonly string[]): string {
  const names = columns.map((c) => quoteSqlite(c.name));
  return `INSERT INTO ${quoteSqlite(table)} (${names.join(", ")}) VALUES (${names.map(() => "?").join(", ")}) ${onConflict(columns, key)}`;
}

function onConflict(columns: readonly SourceColumn[], key: readonly string[]): string {
  const keySet = new Set(key);
  const updates = columns
    .filter((c) => !keySet.has(c.name))
    .map((c) => `${quoteSqlite(c.name)} = excluded.${quoteSqlite(c.name)}`);
  const target = key.map(quoteSqlite).join(", ");
  return updates.length
    ? `ON CONFLICT (${target}) DO UPDATE SET ${updates.join(", ")}`
    : `ON CONFLICT (${target}) DO NOTHING`;
}

export type WriteBatch = { kind: "json"; json: string; rows: number } | { kind: "row"; values: SqliteValue[] };

/**
 * Splits a page into upsert batches: JSON batches cut at `targetChars` (a larger row
 * gets one of its own, up to `maxChars`), and single rows (bound directly) for rows
 * too large for a batch. Throws for a row beyond the Durable Object's 2 MB row limit,
 * naming its key.
 */
export function planWriteBatches(
  rows: readonly SqliteValue[][],
  options: { keyIndexes: readonly number[]; maxChars?: number; targetChars?: number },
): { list: WriteBatch[]; bytes: number } {
  const maxChars = options.maxChars ?? MAX_BATCH_CHARS;
  const targetChars = Math.min(options.targetChars ?? BATCH_TARGET_CHARS, maxChars);
  const batches: WriteBatch[] = [];
  let pending: unknown[][] = [];
  let pendingChars = 2;
  let bytes = 0;
  const flush = () => {
    if (pending.length) batches.push({ kind: "json", json: JSON.stringify(pending), rows: pending.length });
    pending = [];
    pendingChars = 2;
  };
  const measured: RowMeasure = { bytes: 0, chars: 0, hasBytes: false };
  for (const row of rows) {
    measureRow(row, measured);
    const size = measured.bytes;
    bytes += size;
    if (size > MAX_VALUE_BYTES) {
      throw new RowTooLargeError(
        `row with key (${keyOf(row, options.keyIndexes)}) is ${size} bytes, over the Durable Object's 2 MB row limit`,
      );
    }
    // Rows without bytes are encoded as they are: no copy per row.
    const encoded = measured.hasBytes ? row.map(toJsonCell) : row;
    const chars = measured.chars;
    if (chars > maxChars) {
      if (row.length > MAX_BOUND_PARAMETERS) {
        throw new RowTooLargeError(
          `row with key (${keyOf(row, options.keyIndexes)}) is too large for a batch and has more than ${MAX_BOUND_PARAMETERS} columns to bind one by one`,
        );
      }
      flush();
      batches.push({ kind: "row", values: row });
      continue;
    }
    if (pendingChars + chars > targetChars) flush();
    pending.push(encoded);
    pendingChars += chars + 1;
  }
  flush();
  return { list: batches, bytes };
}

/** A source row the Durable Object cannot store; the run fails naming it rather than skipping it. */
export class RowTooLargeError extends ValidationError {}

function keyOf(row: readonly SqliteValue[], keyIndexes: readonly number[]): string {
  return keyIndexes.map((i) => String(row[i])).join(", ");
}

function toJsonCell(value: SqliteValue): unknown {
  return value instanceof ArrayBuffer ? toHex(value) : value;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export function toHex(buffer: ArrayBuffer): string {
  const bytes = new Uint8Array(buffer);
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]!];
  return out;
}

interface RowMeasure {
  /** rowBytes */
  bytes: number;
  /** Characters the row takes in a JSON batch: exact for numbers, an upper bound for strings (escapes) and bytes (hex). */
  chars: number;
  hasBytes: boolean;
}

/** rowBytes and the row's JSON size in one pass over its values (a backfill measures every row it writes). */
function measureRow(row: readonly SqliteValue[], out: RowMeasure): void {
  let bytes = 0;
  let chars = 2;
  let hasBytes = false;
  for (const value of row) {
    bytes += valueBytes(value);
    if (typeof value === "string") chars += value.length * 2 + 3;
    else if (value instanceof ArrayBuffer) {
      chars += value.byteLength * 2 + 3;
      hasBytes = true;
    } else chars += 24;
  }
  out.bytes = bytes;
  out.chars = chars;
  out.hasBytes = hasBytes;
}

/** Storage bytes of a row: UTF-8 for text (measured only when it could matter), 8 per number. */
export function rowBytes(row: readonly SqliteValue[]): number {
  let n = 0;
  for (const value of row) n += valueBytes(value);
  return n;
}

function valueBytes(value: SqliteValue): number {
  if (typeof value === "string") return value.length * 3 > MAX_VALUE_BYTES ? utf8Length(value) : value.length;
  if (value instanceof ArrayBuffer) return value.byteLength;
  return 8;
}

const encoder = new TextEncoder();
function utf8Length(text: string): number {
  return encoder.encode(text).length;
}
