import { AppError, ValidationError } from "../errors";
import type { SqlParam } from "./types";
import { type ClientAuthorizer, needsCheckAfterRun } from "./authorize";
import { sqliteMessage } from "./sqlite-message";
import { type SplitStatement, splitStatements } from "./statements";
import type { QueryRequest, RawResult, Statement, StatementResult } from "./types";

/** Caps on one statement's result; beyond them the request answers 400 instead of exhausting memory. */
export interface ResultLimits {
  maxRows: number;
  /** Approximate size of the JSON answer, in bytes. */
  maxBytes: number;
}

export const DEFAULT_RESULT_LIMITS: ResultLimits = { maxRows: 100_000, maxBytes: 16 * 1024 * 1024 };

export interface ExecuteContext {
  storage: DurableObjectStorage;
  authorizer: ClientAuthorizer;
  limits: ResultLimits;
}

/**
 * Runs the statements inside the Durable Object. A transaction runs in one
 * `transactionSync`: any failing statement rolls every statement back.
 * Client statements are authorized one by one, each just before it runs
 * (see authorize.ts); a refused one rolls back what ran before it.
 */
export function executeQuery(ctx: ExecuteContext, request: QueryRequest): StatementResult[] {
  const runner = request.role === "admin" ? new AdminRunner(ctx, request.raw) : new ClientRunner(ctx, request.raw);
  const at = (index: number) => (request.transaction ? index : undefined);
  try {
    if (request.statements.length === 1 && runner.canRunAlone(request.statements[0]!)) {
      return [runner.run(request.statements[0]!, at(0))];
    }
    return ctx.storage.transactionSync(() => request.statements.map((s, i) => runner.run(s, at(i))));
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new ValidationError(`SQL error: ${sqliteMessage(error)}`);
  }
}

interface Runner {
  /** True when the statement may run outside a transaction (nothing to roll back if it is refused). */
  canRunAlone(statement: Statement): boolean;
  run(statement: Statement, index: number | undefined): StatementResult;
}

class AdminRunner implements Runner {
  constructor(
    private readonly ctx: ExecuteContext,
    private readonly raw: boolean,
  ) {}

  canRunAlone(): boolean {
    return true;
  }

  run(statement: Statement, index: number | undefined): StatementResult {
    return guarded(index, () =>
      collect(this.ctx.storage.sql.exec(statement.sql, ...statement.params), this.raw, this.ctx.limits),
    );
  }
}

class ClientRunner implements Runner {
  private readonly split = new Map<Statement, SplitStatement[]>();

  constructor(
    private readonly ctx: ExecuteContext,
    private readonly raw: boolean,
  ) {}

  canRunAlone(statement: Statement): boolean {
    // One statement that is not DDL runs only if authorized, so nothing needs undoing.
    return this.pieces(statement, undefined).length === 1;
  }

  /** Runs each piece of the text after authorizing it; answers the last piece's result, as `sql.exec` does. */
  run(statement: Statement, index: number | undefined): StatementResult {
    const pieces = this.pieces(statement, index);
    let result: StatementResult = [];
    pieces.forEach((piece, i) => {
      // As in `sql.exec`, only the last statement of a text takes the params.
      const params: SqlParam[] = i === pieces.length - 1 ? statement.params : [];
      result = guarded(index, () => {
        const authorized = this.ctx.authorizer.check(piece, params);
        const exec = () => collect(this.ctx.storage.sql.exec(piece.sql, ...params), this.raw, this.ctx.limits);
        if (!needsCheckAfterRun(authorized)) return exec();
        return this.ctx.storage.transactionSync(() => this.ctx.authorizer.runChecked(authorized, exec));
      });
    });
    return result;
  }

  private pieces(statement: Statement, index: number | undefined): SplitStatement[] {
    let pieces = this.split.get(statement);
    if (!pieces) {
      if (statement.sql.includes("\u0000"))
        throw new ValidationError(`${where(index)}sql must not contain NUL characters`);
      pieces = splitStatements(statement.sql);
      if (pieces.length === 0)
        throw new ValidationError(`${where(index)}sql holds no statement, only whitespace or comments`);
      this.split.set(statement, pieces);
    }
    return pieces;
  }
}

/** Runs `work`, turning SQLite's errors into a ValidationError that names the transaction statement. */
function guarded<T>(index: number | undefined, work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new ValidationError(
      `SQL error${index === undefined ? "" : ` in transaction statement ${index}`}: ${sqliteMessage(error)}`,
    );
  }
}

function where(index: number | undefined): string {
  return index === undefined ? "" : `transaction statement ${index}: `;
}

/** Materializes a cursor, refusing a result beyond the caps rather than building it whole. */
function collect(
  cursor: SqlStorageCursor<Record<string, SqlStorageValue>>,
  raw: boolean,
  limits: ResultLimits,
): StatementResult {
  const rows: unknown[] = [];
  let bytes = 0;
  const source: Iterable<Record<string, SqlStorageValue> | SqlStorageValue[]> = raw ? cursor.raw() : cursor;
  for (const row of source) {
    rows.push(row);
    if (rows.length > limits.maxRows) {
      throw new ValidationError(
        `the result has more than ${limits.maxRows} rows (QUERY_MAX_RESULT_ROWS): add a LIMIT or page through it`,
      );
    }
    bytes += approximateJsonBytes(raw ? (row as SqlStorageValue[]) : Object.values(row));
    if (bytes > limits.maxBytes) {
      throw new ValidationError(
        `the result is larger than ${limits.maxBytes} bytes (QUERY_MAX_RESULT_BYTES): select fewer columns or rows`,
      );
    }
  }
  if (!raw) return rows as Record<string, unknown>[];
  const result: RawResult = {
    columns: cursor.columnNames,
    rows: rows as unknown[][],
    meta: { rows_read: cursor.rowsRead, rows_written: cursor.rowsWritten },
  };
  return result;
}

/** Blobs are answered as arrays of byte values, about 4 characters per byte. */
function approximateJsonBytes(values: readonly SqlStorageValue[]): number {
  let n = 2;
  for (const value of values) {
    if (typeof value === "string") n += value.length + 3;
    else if (value instanceof ArrayBuffer) n += value.byteLength * 4 + 2;
    else n += 12;
  }
  return n;
}
