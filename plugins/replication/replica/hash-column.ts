/**
 * The row hash's place in the replica table: one more INTEGER column after the
 * copied ones, named ROW_HASH_COLUMN (replica/row-hash.ts). A replica created
 * before the column existed gets it on its next run; its rows hold NULL until
 * they are copied again or a repair fills them in.
 */
import { MAX_TABLE_COLUMNS } from "../../../src/limits";
import type { SourceColumn } from "../../../src/sources/types";
import type { Job } from "../engine/model";
import { ROW_HASH_COLUMN } from "./row-hash";
import { ensureReplicaTable, quoteSqlite, readTableColumns, writeToReplica } from "./table";

/** The hash as a column the replica writers (writes.ts) handle like any copied column. */
export const ROW_HASH_META: SourceColumn = {
  name: ROW_HASH_COLUMN,
  sourceType: "row hash",
  nullable: true,
  sqliteType: "INTEGER",
};

/** The copied columns followed by the hash: the shape of every row a run or a repair writes. */
export function withRowHash(columns: readonly SourceColumn[]): SourceColumn[] {
  return [...columns, ROW_HASH_META];
}

export function hasRowHashColumn(sql: SqlStorage, table: string): boolean {
  return readTableColumns(sql, table).some((c) => c.name === ROW_HASH_COLUMN);
}

/**
 * Creates the replica (or checks the existing one), and adds the hash column when it lacks it;
 * answers whether the replica has it. A replica already at the Durable Object's column limit gets
 * none: its rows are then written without a hash, and verification compares them value by value.
 */
export function ensureReplicaWithRowHash(sql: SqlStorage, job: Job): boolean {
  const table = job.settings.target_table;
  ensureReplicaTable(sql, job);
  const existing = readTableColumns(sql, table);
  if (existing.some((c) => c.name === ROW_HASH_COLUMN)) return true;
  if (existing.length >= MAX_TABLE_COLUMNS) return false;
  writeToReplica(table, () =>
    sql.exec(`ALTER TABLE ${quoteSqlite(table)} ADD COLUMN ${quoteSqlite(ROW_HASH_COLUMN)} INTEGER`),
  );
  return true;
}
