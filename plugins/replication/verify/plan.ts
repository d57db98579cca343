/**
 * The decisions of verification, without I/O: what to do with a key range
 * given both sides' aggregates, how two key lists differ, when two rows are
 * equal, and the running tally of what was found.
 */
import type { SqliteValue } from "../../../src/sources/types";
import { toHex } from "../replica/writes";
import {
  type Aggregate,
  type Entry,
  EXAMPLES,
  type Key,
  type ShownKey,
  type VerifyCounts,
  type VerifyShape,
} from "./types";

export type RangeStep =
  /** Same count, same hash sum, every hash known: nothing to look at. */
  | { kind: "same" }
  /** Nothing at the source: every replica row in the range is extra. */
  | { kind: "extra" }
  /** Nothing in the replica: every source row in the range is missing. */
  | { kind: "missing" }
  /** Small enough on both sides to compare key by key. */
  | { kind: "leaf" }
  /** Split into `parts` ranges of `rowsPerPart` rows of `side` (the side with more rows, so parts shrink). */
  | { kind: "split"; side: "source" | "replica"; parts: number; rowsPerPart: number };

export function planRange(
  source: Aggregate,
  replica: Aggregate,
  shape: Pick<VerifyShape, "leafRows" | "fanout">,
): RangeStep {
  if (source.rows === replica.rows && source.sum === replica.sum && replica.unknown === 0) return { kind: "same" };
  if (source.rows === 0) return { kind: "extra" };
  if (replica.rows === 0) return { kind: "missing" };
  const larger = Math.max(source.rows, replica.rows);
  if (larger <= shape.leafRows) return { kind: "leaf" };
  // On a tie the replica's keys split the range: reading them costs no round trip to the source.
  const side = source.rows > replica.rows ? "source" : "replica";
  const parts = Math.max(2, Math.min(shape.fanout, Math.ceil(larger / shape.leafRows)));
  return { kind: "split", side, parts, rowsPerPart: Math.ceil(larger / parts) };
}

/** A key as a string that is equal exactly when the keys are (blobs by their bytes). */
export function keyId(key: readonly SqliteValue[]): string {
  return JSON.stringify(key.map((v) => (v instanceof ArrayBuffer ? { hex: toHex(v) } : v)));
}

export interface EntryDiff {
  missing: Key[];
  extra: Key[];
  /** On both sides with different known hashes. */
  differing: Key[];
  /** On both sides, the replica's hash not known: the rows themselves must be compared. */
  unknown: Key[];
}

/** Compares two lists of keys with hashes by exact key equality; the result follows the source's order, then the replica's. */
export function diffEntries(source: readonly Entry[], replica: readonly Entry[]): EntryDiff {
  const replicaById = new Map(replica.map((e) => [keyId(e.key), e]));
  const diff: EntryDiff = { missing: [], extra: [], differing: [], unknown: [] };
  const seen = new Set<string>();
  for (const entry of source) {
    const id = keyId(entry.key);
    seen.add(id);
    const other = replicaById.get(id);
    if (!other) diff.missing.push(entry.key);
    else if (other.hash === null) diff.unknown.push(entry.key);
    else if (other.hash !== entry.hash) diff.differing.push(entry.key);
  }
  for (const entry of replica) if (!seen.has(keyId(entry.key))) diff.extra.push(entry.key);
  return diff;
}

/** Exact equality of two stored values: numbers and strings by value, blobs byte by byte. */
export function sameValue(a: SqliteValue, b: SqliteValue): boolean {
  if (a instanceof ArrayBuffer || b instanceof ArrayBuffer) {
    if (!(a instanceof ArrayBuffer) || !(b instanceof ArrayBuffer) || a.byteLength !== b.byteLength) return false;
    const x = new Uint8Array(a);
    const y = new Uint8Array(b);
    return x.every((byte, i) => byte === y[i]);
  }
  return a === b;
}

export function sameRow(a: readonly SqliteValue[], b: readonly SqliteValue[]): boolean {
  return a.length === b.length && a.every((value, i) => sameValue(value, b[i]!));
}

/** A key as the API shows it. */
export function showKey(key: Key): ShownKey {
  const shown = key.map((v) => (v instanceof ArrayBuffer ? { hex: toHex(v) } : v));
  return shown.length === 1 ? shown[0] : shown;
}

/** What a verification found so far, with at most EXAMPLES keys per kind. */
export class Tally {
  readonly counts: VerifyCounts = { source_rows: 0, replica_rows: 0, missing: 0, extra: 0, differing: 0 };
  readonly examples = { missing: [] as ShownKey[], extra: [] as ShownKey[], differing: [] as ShownKey[] };

  rows(source: number, replica: number): void {
    this.counts.source_rows += source;
    this.counts.replica_rows += replica;
  }

  /** How many more example keys of this kind are wanted. */
  wanted(kind: "missing" | "extra" | "differing"): number {
    return EXAMPLES - this.examples[kind].length;
  }

  add(kind: "missing" | "extra" | "differing", count: number, keys: readonly Key[]): void {
    this.counts[kind] += count;
    for (const key of keys.slice(0, this.wanted(kind))) this.examples[kind].push(showKey(key));
  }
}
