/**
 * What the client role may do, decided from SQLite's view of a statement
 * (program.ts) and of the schema. Pure: the I/O lives in authorize.ts.
 *
 * The client role:
 * - never reads or writes an internal table (tmp_, sqlite_, _cf_; sqlite_sequence
 *   aside, which holds only AUTOINCREMENT counters of ordinary tables);
 * - never reads sqlite_schema, which lists the internal tables;
 * - may read replica tables but never change their rows or their schema;
 * - creates no triggers and no virtual tables, opens no virtual table but
 *   json_each/json_tree and ordinary virtual tables (no pragma_* functions);
 * - runs SELECT/VALUES/WITH, INSERT/REPLACE/UPDATE/DELETE, CREATE/DROP/ALTER only;
 * - never runs what would end the transaction workerd keeps open around the object's
 *   writes, which restarts the object (requests and replication runs in flight fail):
 *   a ROLLBACK conflict resolution, a deferred foreign key violation, an AUTOINCREMENT
 *   table out of ids (SQLITE_FULL).
 */
import type { ProgramAccess } from "./program";
import { ROWS_OF_ITS_OWN, SCHEMA_ROOT } from "./program";

/** A row of sqlite_schema. */
export interface SchemaEntry {
  type: string;
  name: string;
  tbl_name: string;
  rootpage: number | null;
  sql: string | null;
}

/** Tables the host protects beyond the internal prefix: replica name (any case) -> what owns it. */
export type ReadOnlyTables = ReadonlyMap<string, string>;

export type Verdict = { allowed: true } | { allowed: false; rule: string };

const ALLOWED: Verdict = { allowed: true };
const refuse = (rule: string): Verdict => ({ allowed: false, rule });

export const CLIENT_KEYWORDS = new Set([
  "SELECT",
  "VALUES",
  "WITH",
  "INSERT",
  "REPLACE",
  "UPDATE",
  "DELETE",
  "CREATE",
  "DROP",
  "ALTER",
]);

/**
 * DROP and ALTER read sqlite_schema and keep ANALYZE's statistics in step with the
 * tables they drop or rename; they cannot carry a query of their own.
 */
const MAINTAINS_SCHEMA = new Set(["DROP", "ALTER"]);

function isStatisticsTable(name: string): boolean {
  return /^sqlite_stat[1-4]$/i.test(name);
}

export const RULES = {
  keyword: (keyword: string) =>
    `${keyword || "this statement"} is reserved for the admin role: the client role may run SELECT, INSERT, UPDATE, DELETE, CREATE, DROP and ALTER`,
  internal: "internal tables (tmp_, sqlite_, _cf_) are reserved for the admin role",
  schema: "the client role cannot read sqlite_schema (it lists internal tables); use the admin role to list tables",
  replica: (table: string, owner: string) =>
    `table ${table} is the replica of ${owner}: the client role may read it but not change it`,
  virtual:
    "virtual tables and table-valued functions other than json_each and json_tree (pragma_* included) are reserved for the admin role",
  trigger: "the client role cannot create or drop triggers (a trigger runs with the rights of whoever fires it)",
  createVirtual: "the client role cannot create virtual tables",
  foreignKey: (table: string) =>
    `a foreign key may not reference ${table}: internal and replica tables are out of the client role's reach`,
  database: "only the main database is available",
  unusual: (ops: string[]) => `database-wide operations (${ops.join(", ")}) are reserved for the admin role`,
  rollback:
    "ON CONFLICT ROLLBACK and RAISE(ROLLBACK) would end the database's own transaction and restart it: use ABORT, FAIL, IGNORE or REPLACE",
  deferredForeignKey:
    "tables with DEFERRABLE INITIALLY DEFERRED foreign keys are reserved for the admin role: their violations surface only when the database commits, and restart it",
  givenIds:
    "a statement that inserts several rows into an AUTOINCREMENT table either gives every id or none: if a given id came near the largest one, the ids SQLite gives after it would run out mid-statement and restart the database",
  idsRaised: (table: string) =>
    `the client role may not raise the ids of AUTOINCREMENT table ${table} above ${MAX_CLIENT_AUTOINCREMENT_ID}: SQLite would soon have no id left to give, which restarts the database`,
} as const;

/** The largest AUTOINCREMENT id a client statement may leave: 2^32 ids below SQLite's largest (2^63 - 1). */
export const MAX_CLIENT_AUTOINCREMENT_ID = "9223372032559808511";

/** Internal by name: the project's tables and SQLite's or the platform's own, sqlite_sequence aside. */
export function isInternalTable(name: string): boolean {
  const lower = name.toLowerCase();
  return /^(tmp_|sqlite_|_cf_)/.test(lower) && lower !== "sqlite_sequence";
}

export function replicaOwner(name: string, readOnly: ReadOnlyTables): string | undefined {
  return readOnly.get(name.toLowerCase());
}

/** The verdict on a client statement from its leading keywords alone, before anything compiles it. */
export function statementKindVerdict(lead: readonly string[]): Verdict {
  const [first = "", second, third] = lead;
  if (!CLIENT_KEYWORDS.has(first)) return refuse(RULES.keyword(first));
  if (first === "CREATE") {
    const kind = second === "TEMP" || second === "TEMPORARY" ? third : second;
    if (kind === "TRIGGER") return refuse(RULES.trigger);
    if (kind === "VIRTUAL") return refuse(RULES.createVirtual);
  }
  return ALLOWED;
}

