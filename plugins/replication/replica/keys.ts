/**
 * Finding replica rows by a list of keys: one JSON parameter expanded by
 * `json_each`, whatever the number of keys or key columns (the Durable
 * Object allows 100 bound parameters per statement). Pure.
 */
import type { SourceColumn, SqliteValue } from "../../../src/sources/types";
import { quoteSqlite } from "./table";
import { MAX_BATCH_CHARS, toHex } from "./writes";

/** `(k1, k2) IN (SELECT ... FROM json_each(?))`: the rows whose key is in the bound JSON array of keys. */
export function keyInJsonSql(key: readonly SourceColumn[]): string {
  const cells = key.map((c, i) => (c.sqliteType === "BLOB" ? `unhex(value ->> ${i})` : `value ->> ${i}`));
  const left = key.length === 1 ? quoteSqlite(key[0]!.name) : `(${key.map((c) => quoteSqlite(c.name)).join(", ")})`;
  return `${left} IN (SELECT ${cells.join(", ")} FROM json_each(?))`;
}

export function deleteKeysSql(table: string, key: readonly SourceColumn[]): string {
  return `DELETE FROM ${quoteSqlite(table)} WHERE ${keyInJsonSql(key)}`;
}

/** Keys as JSON arrays of at most `maxChars` characters each (blobs as hex, as the upserts write them). */
export function keyBatches(keys: readonly SqliteValue[][], maxChars = MAX_BATCH_CHARS): string[] {
  const batches: string[] = [];
  let pending: string[] = [];
  let chars = 2;
  for (const key of keys) {
    const text = JSON.stringify(key.map((v) => (v instanceof ArrayBuffer ? toHex(v) : v)));
    if (pending.length && chars + text.length + 1 > maxChars) {
      batches.push(`[${pending.join(",")}]`);
      pending = [];
      chars = 2;
    }
    pending.push(text);
    chars += text.length + 1;
  }
  if (pending.length) batches.push(`[${pending.join(",")}]`);
  return batches;
}
