/**
 * Repairs of the replica found by a verification, with the discipline of runs:
 * each page of writes commits in its own SQLite transaction, and the work
 * stops at the run limits (RunBounds), answering "not done" rather than
 * holding the Durable Object for long.
 */
import type { SourceColumn, SqliteValue } from "../../../src/sources/types";
import { pageLimit } from "../pull/keyset";
import { firstPageLimit, rememberRowSize } from "../pull/row-sizes";
import type { RunBounds } from "../pull/sync";
import type { ReplicationHost } from "../engine/host";
import { withRowHash } from "../replica/hash-column";
import { deleteKeysSql, keyBatches } from "../replica/keys";
import { writeToReplica } from "../replica/table";
import { jsonRowsFunction, planWriteBatches, upsertFromJsonSql, upsertRowSql } from "../replica/writes";
import { deleteRangeSql, type ReplicaTable } from "./replica-sql";
import type { SourceSide } from "./sides";
import type { Key, KeyRange } from "./types";

/** Thrown once a repair has spent its budget; the verification then ends with `done: false`. */
export class RepairBudgetSpent extends Error {
  constructor() {
    super("the repair reached its run limits");
  }
}

export class RepairBudget {
  rows = 0;
  bytes = 0;
  pages = 0;

  constructor(
    private readonly bounds: RunBounds,
    private readonly started: number,
  ) {}

  /** Counts one committed page of writes; throws RepairBudgetSpent once a limit is reached. */
  spend(rows: number, bytes: number): void {
    this.rows += rows;
    this.bytes += bytes;
    this.pages += 1;
    const b = this.bounds;
    if (this.rows >= b.maxRows || this.bytes >= b.maxBytes || Date.now() - this.started >= b.maxMs) {
      throw new RepairBudgetSpent();
    }
  }
}

export interface Repairs {
  /** Writes source rows (copied columns then hash) over the replica's. */
  upsert(rows: readonly SqliteValue[][]): void;
  deleteKeys(keys: readonly Key[]): void;
  deleteRange(range: KeyRange): void;
  /** Copies every source row of the range, page by page. */
  copyRange(range: KeyRange): Promise<void>;
}

/** Rows deleted per transaction when a whole range goes. */
const DELETE_CHUNK = 10_000;

export function replicaRepairs(options: {
  host: Pick<ReplicationHost, "sql" | "transaction">;
  table: ReplicaTable;
  source: SourceSide;
  budget: RepairBudget;
  /** The job's name and batch_size and the run bounds' page sizes: how large one copied page may be (pull/row-sizes.ts). */
  job: string;
  batchSize: number;
  pageBytes: number;
  firstPageRows: number;
}): Repairs {
  const { host, table, source, budget } = options;
  // Source rows always end with their hash; a replica without the hash column takes them without it.
  const stored: SourceColumn[] = table.hasHash ? withRowHash(table.columns) : [...table.columns];
  const keyNames = table.key.map((c) => c.name);
  const keyIndexes = keyNames.map((name) => table.columns.findIndex((c) => c.name === name));
  const upsertJson = upsertFromJsonSql(table.table, stored, keyNames, jsonRowsFunction(host.sql));
  const upsertRow = upsertRowSql(table.table, stored, keyNames);
  const deleteKeys = deleteKeysSql(table.table, table.key);
  const write = <T>(work: () => T) => host.transaction(() => writeToReplica(table.table, work));

  const upsert = (rows: readonly SqliteValue[][]): number => {
    if (rows.length === 0) return 0;
    const batches = planWriteBatches(table.hasHash ? rows : rows.map((row) => row.slice(0, table.columns.length)), {
      keyIndexes,
    });
    write(() => {
      for (const batch of batches.list) {
        if (batch.kind === "json") host.sql.exec(upsertJson, batch.json);
        else host.sql.exec(upsertRow, ...batch.values);
      }
    });
    budget.spend(rows.length, batches.bytes);
    return batches.bytes;
  };

  return {
    upsert,
    deleteKeys(keys) {
      if (keys.length === 0) return;
      write(() => {
        for (const json of keyBatches(keys)) host.sql.exec(deleteKeys, json);
      });
      budget.spend(keys.length, 0);
    },
    deleteRange(range) {
      for (;;) {
        const statement = deleteRangeSql(table, range, DELETE_CHUNK);
        const deleted = write(() => host.sql.exec(statement.sql, ...statement.params).rowsWritten);
        budget.spend(deleted, 0);
        if (deleted < DELETE_CHUNK) return;
      }
    },
    async copyRange(range) {
      let after = range.after;
      let limit = firstPageLimit(host.sql, options.job, options.batchSize, options);
      for (;;) {
        const rows = await source.rows({ after, upTo: range.upTo }, limit);
        const bytes = upsert(rows);
        rememberRowSize(host.sql, options.job, rows.length, bytes);
        const last = rows[rows.length - 1];
        if (!last || rows.length < limit) return;
        after = keyIndexes.map((i) => last[i] ?? null);
        limit = pageLimit(options.batchSize, rows.length, bytes, options.pageBytes);
      }
    },
  };
}
