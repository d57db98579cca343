/**
 * Noticing schema changes: columns (names, types and type modifiers) that differ
 * from the source columns the job knows, named by a Relation message in the
 * stream or read from the catalog. What follows from a change is the
 * schema-change handling's (schema-changes/), the same as the pull mode's. Pure.
 */
import type { KnownColumn } from "./store";

/** A column as a Relation message, or the catalog, describes it. */
export interface ColumnShape {
  name: string;
  typeOid: number;
  /** The type modifier (`numeric(10,2)`, `varchar(20)`, `timestamp(3)`); -1 for none. */
  typmod: number;
}

/**
 * True when `columns` are other columns, or of other types, than `known`. A type
 * modifier counts where the job knows it (jobs from before 2026-12-01 learn it at
 * their next change).
 */
export function schemaDiffers(known: readonly KnownColumn[], columns: readonly ColumnShape[]): boolean {
  if (known.length !== columns.length) return true;
  const before = new Map(known.map((c) => [c.name, c]));
  return columns.some((c) => {
    const was = before.get(c.name);
    return was === undefined || was.type_oid !== c.typeOid || (was.typmod !== undefined && was.typmod !== c.typmod);
  });
}

/** The columns as the job remembers them, to notice the next change. */
export function knownColumnsOf(columns: readonly ColumnShape[]): KnownColumn[] {
  return columns.map((c) => ({ name: c.name, type_oid: c.typeOid, typmod: c.typmod }));
}
