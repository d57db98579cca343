/** The shapes verification works with: keys, key ranges, per-range aggregates and its answer. */
import type { SqliteValue } from "../../../src/sources/types";

/** A primary key's values, in key column order, as the source layer converts them. */
export type Key = SqliteValue[];

/** The keys strictly after `after` and up to `upTo` included; null leaves that end open. */
export interface KeyRange {
  after: Key | null;
  upTo: Key | null;
}

/** What one side holds in a key range. */
export interface Aggregate {
  rows: number;
  /** Sum of the row hashes (exact: it can pass 2^53 on large ranges). */
  sum: bigint;
  /** Rows whose hash is not known (the replica's NULL hashes); always 0 at the source. */
  unknown: number;
}

/** A key with its row hash; null when the replica does not know it. */
export interface Entry {
  key: Key;
  hash: number | null;
}

/** How the two sides were walked: by ranges of keys in one order both sides share, or key by key. */
export type VerifyMethod = "key ranges" | "keys";

/** What was compared for rows on both sides: the stored row hashes, or every copied value. */
export type VerifyCompared = "hashes" | "values";

export interface VerifyCounts {
  source_rows: number;
  replica_rows: number;
  missing: number;
  extra: number;
  differing: number;
}

/** Keys as the API shows them: the value of a one-column key, an array for a composite one; blobs as `{hex}`. */
export type ShownKey = unknown;

export interface VerifyResult extends VerifyCounts {
  repaired: boolean;
  /** False when a repair stopped at the run limits before the end of the table: call verify again to continue. */
  done: boolean;
  method: VerifyMethod;
  compared: VerifyCompared;
  duration_ms: number;
  examples: { missing: ShownKey[]; extra: ShownKey[]; differing: ShownKey[] };
}

/** Sizes that steer the walk; tests make them small. */
export interface VerifyShape {
  /** Rows per top-level range (counted on the replica). */
  topRows: number;
  /** A differing range is split into at most this many parts. */
  fanout: number;
  /** A differing range with at most this many rows on each side is compared key by key. */
  leafRows: number;
  /** Keys per page when the sides are compared key by key (method "keys"). */
  pageRows: number;
}

export const DEFAULT_SHAPE: VerifyShape = { topRows: 25_000, fanout: 16, leafRows: 250, pageRows: 2_000 };

/** Most keys shown per example list. */
export const EXAMPLES = 10;
