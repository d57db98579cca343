/**
 * From the source's changes to writes on the replica: values mapped exactly as
 * the pull mode maps them (pgoutput's text through the same type table), rows
 * keyed by the primary key, and runs of like changes merged into one write.
 * Pure: the replica itself is written by apply.ts.
 */
import { ValidationError } from "../../../src/errors";
import { pgToSqliteValue, type PgValueType } from "../../../src/sources/pg-types";
import type { SourceColumn, SqliteValue } from "../../../src/sources/types";
import { castTextOf } from "./hash-texts";
import { type RelationMessage, type TupleValue, UNCHANGED } from "./pgoutput";
import { schemaDiffers } from "./schema";
import type { KnownColumn } from "./store";
import type { TransactionPart } from "./transactions";

/** The job's table as the replica mirrors it. */
export interface ReplicaShape {
  tableOid: number;
  schema: string;
  table: string;
  /** Replicated columns in replica order. */
  columns: readonly SourceColumn[];
  primaryKey: readonly string[];
  /** The source's columns as the job knows them. */
  known: readonly KnownColumn[];
  /** The replica keeps each row's hash (replica/row-hash.ts): upserts carry the texts it is computed from. */
  rowHash: boolean;
}

/**
 * One write. Upsert rows hold every replicated column in replica order (then the
 * row hash, when the replica keeps one); with `present`, the columns marked false
 * were not sent (an unchanged TOASTed value) and keep what the replica holds.
 */
export type ApplyOp =
  | {
      op: "upsert";
      present: boolean[] | null;
      rows: SqliteValue[][];
      /** With row hashes: each row's pgoutput texts, hashed by the writer for the rows it keeps (null: not known). */
      texts: Array<Array<string | null> | null> | null;
    }
  | { op: "delete"; keys: SqliteValue[][] }
  /** The key of a row changed while one of its values was not sent: the row moves, keeping that value. */
  | { op: "move"; from: SqliteValue[]; to: SqliteValue[] }
  | { op: "truncate" };

interface RelationPlan {
  /** For each replicated column, its position in the Relation message. */
  positions: number[];
  /** For each replicated column, its value type. */
  types: PgValueType[];
  /** Positions of the key columns among the replicated columns. */
  keyIndexes: number[];
  /** For each replicated column, how `col::text` differs from the text pgoutput sends (hash-texts.ts), or null. */
  castTexts: Array<((sent: string) => string) | null>;
}

export class ChangePlanner {
  private relation: RelationPlan | null = null;

  constructor(
    private readonly shape: ReplicaShape,
    /** Value types of type OIDs named by Relation messages (resolved before planning). */
    private readonly typeOf: (oid: number) => PgValueType,
  ) {}

  /** Appends the writes of one transaction (or part) to `ops`; answers how many changes of the table it holds. */
  plan(part: TransactionPart, ops: ApplyOp[]): number {
    let changes = 0;
    for (const change of part.changes) {
      if (change.type === "relation") {
        if (change.oid === this.shape.tableOid) this.relation = this.relationPlan(change);
        continue;
      }
      if (change.type === "truncate") {
        if (!change.relations.includes(this.shape.tableOid)) continue;
        ops.push({ op: "truncate" });
        changes += 1;
        continue;
      }
      if (change.relation !== this.shape.tableOid) continue;
      const relation = this.relation;
      if (!relation) throw new Error(`pgoutput: a change to ${this.qualified()} came before its Relation message`);
      changes += 1;
      if (change.type === "insert") {
        this.upsert(ops, relation, change.values);
      } else if (change.type === "delete") {
        push(ops, { op: "delete", keys: [this.key(relation, change.old, "delete")] });
      } else {
        const to = this.key(relation, change.values, "update");
        const from = change.old === null ? null : this.key(relation, change.old, "update");
        if (from !== null && !sameKey(from, to)) {
          if (change.values.includes(UNCHANGED)) push(ops, { op: "move", from, to });
          else push(ops, { op: "delete", keys: [from] });
        }
        this.upsert(ops, relation, change.values);
      }
    }
    return changes;
  }

