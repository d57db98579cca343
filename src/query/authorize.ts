/**
 * Authorization of client statements inside the Durable Object, from SQLite's
 * own view: each statement is compiled with `EXPLAIN` (never run for that), its
 * program says which tables it reads and writes (program.ts), and DDL is judged
 * by what it did to sqlite_schema inside a transaction that a refusal rolls back.
 * workerd offers no authorizer callback to JavaScript; EXPLAIN is the engine's view we can reach.
 */
import { AppError, ConflictError, ForbiddenError, ValidationError } from "../errors";
import type { SqlParam } from "./types";
import { type ExplainRow, type ProgramAccess, programAccess } from "./program";
import {
  clientVerdict,
  isInternalTable,
  MAX_CLIENT_AUTOINCREMENT_ID,
  RULES,
  type ReadOnlyTables,
  type SchemaEntry,
  schemaChanges,
  schemaChangeVerdict,
  statementKindVerdict,
} from "./policy";
import { sqliteMessage } from "./sqlite-message";
import { type SplitStatement, splitStatements } from "./statements";

/** Table-valued functions every client may use. */
const SAFE_FUNCTIONS = ["SELECT * FROM json_each('[]')", "SELECT * FROM json_tree('[]')"];

const SEQUENCE = "sqlite_sequence";

/** What an authorized statement needs when it runs. */
export interface Authorized {
  /** DDL: judged by its effect on the schema, so it runs in a transaction (runChecked). */
  changesSchema: boolean;
  /**
   * A write that may raise AUTOINCREMENT ids: the AUTOINCREMENT tables it writes, whose largest
   * ids are compared before and after it ran (with every table's counter), in a transaction
   * (runChecked). Null: nothing to check.
   */
  idTables: string[] | null;
}

/** True when the statement must run inside a transaction, through runChecked. */
export function needsCheckAfterRun(authorized: Authorized): boolean {
  return authorized.changesSchema || authorized.idTables !== null;
}

export class ClientAuthorizer {
  constructor(
    private readonly sql: SqlStorage,
    private readonly readOnlyTables: () => ReadOnlyTables,
  ) {}

  /**
   * Compiles `statement` and throws ForbiddenError naming the rule it breaks (ConflictError when
   * the database's state forbids it now); answers what running it needs.
   */
  check(statement: SplitStatement, params: readonly SqlParam[]): Authorized {
    const kind = statementKindVerdict(statement.lead);
    if (!kind.allowed) throw new ForbiddenError(kind.rule);
    const rows = this.sql.exec<ExplainRow & Record<string, SqlStorageValue>>(`EXPLAIN ${statement.sql}`, ...params);
    const access = programAccess(rows.toArray());
    const tableOfRoot = this.tablesOfRoots([...access.reads, ...access.writes, ...access.autoincrementIds]);
    const verdict = clientVerdict({
      keyword: statement.keyword,
      access,
      tableOfRoot,
      readOnly: this.readOnlyTables(),
      allowedVirtual: access.virtualTables.size ? this.allowedVirtualTables() : new Set(),
    });
    if (!verdict.allowed) throw new ForbiddenError(verdict.rule);
    for (const root of access.autoincrementIds) this.refuseIdsRunningOut(tableOfRoot.get(root)!);
    return { changesSchema: access.changesSchema, idTables: this.idTables(access, tableOfRoot) };
  }

  /**
   * Runs an authorized statement and refuses it when what it did breaks the policy: DDL by its
   * effect on the schema, a write to AUTOINCREMENT tables by the ids it left. Must be called
   * inside a transaction: the caller's rollback undoes it.
   */
  runChecked<T>(authorized: Authorized, run: () => T): T {
    const tables = authorized.idTables;
    const before = tables && this.idsNearTheEnd(tables);
    const result = authorized.changesSchema ? this.runSchemaChange(run) : run();
    if (tables && before) {
      const raised = [...this.idsNearTheEnd(tables)].find((table) => !before.has(table));
      if (raised !== undefined) throw new ForbiddenError(RULES.idsRaised(raised));
    }
    return result;
  }

