/**
 * Authorization of client statements inside the Durable Object, from SQLite's
 * own view: each statement is compiled with `EXPLAIN` (never run for that), its
 * program says which tables it reads and writes (program.ts), and DDL is judged
 * by what it did to sqlite_schema inside a transaction that a refusal rolls back.
 * workerd offers no authorizer callback to JavaScript; EXPLAIN is the engine's view we can reach.
 */
import { AppError, ForbiddenError, ValidationError } from "../errors";
import { AutoincrementIds } from "./autoincrement-ids";
import { quoteName } from "./names";
import type { SqlParam } from "./types";
import { type ExplainRow, programAccess } from "./program";
import {
  clientVerdict,
  isInternalTable,
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
  /** The statement writes to the database (rows or schema). */
  writes: boolean;
}

/** True when the statement must run inside a transaction, through runChecked. */
export function needsCheckAfterRun(authorized: Authorized): boolean {
  return authorized.changesSchema || authorized.idTables !== null;
}

export class ClientAuthorizer {
  private readonly ids: AutoincrementIds;

  constructor(
    private readonly sql: SqlStorage,
    private readonly readOnlyTables: () => ReadOnlyTables,
  ) {
    this.ids = new AutoincrementIds(sql);
  }

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
    for (const root of access.autoincrementIds) this.ids.refuseRunningOut(tableOfRoot.get(root)!);
    return {
      changesSchema: access.changesSchema,
      idTables: this.ids.tablesToWatch(access, tableOfRoot),
      writes: access.writes.size > 0 || access.changesSchema,
    };
  }

  /**
   * Runs an authorized statement and refuses it when what it did breaks the policy: DDL by its
   * effect on the schema, a write to AUTOINCREMENT tables by the ids it left. Must be called
   * inside a transaction: the caller's rollback undoes it.
   */
  runChecked<T>(authorized: Authorized, run: () => T): T {
    const tables = authorized.idTables;
    const before = tables && this.ids.nearTheEnd(tables);
    const result = authorized.changesSchema ? this.runSchemaChange(run) : run();
    if (tables && before) {
      const raised = [...this.ids.nearTheEnd(tables)].find((table) => !before.has(table));
      if (raised !== undefined) throw new ForbiddenError(RULES.idsRaised(raised));
    }
    return result;
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
 * keeping no effect: each statement is compiled and judged, in a transaction that
 * is always rolled back. Statements judged by their effect (DDL, AUTOINCREMENT ids)
 * run there; so does every write of a text of several statements, so that each
 * statement is judged on what the ones before it leave, as when the host runs them.
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
          // Run here, in the transaction always rolled back.
          if (needsCheckAfterRun(authorized) || (authorized.writes && i < pieces.length - 1)) {
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
