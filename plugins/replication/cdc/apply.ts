/**
 * Writes planned changes into the replica, inside the caller's transaction.
 * Upserts go through the same jsonb_each statement and batching as the pull
 * mode (replica/writes.ts), so every write stays under the Durable Object's
 * parameter and size limits; deletes and moves are keyed the same way.
 */
import type { SourceColumn, SqliteValue } from "../../../src/sources/types";
import { ROW_HASH_META } from "../replica/hash-column";
import { deleteKeysSql, keyBatches } from "../replica/keys";
import { type PgRowHashFormula, rowHash } from "../replica/row-hash";
import { quoteSqlite, writeToReplica } from "../replica/table";
import {
  type JsonRowsFunction,
  jsonRowsFunction,
  planWriteBatches,
  updateExistingFromJsonSql,
  updateExistingRowSql,
  upsertFromJsonSql,
  upsertRowSql,
} from "../replica/writes";
import type { ApplyOp } from "./plan";

export class ReplicaWriter {
  private readonly upserts = new Map<string, { json: string; row: string; columns: SourceColumn[] }>();
  private readonly keyColumns: SourceColumn[];
  private readonly keyIndexes: number[];
  /** Asked here, before any write: the statements are built later, inside the apply's transaction. */
  private readonly rowsFrom: JsonRowsFunction;

  constructor(
    private readonly sql: SqlStorage,
    private readonly table: string,
    private readonly columns: readonly SourceColumn[],
    private readonly key: readonly string[],
    /** The formula of the row hashes the replica keeps, null when it keeps none. */
    private readonly rowHash: PgRowHashFormula | null,
  ) {
    this.keyIndexes = key.map((k) => columns.findIndex((c) => c.name === k));
    this.rowsFrom = jsonRowsFunction(sql);
    this.keyColumns = this.keyIndexes.map((i) => columns[i]!);
  }

  /** Applies the writes in order; a failure names the replica (the caller's transaction rolls back). */
  apply(ops: readonly ApplyOp[]): void {
    writeToReplica(this.table, () => {
      for (const op of ops) {
        if (op.op === "upsert") this.upsert(op);
        else if (op.op === "delete") this.delete(op.keys);
        else if (op.op === "move") this.move(op.from, op.to);
        else this.sql.exec(`DELETE FROM ${quoteSqlite(this.table)}`);
      }
    });
  }

  private upsert(op: Extract<ApplyOp, { op: "upsert" }>): void {
    const { present, rows, texts } = op;
    const statement = this.upsertStatement(present);
    // Key order (pages visited in turn, not at random), and only the last write of each key is made;
    // only those rows are hashed.
    const kept = lastPerKey(rows, this.keyIndexes).map((i) => {
      // Only the columns that were sent are written: an unchanged TOASTed value keeps the replica's.
      const row = present ? rows[i]!.filter((_v, c) => present[c]) : rows[i]!;
      if (!this.rowHash) return row;
      const sent = texts?.[i] ?? null;
      return [...row, sent === null ? null : rowHash(sent, this.rowHash)];
    });
    const keyIndexes = this.key.map((k) => statement.columns.findIndex((c) => c.name === k));
    for (const batch of planWriteBatches(kept, { keyIndexes }).list) {
      if (batch.kind === "json") this.sql.exec(statement.json, batch.json);
      else this.sql.exec(statement.row, ...batch.values);
    }
  }

  private upsertStatement(present: boolean[] | null) {
    const id = present ? present.map((p) => (p ? "1" : "0")).join("") : "all";
    let statement = this.upserts.get(id);
    if (!statement) {
      const columns = [
        ...this.columns.filter((_c, i) => !present || present[i]),
        // The hash is computed by the planner from pgoutput's texts (NULL when a value was not sent).
        ...(this.rowHash ? [ROW_HASH_META] : []),
      ];
      // A row missing a value (an unchanged TOASTed one) only updates the replica's row: where there
      // is none, the copy a snapshot replay runs over holds the row elsewhere, or not at all.
      statement = present
        ? {
            json: updateExistingFromJsonSql(this.table, columns, this.key, this.rowsFrom),
            row: updateExistingRowSql(this.table, columns, this.key),
            columns,
          }
        : {
            json: upsertFromJsonSql(this.table, columns, this.key, this.rowsFrom),
            row: upsertRowSql(this.table, columns, this.key),
            columns,
          };
      this.upserts.set(id, statement);
    }
    return statement;
  }