/**
 * The verdict on one compiled client statement, before it runs.
 * `tableOfRoot` maps root pages to the table that owns them (indexes map to their table).
 * `allowedVirtual` is the set of virtual-table addresses the client may open.
 */
export function clientVerdict(input: {
  keyword: string;
  access: ProgramAccess;
  tableOfRoot: ReadonlyMap<number, string>;
  readOnly: ReadOnlyTables;
  allowedVirtual: ReadonlySet<string>;
}): Verdict {
  const { keyword, access, tableOfRoot, readOnly } = input;
  if (access.otherDatabase || (access.tempDatabase && !MAINTAINS_SCHEMA.has(keyword))) return refuse(RULES.database);
  if (access.unusual.length) return refuse(RULES.unusual(access.unusual));
  if (access.opensNewTree && !access.changesSchema) return refuse(RULES.internal);
  for (const root of access.reads) {
    if (root === SCHEMA_ROOT) {
      if (!MAINTAINS_SCHEMA.has(keyword)) return refuse(RULES.schema);
      continue;
    }
    if (!reachable(tableOfRoot.get(root), keyword)) return refuse(RULES.internal);
  }
  for (const root of access.writes) {
    if (root === SCHEMA_ROOT) continue; // DDL: checked on its effect, see schemaChangeVerdict
    const table = tableOfRoot.get(root);
    if (table === undefined || !reachable(table, keyword)) return refuse(RULES.internal);
    const owner = replicaOwner(table, readOnly);
    if (owner !== undefined) return refuse(RULES.replica(table, owner));
  }
  for (const vtab of access.virtualTables) {
    if (!input.allowedVirtual.has(vtab)) return refuse(RULES.virtual);
  }
  if (access.rollsBack) return refuse(RULES.rollback);
  if (access.defersForeignKeys) return refuse(RULES.deferredForeignKey);
  if (access.autoincrementIds.size && access.givenIds && insertsSeveralRows(access, tableOfRoot)) {
    return refuse(RULES.givenIds);
  }
  return ALLOWED;
}

/** Steps through rows other than sqlite_sequence's, which every AUTOINCREMENT insert reads for its counter. */
function insertsSeveralRows(access: ProgramAccess, tableOfRoot: ReadonlyMap<number, string>): boolean {
  for (const root of access.loopsOver) {
    if (root === ROWS_OF_ITS_OWN || tableOfRoot.get(root)?.toLowerCase() !== "sqlite_sequence") return true;
  }
  return false;
}

/** A root page the schema does not list is nothing a client statement may touch. */
function reachable(table: string | undefined, keyword: string): boolean {
  if (table === undefined) return false;
  if (!isInternalTable(table)) return true;
  return MAINTAINS_SCHEMA.has(keyword) && isStatisticsTable(table);
}

/**
 * The verdict on what a client's DDL statement did to the schema, checked after
 * it ran inside a transaction (refused: rolled back). `foreignKeyTargets` lists the
 * tables referenced by the foreign keys of a created or changed table.
 */
export function schemaChangeVerdict(input: {
  changes: readonly SchemaChange[];
  readOnly: ReadOnlyTables;
  foreignKeyTargets: (table: string) => string[];
}): Verdict {
  for (const { entry, created } of input.changes) {
    if (entry.type === "trigger") return refuse(RULES.trigger);
    for (const name of [entry.name, entry.tbl_name]) {
      // SQLite names its automatic indexes sqlite_autoindex_<table>_N: judge those by their table.
      if (isInternalTable(name) && !(entry.type === "index" && name !== entry.tbl_name && isAutoIndex(name))) {
        return refuse(RULES.internal);
      }
      const owner = replicaOwner(name, input.readOnly);
      if (owner !== undefined) return refuse(RULES.replica(name, owner));
    }
    if (created && entry.type === "table" && /^\s*CREATE\s+VIRTUAL\b/i.test(entry.sql ?? "")) {
      return refuse(RULES.createVirtual);
    }
    if (created && entry.type === "table") {
      for (const target of input.foreignKeyTargets(entry.name)) {
        if (isInternalTable(target) || replicaOwner(target, input.readOnly) !== undefined) {
          return refuse(RULES.foreignKey(target));
        }
      }
    }
  }
  return ALLOWED;
}

/** A schema entry that a statement added or changed (`created`), or removed. */
export interface SchemaChange {
  entry: SchemaEntry;
  created: boolean;
}

/** What differs between two reads of sqlite_schema. */
export function schemaChanges(before: readonly SchemaEntry[], after: readonly SchemaEntry[]): SchemaChange[] {
  const key = (e: SchemaEntry) => `${e.type}\u0000${e.name.toLowerCase()}`;
  const old = new Map(before.map((e) => [key(e), e]));
  const now = new Map(after.map((e) => [key(e), e]));
  const changes: SchemaChange[] = [];
  for (const [k, entry] of now) {
    const was = old.get(k);
    if (!was || was.sql !== entry.sql || was.tbl_name !== entry.tbl_name) changes.push({ entry, created: true });
  }
  for (const [k, entry] of old) if (!now.has(k)) changes.push({ entry, created: false });
  return changes;
}

function isAutoIndex(name: string): boolean {
  return name.toLowerCase().startsWith("sqlite_autoindex_");
}
