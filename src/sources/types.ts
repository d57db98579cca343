/**
 * The contract of an external source, shaped like an `@outerbase/sdk` connection:
 * open, run a statement with `?` placeholders, introspect, close.
 * Every value a source returns is already converted to what Durable Object
 * SQLite stores, without loss (see README "Type mapping").
 */
export type Dialect = "postgresql" | "mysql";

/** What Durable Object SQLite stores and returns. */
export type SqliteValue = null | number | string | ArrayBuffer;

/** The SQLite column type a replica column is created with. */
export type SqliteType = "INTEGER" | "REAL" | "TEXT" | "BLOB";

/** A value bound to a source statement. Strings are passed as text and cast by the statement when needed. */
export type SourceParam = null | number | string | boolean;

export type SslMode = "off" | "require" | "verify-full";

/** Connection settings after validation; exactly one way of reaching the database. */
export type SourceConfig =
  | {
      dialect: Dialect;
      host: string;
      port?: number;
      user: string;
      password?: string;
      database: string;
      schema?: string;
      ssl?: SslMode;
    }
  | { dialect: Dialect; url: string; schema?: string; ssl?: SslMode }
  /** A PostgreSQL Cloudflare Hyperdrive binding's connection string. */
  | { dialect: "postgresql"; hyperdrive: { connectionString: string }; schema?: string };

export interface SourceOptions {
  /** Milliseconds to establish the connection. Default 10 000. */
  connectTimeoutMs?: number;
  /** Milliseconds one statement may run. Default 30 000. */
  statementTimeoutMs?: number;
  /** Names the session on the server (PostgreSQL `application_name`, MySQL connect attribute `program_name`), so operators can find it. */
  applicationName?: string;
  /**
   * MySQL over plain TCP reads 64 KiB at a time through node:net's `onread`
   * option (mysql-socket.ts). Default true; runtimes whose node:net lacks
   * `onread` (the workerd of wrangler 3, which StarbaseDB pins) need false.
   */
  largeReads?: boolean;
}

export interface SourceColumn {
  name: string;
  /** The source's own type name, e.g. `timestamp with time zone`, `bigint unsigned`, `decimal(10,2)`. */
  sourceType: string;
  nullable: boolean;
  /** The SQLite type a replica column gets. */
  sqliteType: SqliteType;
}

export interface TableInfo {
  /** Schema (PostgreSQL) or database (MySQL) the table lives in. */
  schema: string;
  name: string;
  columns: SourceColumn[];
  /** Primary key column names in key order; empty when the table has none. */
  primaryKey: string[];
}

export interface QueryResult {
  columns: string[];
  /** Rows as arrays aligned with `columns`, values already converted for SQLite. */
  rows: SqliteValue[][];
}

export interface QueryOptions {
  /**
   * The statement is a SELECT returning many rows, run again and again with other
   * parameters (a replication page): the connector may use a faster transfer
   * (PostgreSQL: COPY). Values are the same either way.
   */
  bulk?: boolean;
}

export interface StreamOptions {
  bufferChars: number;
  /**
   * The one table the statement reads. When describeColumns(table) has run on this connection since
   * it was last reused, and found the table's columns and their types (to the type's identity) as
   * they were when the connection learned this statement's columns, it reuses what it learned
   * (PostgreSQL: the column types, one round trip). Otherwise it learns them again.
   */
  table?: string;
}

/** Rows of one statement handed over as they arrive (SourceConnection.streamRows). */
export interface RowStream {
  /** The rows that arrived since the last call (waits for at least one), or null once the statement has ended; throws its error. */
  next(): Promise<SqliteValue[][] | null>;
  /** Stops taking rows: the rest are read and dropped, and the connection stays usable. Resolves once the statement has ended. */
  cancel(): Promise<void>;
}

export interface SourceConnection {
  readonly dialect: Dialect;
  /** Runs one statement; `?` placeholders are bound to `params` in order. */
  query(sql: string, params?: readonly SourceParam[], options?: QueryOptions): Promise<QueryResult>;
  /**
   * A bulk SELECT's rows as they arrive (the values `query` with `bulk` gives), read from the source
   * no faster than they are taken: at most about `bufferChars` of rows wait in the isolate. Only one
   * statement runs at a time on a connection: end or cancel the stream before the next.
   */
  streamRows(sql: string, params: readonly SourceParam[], options: StreamOptions): RowStream;
  /** Columns, types, nullability and primary key; NotFound-style ValidationError naming a missing table. */
  describeTable(table: string): Promise<TableInfo>;
  /** The table's columns alone, in table order: one catalog query (a run's check for schema changes). */
  describeColumns(table: string): Promise<SourceColumn[]>;
  /** True when some index on `table` starts with `columns` in that order. */
  hasIndexStartingWith(table: string, columns: readonly string[]): Promise<boolean>;
  /**
   * Readies a connection kept open since an earlier piece of work for the next one: false when it
   * cannot serve again (closed, by us or by the server, or left inside a statement or a transaction);
   * otherwise it forgets what it learned about statements (their columns' types may have changed
   * since; StreamOptions.table says when it may keep them), and answers true. Never a round trip.
   */
  reuse(): boolean;
  /** Closes the connection; safe to call more than once. */
  close(): Promise<void>;
}

/**
 * Pure, dialect-specific SQL helpers used to plan statements without a connection.
 */
export interface SqlDialect {
  readonly name: Dialect;
  quoteIdentifier(name: string): string;
  /** `"schema"."table"` or `` `db`.`table` `` (schema may be omitted for MySQL: the connection's database). */
  qualifiedTable(schema: string | undefined, table: string): string;
  /**
   * Placeholder SQL and bound value that compare exactly against `column`
   * given a value previously produced by this source (e.g. a cursor). Never rounds.
   */
  bindComparable(column: SourceColumn, value: SqliteValue): { sql: string; param: SourceParam };
}
