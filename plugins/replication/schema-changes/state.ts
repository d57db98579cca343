/**
 * What a job remembers about its source's schema: the changes a run saw, the
 * replica columns it keeps for columns the source dropped, its schema warnings,
 * and the re-copy that fills changed columns of rows copied earlier.
 */
import type { Cursor } from "../pull/cursor";

export type ChangeKind = "added" | "dropped" | "retyped";

/** One column change seen at the source, as run history shows it. */
export interface SchemaChange {
  column: string;
  change: ChangeKind;
  /** The source type before (null for an added column). */
  from: string | null;
  /** The source type now (null for a dropped column). */
  to: string | null;
}

/**
 * A background copy of the whole table in primary key order, page by page,
 * which rewrites every replica row with the current columns (and so their row
 * hashes), or writes them for the first time (a job's first copy, which sets
 * the job's cursor when it is done; a re-copy never touches it).
 */
export interface Recopy {
  /** Columns whose values it fills (added, retyped, newly chosen); empty when only the row hashes are stale. */
  columns: string[];
  /** The key of the last row copied, as a cursor on the key (first key column, then the rest); null before the first page. */
  after: Cursor | null;
  rows: number;
  started_at: number;
  /** A job's first copy, read in key order instead of the cursor's (pull/first-copy.ts); absent for a re-copy. */
  first?: FirstCopy;
}

export interface FirstCopy {
  /** The watermark the copy started at (a tracking value): it reads the rows below it, the cursor pull the rest. */
  below: string;
  /** The last row read with the largest tracking value so far, where the cursor goes when the copy is done. */
  largest: Cursor | null;
}

export interface SchemaState {
  /** Replica columns the source dropped, kept in the replica (on_column_drop "keep"). */
  kept: string[];
  /** What the last check found worth telling: kept columns, columns not copied, columns over the limit. */
  warnings: string[];
  recopy: Recopy | null;
}

export const EMPTY_SCHEMA_STATE: SchemaState = { kept: [], warnings: [], recopy: null };
