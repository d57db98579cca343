/** How change capture runs read and write; tests and benchmarks change it through the engine's tuning. */
import type { SourceConnection } from "../../../src/sources/types";

export interface CdcTuning {
  /**
   * Messages one run's peek decodes at the source: a job's first run asks for
   * `firstPeekMessages`, later runs for what the previous one got through (peek-size.ts),
   * within [`minPeekMessages`, `peekMessages`].
   */
  peekMessages: number;
  firstPeekMessages: number;
  minPeekMessages: number;
  /** Bytes of messages the server packs into one row, and per fetch (whole groups: at least one). */
  groupBytes: number;
  fetchBytes: number;
  /** Changes one run applies at most (a run also stops at the run time bound). */
  maxChanges: number;
  /**
   * Changes (or bytes of messages) written per SQLite transaction: larger batches rewrite each replica
   * page less often. The bytes bound what a batch of wide rows keeps
   * in memory (rows of 1.9 MB: a live heap of 34 MiB at 8 MiB, 49 MiB at 16).
   */
  writeChanges: number;
  writeBytes: number;
  /** A source transaction beyond this many changes or bytes is applied in parts. */
  maxTransactionChanges: number;
  maxTransactionBytes: number;
  /**
   * Statement timeout of a change capture run's connection: PostgreSQL decodes a
   * peek whole before its first row, and a large transaction is decoded whole.
   */
  statementTimeoutMs: number;
  /** Test hook: runs after changes are committed to SQLite, before the slot is advanced. */
  beforeSlotAdvance?: (source: SourceConnection) => Promise<void>;
}

export function defaultCdcTuning(): CdcTuning {
  return {
    peekMessages: 1_500_000,
    firstPeekMessages: 300_000,
    minPeekMessages: 10_000,
    groupBytes: 1024 * 1024,
    fetchBytes: 4 * 1024 * 1024,
    maxChanges: 1_000_000,
    writeChanges: 50_000,
    writeBytes: 8 * 1024 * 1024,
    maxTransactionChanges: 50_000,
    maxTransactionBytes: 32 * 1024 * 1024,
    statementTimeoutMs: 120_000,
  };
}
