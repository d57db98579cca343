/** Who is asking: the admin role may do anything, the client role what src/query/policy.ts allows. */
export type Role = "admin" | "client";

/** A value bound to a Durable Object SQL statement. */
export type SqlParam = string | number | null | ArrayBuffer;

export interface Statement {
  sql: string;
  params: SqlParam[];
}

export interface QueryRequest {
  statements: Statement[];
  /** True when the body was `{transaction: [...]}`: the answer is one result per statement. */
  transaction: boolean;
  raw: boolean;
  /** Whose statements these are: the client role's are authorized statement by statement. */
  role: Role;
}

export interface RawResult {
  columns: string[];
  rows: unknown[][];
  meta: { rows_read: number; rows_written: number };
}

export type ObjectRows = Record<string, unknown>[];

export type StatementResult = RawResult | ObjectRows;