  private delete(keys: SqliteValue[][]): void {
    const statement = deleteKeysSql(this.table, this.keyColumns);
    const keyIndexes = this.keyColumns.map((_c, i) => i);
    const ordered = lastPerKey(keys, keyIndexes).map((i) => keys[i]!);
    for (const batch of keyBatches(ordered)) this.sql.exec(statement, batch);
  }

  /**
   * The row at `from` takes the key `to`. At the source nothing is at `to` then; in the replica
   * something is only while changes older than a snapshot are replayed over it, and that is this
   * row as the snapshot copied it, later: it stays, and so does whatever is at `from` (a row the
   * source put there later, or nothing; the changes replayed after this one settle both). Exact
   * big integers bound as text compare as integers (the column's affinity).
   */
  private move(from: SqliteValue[], to: SqliteValue[]): void {
    const table = quoteSqlite(this.table);
    if (this.sql.exec(`SELECT 1 FROM ${table} WHERE ${this.keyMatch()}`, ...to).toArray().length > 0) return;
    const set = this.keyColumns.map((c) => `${quoteSqlite(c.name)} = ?`).join(", ");
    this.sql.exec(`UPDATE ${table} SET ${set} WHERE ${this.keyMatch()}`, ...to, ...from);
  }

  private keyMatch(): string {
    return this.keyColumns.map((c) => `${quoteSqlite(c.name)} = ?`).join(" AND ");
  }
}

/**
 * Positions of `rows` in key order, keeping only the last row of each key:
 * the earlier ones would only be overwritten (a later write of a key wins, as
 * at the source). Sorted stably, so the replica's B-tree is visited page by
 * page instead of at random, which makes a batch of updates several times faster.
 */
export function lastPerKey(rows: readonly SqliteValue[][], keyIndexes: readonly number[]): number[] {
  if (keyIndexes.length === 1) {
    const numeric = lastPerNumericKey(rows, keyIndexes[0]!);
    if (numeric) return numeric;
  }
  const compare = (a: number, b: number) => {
    for (const k of keyIndexes) {
      const order = compareValues(rows[a]![k] ?? null, rows[b]![k] ?? null);
      if (order !== 0) return order;
    }
    return 0;
  };
  const order = rows.map((_row, i) => i).sort((a, b) => compare(a, b) || a - b);
  return order.filter((i, n) => n === order.length - 1 || compare(i, order[n + 1]!) !== 0);
}

/**
 * The same for a key of one number column (the usual integer key): the last
 * position of each key kept in a map, the keys sorted natively. Null when a key
 * is not a number (big integers arrive as text).
 */
function lastPerNumericKey(rows: readonly SqliteValue[][], keyIndex: number): number[] | null {
  const last = new Map<number, number>();
  for (let i = 0; i < rows.length; i++) {
    const value = rows[i]![keyIndex];
    if (typeof value !== "number") return null;
    last.set(value, i);
  }
  return Array.from(Float64Array.from(last.keys()).sort(), (key) => last.get(key)!);
}

const RANK = { object: 0, number: 1, string: 2 } as const;

/** A total order on stored values: NULL, numbers, text, bytes. Only locality depends on it, never a result. */
function compareValues(a: SqliteValue, b: SqliteValue): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  const rankA = a instanceof ArrayBuffer ? 3 : RANK[typeof a as keyof typeof RANK];
  const rankB = b instanceof ArrayBuffer ? 3 : RANK[typeof b as keyof typeof RANK];
  if (rankA !== rankB) return rankA - rankB;
  if (a instanceof ArrayBuffer && b instanceof ArrayBuffer) {
    const x = new Uint8Array(a);
    const y = new Uint8Array(b);
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
    return x.length - y.length;
  }
  return 0;
}