  /**
   * An AUTOINCREMENT insert fails with SQLITE_FULL once ids run out, and workerd then restarts
   * the object: refused while the table's counter or largest id is near the end. No single
   * statement can insert the 2^32 rows left, and client statements never raise ids past that point.
   */
  private refuseIdsRunningOut(table: string): void {
    const [row] = this.sql
      .exec<{ near: number }>(
        `SELECT max(coalesce((SELECT seq FROM ${SEQUENCE} WHERE name = ?), 0),
                    coalesce((SELECT max(rowid) FROM ${quoteName(table)}), 0)) > ${MAX_CLIENT_AUTOINCREMENT_ID} AS near`,
        table,
      )
      .toArray();
    if (row?.near) {
      throw new ConflictError(
        `table ${table} has AUTOINCREMENT ids above ${MAX_CLIENT_AUTOINCREMENT_ID}, near the largest SQLite allows: ` +
          `inserting could run out of ids and restart the database; the admin role can lower them`,
      );
    }
  }

  /**
   * For a write that may raise AUTOINCREMENT ids, the AUTOINCREMENT tables it writes: those
   * sqlite_sequence counts, and those it gives new ids. Null for any other statement.
   */
  private idTables(access: ProgramAccess, tableOfRoot: ReadonlyMap<number, string>): string[] | null {
    const written = new Set<string>();
    for (const root of access.writes) {
      const table = tableOfRoot.get(root);
      if (table !== undefined) written.add(table);
    }
    const tables = new Set([...access.autoincrementIds].map((root) => tableOfRoot.get(root)!));
    if (written.size === 0 || !this.hasSequenceTable()) return tables.size ? [...tables] : null;
    const counted = this.sql.exec<{ name: string }>(
      `SELECT name FROM ${SEQUENCE} WHERE name IN (SELECT value FROM json_each(?))`,
      JSON.stringify([...written]),
    );
    for (const { name } of counted) tables.add(name);
    return tables.size || written.has(SEQUENCE) ? [...tables] : null;
  }

  /** The tables whose AUTOINCREMENT counter, or largest id among `tables`, is beyond the client's limit. */
  private idsNearTheEnd(tables: readonly string[]): Set<string> {
    const near = new Set<string>();
    if (this.hasSequenceTable()) {
      for (const { name } of this.sql.exec<{ name: string }>(
        `SELECT name FROM ${SEQUENCE} WHERE seq > ${MAX_CLIENT_AUTOINCREMENT_ID}`,
      )) {
        near.add(name);
      }
    }
    for (const table of this.existing(tables)) {
      const [row] = this.sql
        .exec<{ over: number }>(
          `SELECT coalesce(max(rowid) > ${MAX_CLIENT_AUTOINCREMENT_ID}, 0) AS over FROM ${quoteName(table)}`,
        )
        .toArray();
      if (row?.over) near.add(table);
    }
    return near;
  }

  /** Those of `tables` that exist (a statement may have dropped or renamed one). */
  private existing(tables: readonly string[]): string[] {
    if (tables.length === 0) return [];
    return this.sql
      .exec<{ name: string }>(
        `SELECT name FROM sqlite_schema WHERE type = 'table' AND name IN (SELECT value FROM json_each(?))`,
        JSON.stringify(tables),
      )
      .toArray()
      .map((row) => row.name);
  }

