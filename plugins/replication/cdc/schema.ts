/**
 * Noticing schema changes in the stream: a Relation message whose columns
 * (names and types) differ from the source columns the job knows. What follows
 * from a change is the schema-change handling's (schema-changes/), the same as
 * the pull mode's. Pure.
 */
import type { RelationMessage } from "./pgoutput";
import type { KnownColumn } from "./store";

/** True when the message names other columns, or other types, than `known`. */
export function schemaDiffers(known: readonly KnownColumn[], relation: RelationMessage): boolean {
  if (known.length !== relation.columns.length) return true;
  const before = new Map(known.map((c) => [c.name, c.type_oid]));
  return relation.columns.some((c) => before.get(c.name) !== c.typeOid);
}
