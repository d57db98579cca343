/**
 * Groups decoded pgoutput messages into the source's transactions, so that
 * each is applied whole, and skips what an earlier run already applied. Pure.
 *
 * A transaction with more changes than fit one SQLite transaction comes out in
 * parts; the part's position (the transaction's commit LSN and how many of its
 * changes came before) lets a later run skip exactly what was applied.
 */
import type { PgOutputMessage, RelationMessage } from "./pgoutput";

export type DataMessage = Extract<PgOutputMessage, { type: "insert" | "update" | "delete" | "truncate" }>;
export type ChangeMessage = DataMessage | RelationMessage;

export interface TransactionPart {
  /** The commit LSN (from Begin): names the transaction before its end is known. */
  commitLsn: bigint;
  /** The end of the commit record once the transaction is complete; null for a leading part of a larger one. */
  endLsn: bigint | null;
  /** Data changes of the transaction before this part. */
  offset: number;
  /** Data changes and Relation messages, in order. */
  changes: ChangeMessage[];
  /** Data changes in `changes`. */
  dataChanges: number;
  /** Bytes of the messages in `changes`, as received. */
  bytes: number;
}

/** Where the job stands: what is applied already, and nothing before it may be applied again. */
export interface AppliedPosition {
  /** End LSN of the last transaction applied whole. */
  appliedLsn: bigint | null;
  /** A transaction applied in parts, not yet whole: its commit LSN and changes applied. */
  partial: { commitLsn: bigint; changes: number } | null;
}

export class TransactionAssembler {
  private open: TransactionPart | null = null;
  /** Data changes of the open transaction still to pass over (applied in parts by an earlier run). */
  private skip = 0;
  private skipping = false;

  constructor(
    private readonly position: AppliedPosition,
    /** A transaction with more data changes, or more bytes, than this is applied in parts. */
    private readonly maxChanges: number,
    private readonly maxBytes: number,
  ) {}

  /** Feeds messages in order (with each one's size in bytes); answers the transactions (or parts) now ready to apply. */
  push(messages: readonly PgOutputMessage[], sizes: readonly number[] = []): TransactionPart[] {
    const ready: TransactionPart[] = [];
    for (let i = 0; i < messages.length; i++) {
      const message = messages[i]!;
      const size = sizes[i] ?? 0;
      switch (message.type) {
        case "begin": {
          if (this.open) throw new Error("pgoutput: Begin inside an open transaction");
          const partial = this.position.partial;
          const resumed = partial !== null && partial.commitLsn === message.finalLsn;
          this.skip = resumed ? partial.changes : 0;
          // A transaction that committed at or before the applied position was applied whole by an earlier run.
          const applied = this.position.appliedLsn;
          this.skipping = applied !== null && message.finalLsn < applied;
          this.open = {
            commitLsn: message.finalLsn,
            endLsn: null,
            offset: this.skip,
            changes: [],
            dataChanges: 0,
            bytes: 0,
          };
          break;
        }
        case "commit": {
          const open = this.requireOpen(message.type);
          this.open = null;
          // A transaction applied before still hands on its Relation messages: later ones rely on them.
          if (!this.skipping || open.changes.length > 0) ready.push({ ...open, endLsn: message.endLsn });
          break;
        }
        case "relation": {
          const open = this.requireOpen(message.type);
          open.changes.push(message);
          open.bytes += size;
          break;
        }
        case "insert":
        case "update":
        case "delete":
        case "truncate": {
          const open = this.requireOpen(message.type);
          if (this.skipping) break;
          if (this.skip > 0) {
            this.skip -= 1;
            break;
          }
          open.changes.push(message);
          open.dataChanges += 1;
          open.bytes += size;
          break;
        }
        case "other":
          break;
      }
    }
    return ready;
  }

  /**
   * After a chunk: the open transaction's changes so far, as a part to apply now,
   * when they have grown past the limit; otherwise they wait for the commit.
   */
  takeLargePart(): TransactionPart | null {
    const open = this.open;
    if (!open || this.skipping || open.dataChanges === 0) return null;
    if (open.dataChanges < this.maxChanges && open.bytes < this.maxBytes) return null;
    const part = { ...open };
    // Relation messages stay: the rest of the transaction is read with them.
    const relations = open.changes.filter((c) => c.type === "relation");
    this.open = { ...open, offset: open.offset + open.dataChanges, changes: relations, dataChanges: 0, bytes: 0 };
    return part;
  }

  private requireOpen(type: string): TransactionPart {
    if (!this.open) throw new Error(`pgoutput: ${type} outside a transaction`);
    return this.open;
  }
}