  private hasSequenceTable(): boolean {
    return (
      this.sql.exec(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = '${SEQUENCE}'`).toArray().length > 0
    );
  }

  /**
   * Runs a client DDL statement and refuses it when its effect on the schema
   * breaks the policy. Must be called inside a transaction: the caller's rollback undoes it.
   */
  private runSchemaChange<T>(run: () => T): T {
    const before = this.schema();
    const result = run();
    const changes = schemaChanges(before, this.schema());
    const verdict = schemaChangeVerdict({
      changes,
      readOnly: this.readOnlyTables(),
      foreignKeyTargets: (table) => this.foreignKeyTargets(table),
    });
    if (!verdict.allowed) throw new ForbiddenError(verdict.rule);
    // A view is judged by what reading it reads: one over an internal table is refused now, not only when read.
    for (const { entry, created } of changes) {
      if (created && entry.type === "view") {
        const read = `SELECT * FROM ${quoteName(entry.name)}`;
        this.check({ sql: read, keyword: "SELECT", lead: ["SELECT"] }, []);
      }
    }
    return result;
  }

  private tablesOfRoots(roots: number[]): Map<number, string> {
    const map = new Map<number, string>();
    if (roots.length === 0) return map;
    const rows = this.sql.exec<{ rootpage: number; tbl_name: string }>(
      `SELECT rootpage, tbl_name FROM sqlite_schema WHERE rootpage IN (SELECT value FROM json_each(?))`,
      JSON.stringify(roots),
    );
    for (const row of rows) map.set(row.rootpage, row.tbl_name);
    return map;
  }

  /**
   * Addresses of the virtual tables a client may open: json_each, json_tree and
   * every ordinary (non-internal) virtual table. Computed after the client's
   * statement was compiled, so every table it opened is alive and no two live
   * tables share an address.
   */
  private allowedVirtualTables(): Set<string> {
    const queries = [...SAFE_FUNCTIONS];
    const tables = this.sql.exec<{ name: string }>(
      `SELECT name FROM sqlite_schema WHERE type = 'table' AND coalesce(rootpage, 0) = 0 AND sql LIKE 'CREATE VIRTUAL TABLE%'`,
    );
    for (const { name } of tables) {
      if (!isInternalTable(name)) queries.push(`SELECT * FROM ${quoteName(name)}`);
    }
    const allowed = new Set<string>();
    for (const query of queries) {
      try {
        for (const row of this.sql.exec<ExplainRow & Record<string, SqlStorageValue>>(`EXPLAIN ${query}`)) {
          if (row.opcode === "VOpen") allowed.add(String(row.p4));
        }
      } catch {
        // A virtual table that cannot be scanned plainly (module gone, arguments needed) is simply not allowed.
      }
    }
    return allowed;
  }

  private schema(): SchemaEntry[] {
    return this.sql
      .exec<SchemaEntry & Record<string, SqlStorageValue>>(
        `SELECT type, name, tbl_name, rootpage, sql FROM sqlite_schema`,
      )
      .toArray();
  }

  private foreignKeyTargets(table: string): string[] {
    return this.sql
      .exec<{ table: string }>(`SELECT "table" FROM pragma_foreign_key_list(?)`, table)
      .toArray()
      .map((row) => row.table);
  }
}

/**
 * Authorizes a client's SQL text for a host that runs it itself (StarbaseDB),
 * keeping no effect: each statement is compiled and judged, and DDL runs in a
 * transaction that is always rolled back, so its effect on the schema can be judged.
 * Throws ForbiddenError naming the rule, or ValidationError for SQL that does not compile.
 */
export function authorizeClientText(
  storage: DurableObjectStorage,
  authorizer: ClientAuthorizer,
  sql: string,
  params: readonly SqlParam[],
): void {
  if (sql.includes("\u0000")) throw new ValidationError("sql must not contain NUL characters");
  const pieces = splitStatements(sql);
  const rollback = new Error("rollback");
  try {
    storage.transactionSync(() => {
      pieces.forEach((piece, i) => {
        // As in `sql.exec`, only the last statement of a text takes the params.
        const bound = i === pieces.length - 1 ? params : [];
        try {
          const authorized = authorizer.check(piece, bound);
          // Judged by what it does: run here, in the transaction always rolled back.
          if (needsCheckAfterRun(authorized)) {
            authorizer.runChecked(authorized, () => storage.sql.exec(piece.sql, ...bound).toArray());
          }
        } catch (error) {
          if (error instanceof AppError) throw error;
          throw new ValidationError(`SQL error: ${sqliteMessage(error)}`);
        }
      });
      throw rollback;
    });
  } catch (error) {
    if (error !== rollback) throw error;
  }
}

function quoteName(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
