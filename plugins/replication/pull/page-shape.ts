/**
 * How a page of whole rows is read from the source and written to the replica,
 * the same for the cursor pull (sync.ts) and the re-copy after a column change
 * (schema-changes/recopy.ts): each row is read with its hash (computed by the
 * source, replica/row-hash.ts) and, with soft deletes, a deleted flag after it;
 * live rows are upserted with their hash, soft-deleted ones deleted by key.
 */
import type { SourceColumn, SqlDialect, SqliteValue } from "../../../src/sources/types";
import type { JobSettings } from "../engine/settings";
import { withRowHash } from "../replica/hash-column";
import { deleteKeysSql, keyBatches } from "../replica/keys";
import { type RowHashFormula, rowHashSql } from "../replica/row-hash";
import { type JsonRowsFunction, planWriteBatches, upsertFromJsonSql, upsertRowSql } from "../replica/writes";
import { deletedFlagSql, softDeleteOf, splitSoftDeleted } from "./soft-delete";

export interface PageShape {
  /** SQL expressions the page query selects after the columns (PagePlan.extra). */
  extra: string[];
  /** Plans the writes of one page read with `extra`; `bytes` are the live rows' (for page sizing). */
  plan(rows: readonly SqliteValue[][]): PageWrites;
}

export interface PageWrites {
  bytes: number;
  /** Runs the page's writes; call it inside the page's transaction. */
  write(sql: SqlStorage): void;
}

export function pageShape(
  dialect: SqlDialect,
  settings: JobSettings,
  columns: readonly SourceColumn[],
  keyIndexes: readonly number[],
  /** The job's formula; null for a replica without the hash column (one at the column limit): rows are read and written without it. */
  rowHash: RowHashFormula | null,
  rowsFrom: JsonRowsFunction,
): PageShape {
  const softDelete = softDeleteOf(settings);
  const stored = rowHash ? withRowHash(columns) : [...columns];
  const key = keyIndexes.map((i) => columns[i]!);
  const upsertJson = upsertFromJsonSql(settings.target_table, stored, settings.primary_key, rowsFrom);
  const upsertRow = upsertRowSql(settings.target_table, stored, settings.primary_key);
  const deleteKeys = deleteKeysSql(settings.target_table, key);
  return {
    extra: [
      ...(rowHash
        ? [
            rowHashSql(
              dialect,
              columns.map((c) => c.name),
              rowHash,
            ),
          ]
        : []),
      ...(softDelete ? [deletedFlagSql(dialect, softDelete)] : []),
    ],
    plan(rows) {
      const { live, deletedKeys } = softDelete
        ? splitSoftDeleted(rows, stored.length, keyIndexes)
        : { live: rows as SqliteValue[][], deletedKeys: [] };
      const batches = planWriteBatches(live, { keyIndexes });
      return {
        bytes: batches.bytes,
        write(sql) {
          for (const batch of batches.list) {
            if (batch.kind === "json") sql.exec(upsertJson, batch.json);
            else sql.exec(upsertRow, ...batch.values);
          }
          for (const keys of keyBatches(deletedKeys)) sql.exec(deleteKeys, keys);
        },
      };
    },
  };
}
