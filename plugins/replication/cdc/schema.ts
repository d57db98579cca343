/**
 * Schema changes as change capture sees them: a Relation message whose columns
 * differ from the source columns the job knows. Pure.
 *
 * Until schema changes are handled (issue 13), a change fails the run with an
 * error naming it, and the job stays where it was.
 */
import { ValidationError } from "../../../src/errors";
import type { RelationMessage } from "./pgoutput";
import type { KnownColumn } from "./store";

export interface SchemaChange {
  column: string;
  change: "added" | "dropped" | "retyped";
  /** Type before (a type name once resolved, `oid <n>` before). */
  from: string | null;
  to: string | null;
}

export function relationChanges(known: readonly KnownColumn[], relation: RelationMessage): SchemaChange[] {
  const now = new Map(relation.columns.map((c) => [c.name, c.typeOid]));
  const before = new Map(known.map((c) => [c.name, c.type_oid]));
  const changes: SchemaChange[] = [];
  for (const [name, type] of before) {
    const current = now.get(name);
    if (current === undefined) changes.push({ column: name, change: "dropped", from: oidName(type), to: null });
    else if (current !== type)
      changes.push({ column: name, change: "retyped", from: oidName(type), to: oidName(current) });
  }
  for (const [name, type] of now) {
    if (!before.has(name)) changes.push({ column: name, change: "added", from: null, to: oidName(type) });
  }
  return changes;
}

const oidName = (oid: number) => `oid ${oid}`;

export function describeSchemaChanges(changes: readonly SchemaChange[], table: string): string {
  const each = changes.map((c) =>
    c.change === "added"
      ? `column "${c.column}" was added (${c.to})`
      : c.change === "dropped"
        ? `column "${c.column}" was dropped`
        : `column "${c.column}" changed type from ${c.from} to ${c.to}`,
  );
  return (
    `the source table ${table} changed: ${each.join("; ")}. Change capture does not follow schema changes yet: ` +
    `delete the job and create it again to copy the table with its new columns`
  );
}

/** A run met a schema change it cannot apply; `changes` says which. */
export class SchemaChangeError extends ValidationError {
  constructor(
    readonly changes: SchemaChange[],
    message: string,
  ) {
    super(message);
  }
}
