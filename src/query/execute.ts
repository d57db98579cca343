import { ValidationError } from "../errors";
import type { QueryRequest, RawResult, Statement, StatementResult } from "./types";

/**
 * Runs the statements inside the Durable Object. A transaction runs in one
 * `transactionSync`: any failing statement rolls every statement back.
 */
export function executeQuery(storage: DurableObjectStorage, request: QueryRequest): StatementResult[] {
  const run = (s: Statement, index: number) =>
    runStatement(storage.sql, s, request.raw, request.transaction ? index : undefined);
  try {
    if (request.statements.length === 1) return [run(request.statements[0]!, 0)];
    return storage.transactionSync(() => request.statements.map(run));
  } catch (error) {
    if (error instanceof ValidationError) throw error;
    throw new ValidationError(`SQL error: ${messageOf(error)}`);
  }
}

function runStatement(sql: SqlStorage, statement: Statement, raw: boolean, index: number | undefined): StatementResult {
  try {
    const cursor = sql.exec(statement.sql, ...statement.params);
    if (!raw) return cursor.toArray();
    const rows = Array.from(cursor.raw());
    const result: RawResult = {
      columns: cursor.columnNames,
      rows,
      meta: { rows_read: cursor.rowsRead, rows_written: cursor.rowsWritten },
    };
    return result;
  } catch (error) {
    const where = index === undefined ? "" : ` in transaction statement ${index}`;
    throw new ValidationError(`SQL error${where}: ${messageOf(error)}`);
  }
}

function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  // workerd appends the SQLite result code; keep the human part only.
  return text.replace(/: SQLITE_[A-Z_]+$/, "");
}