  private upsert(ops: ApplyOp[], relation: RelationPlan, values: readonly TupleValue[]): void {
    const { positions, types } = relation;
    const width = positions.length;
    const row: SqliteValue[] = new Array(width);
    let present: boolean[] | null = null;
    for (let i = 0; i < width; i++) {
      const value = values[positions[i]!];
      if (value === UNCHANGED || value === undefined) {
        present ??= new Array(width).fill(true);
        present[i] = false;
        row[i] = null;
        continue;
      }
      row[i] = pgToSqliteValue(types[i]!, value);
    }
    // The hash is defined over `col::text`: pgoutput's texts, as the cast prints them; a value not sent leaves it unknown.
    const texts = !this.shape.rowHash || present ? null : hashTexts(relation, values);
    // Most changes extend the previous write (a run of full-row upserts): no new op.
    const last = ops[ops.length - 1];
    if (last?.op === "upsert" && samePresence(last.present, present)) {
      last.rows.push(row);
      last.texts?.push(texts);
    } else {
      ops.push({ op: "upsert", present, rows: [row], texts: this.shape.rowHash ? [texts] : null });
    }
  }

  private key(relation: RelationPlan, values: readonly TupleValue[], what: string): SqliteValue[] {
    return relation.keyIndexes.map((i) => {
      const value = values[relation.positions[i]!];
      if (value === UNCHANGED || value === undefined) {
        throw new ValidationError(
          `an ${what} of ${this.qualified()} did not carry its key column ${this.shape.columns[i]!.name}: ` +
            `a key too large to be sent (TOASTed) cannot be replicated by change capture`,
        );
      }
      return pgToSqliteValue(relation.types[i]!, value);
    });
  }

  private relationPlan(relation: RelationMessage): RelationPlan {
    if (relation.namespace !== this.shape.schema || relation.name !== this.shape.table) {
      throw new ValidationError(
        `the source table ${this.qualified()} was renamed to ${relation.namespace}.${relation.name}: ` +
          `delete the job and create it for the new name`,
      );
    }
    // Schema changes are followed before the planner sees them (replay.ts): a difference here is a bug.
    if (schemaDiffers(this.shape.known, relation.columns)) {
      throw new Error(`pgoutput: the columns of ${this.qualified()} changed without being followed`);
    }
    if (relation.replicaIdentity === "n" || relation.replicaIdentity === "i") {
      throw new ValidationError(
        `${this.qualified()} now has REPLICA IDENTITY ${relation.replicaIdentity === "n" ? "NOTHING" : "USING INDEX"}: ` +
          `its changes no longer carry the primary key; ALTER TABLE ${this.qualified()} REPLICA IDENTITY DEFAULT`,
      );
    }
    const positions = this.shape.columns.map((column) => relation.columns.findIndex((c) => c.name === column.name));
    const types = positions.map((p) => this.typeOf(relation.columns[p]!.typeOid));
    return {
      positions,
      types,
      keyIndexes: this.shape.primaryKey.map((k) => this.shape.columns.findIndex((c) => c.name === k)),
      castTexts: types.map(castTextOf),
    };
  }

  private qualified(): string {
    return `${this.shape.schema}.${this.shape.table}`;
  }
}

/** A row's texts for its hash: each sent value as `col::text` prints it. */
function hashTexts(relation: RelationPlan, values: readonly TupleValue[]): Array<string | null> {
  return relation.positions.map((p, i) => {
    const sent = values[p] as string | null;
    const cast = relation.castTexts[i];
    return sent === null || !cast ? sent : cast(sent);
  });
}

/** Appends a write, merged into the previous one when both are alike (upserts of the same columns, or deletes). */
function push(ops: ApplyOp[], op: ApplyOp): void {
  const last = ops[ops.length - 1];
  if (last && last.op === "upsert" && op.op === "upsert" && samePresence(last.present, op.present)) {
    last.rows.push(...op.rows);
    return;
  }
  if (last && last.op === "delete" && op.op === "delete") {
    last.keys.push(...op.keys);
    return;
  }
  ops.push(op);
}

function samePresence(a: boolean[] | null, b: boolean[] | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function sameKey(a: readonly SqliteValue[], b: readonly SqliteValue[]): boolean {
  return a.every((value, i) => keyText(value) === keyText(b[i] ?? null));
}

function keyText(value: SqliteValue): string {
  if (value instanceof ArrayBuffer) return `x${[...new Uint8Array(value)].join(",")}`;
  return `${typeof value}:${String(value)}`;
}
