/**
 * PostgreSQL connector on `pg` (works in workerd through nodejs_compat sockets).
 * Every value arrives as the server's text (identity type parsers) and is
 * converted by pg-types.ts, so nothing passes through a lossy JS parse.
 */
import type { Duplex } from "node:stream";
import pg from "pg";
import { ValidationError } from "../errors";
import { type ConnectionTarget, pgSslOption } from "./config";
import { connectError, sourceError, withDeadline } from "./failures";
import { rewritePlaceholders } from "./pg-placeholders";
import { pgSqliteTypeOf, pgValueConverter, type PgValueType } from "./pg-types";
import { PG_TYPE_CATALOG_SQL, type PgTypeCatalogRow, PgTypeResolver } from "./pg-type-resolver";
import { groupIndexColumns, someIndexStartsWith, tableNotFound } from "./table-info";
import { parseCopyLine, pgLiteral } from "./pg-copy";
import { LargeReadPgSocket } from "./pg-socket";
import { RowQueue } from "./row-stream";
import type {
  QueryOptions,
  QueryResult,
  RowStream,
  SourceColumn,
  SourceConnection,
  SourceOptions,
  SourceParam,
  SqliteValue,
  StreamOptions,
  TableInfo,
} from "./types";

/** Identity parsers: pg hands back exactly the text the server sent. */
const RAW_TEXT = { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig;

/** Client-side backstop beyond the server's statement_timeout, for a dead network. */
const CLIENT_GRACE_MS = 1_000;

/** The session settings the value mapping depends on (see pg-types.ts). */
function sessionSetup(statementTimeoutMs: number): string {
  return [
    "SET TimeZone = 'UTC'",
    "SET DateStyle = 'ISO, YMD'",
    "SET IntervalStyle = 'iso_8601'",
    "SET bytea_output = 'hex'",
    "SET extra_float_digits = 1",
    // Literals in COPY statements quote with doubled quotes only (see pg-copy.ts).
    "SET standard_conforming_strings = on",
    `SET statement_timeout = ${Math.max(1, Math.floor(statementTimeoutMs))}`,
  ].join("; ");
}

export async function openPostgres(
  target: ConnectionTarget,
  options: Required<SourceOptions>,
): Promise<SourceConnection> {
  let socket: LargeReadPgSocket | undefined;
  const client = new pg.Client({
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    database: target.database,
    ssl: pgSslOption(target.ssl),
    application_name: options.applicationName,
    connectionTimeoutMillis: options.connectTimeoutMs,
    types: RAW_TEXT,
    // pg calls this with its connection settings (typed as no arguments); a truthy `ssl` means a TLS upgrade.
    stream: ((settings: { ssl?: unknown }) =>
      (socket = new LargeReadPgSocket(Boolean(settings.ssl)))) as unknown as () => Duplex,
  });
  // Without a listener, a socket error after end() (pg-cloudflare reports "This
  // socket has been closed" from its read loop) is re-thrown inside a promise
  // callback and surfaces as an unhandled rejection. Errors that matter also
  // reject the pending query, so this listener only has to absorb them.
  client.on("error", () => undefined);
  const where = `${target.host}:${target.port}/${target.database}`;
  try {
    // The session set-up is part of connecting: a network that dies right after the handshake must not hang us.
    const connectAndSetUp = async () => {
      await client.connect();
      await client.query(sessionSetup(options.statementTimeoutMs));
    };
    await withDeadline(
      connectAndSetUp(),
      options.connectTimeoutMs + CLIENT_GRACE_MS,
      () => new Error(`connect timed out after ${options.connectTimeoutMs} ms`),
      () => void client.end().catch(() => undefined),
    );
  } catch (error) {
    await client.end().catch(() => undefined);
    throw connectError(error, `could not connect to PostgreSQL at ${where}`, target);
  }
  return new PostgresConnection(client, socket!, target, options);
}

interface BulkShape {
  columns: string[];
  types: PgValueType[];
  /** The use of the connection it was learned in (PostgresConnection.reuse counts them). */
  use: number;
  /** The catalog reading of the statement's table it was learned under (StreamOptions.table), if any. */
  catalog: string | undefined;
}

/** What describeColumns last read of a table: its catalog rows, type identities included, in the use it read them in. */
interface CatalogReading {
  use: number;
  text: string;
}

class PostgresConnection implements SourceConnection {
  readonly dialect = "postgresql" as const;
  private closed = false;
  /**
   * Column names and value types of statements read with COPY, by statement text: learned in this
   * use of the connection (`use`, counted by reuse), or under a caller's catalog reading.
   */
  private readonly bulkShapes = new Map<string, BulkShape>();
  private use = 0;
  private readonly catalogReadings = new Map<string, CatalogReading>();
  /** Streams whose statement has not ended (streamRows). */
  private readonly streams = new Set<RowQueue>();
  /** Value types of OIDs found through pg_type (enums, domains, extension types and their arrays). */
  private readonly typeResolver = new PgTypeResolver(
    async (oidArray) => (await this.run(PG_TYPE_CATALOG_SQL, [oidArray])).rows as unknown as PgTypeCatalogRow[],
  );

  /** The server or the network ended the connection (a kept connection may find out while idle). */
  private ended = false;

  constructor(
    private readonly client: pg.Client,
    private readonly socket: LargeReadPgSocket,
    private readonly target: ConnectionTarget,
    private readonly options: Required<SourceOptions>,
  ) {
    client.on("end", () => void (this.ended = true));
  }

  async query(sql: string, params: readonly SourceParam[] = [], options: QueryOptions = {}): Promise<QueryResult> {
    const numbered = numberPlaceholders(sql, params);
    if (options.bulk) return this.bulkQuery(sql, numbered, params);
    const result = await this.run(numbered, params);
    const valueTypes = await this.valueTypes(result.fields.map((field) => field.dataTypeID));
    const rows = (result.rows as unknown as Array<Array<string | null>>).map(rowConverter(valueTypes));
    return { columns: result.fields.map((field) => field.name), rows };
  }

  /** The same rows as a bulk `query`, read through one COPY as they are taken (the socket waits while the queue is full). */
  streamRows(sql: string, params: readonly SourceParam[], options: StreamOptions): RowStream {
    const numbered = numberPlaceholders(sql, params);
    const queue = new RowQueue(options.bufferChars);
    this.streams.add(queue);
    const reading = (async () => {
      const shape = await this.bulkShape(sql, numbered, params, options.table);
      const convert = rowConverter(shape.types);
      await this.copyOut(
        copyStatement(sql, params),
        (line) => queue.push(convert(parseCopyLine(line)), line.length),
        () => queue.room(),
      );
    })();
    void reading
      .then(
        () => queue.end(),
        (error: unknown) => queue.end({ error }),
      )
      .finally(() => this.streams.delete(queue));
    return queue;
  }

  /**
   * The same result through `COPY (query) TO STDOUT`. COPY sends no column types,
   * so they are learned once per statement from an empty result of it.
   */
  private async bulkQuery(sql: string, numbered: string, params: readonly SourceParam[]): Promise<QueryResult> {
    const shape = await this.bulkShape(sql, numbered, params);
    const rows: SqliteValue[][] = [];
    const convert = rowConverter(shape.types);
    await this.copyOut(copyStatement(sql, params), (line) => void rows.push(convert(parseCopyLine(line))));
    return { columns: shape.columns, rows };
  }

  /**
   * The statement's columns: as learned in this use, or in an earlier one under the catalog reading
   * of `table` that describeColumns has just made again in this use, or else from an empty result.
   */
  private async bulkShape(
    sql: string,
    numbered: string,
    params: readonly SourceParam[],
    table?: string,
  ): Promise<BulkShape> {
    const reading = table === undefined ? undefined : this.catalogReadings.get(table);
    const catalog = reading?.use === this.use ? reading.text : undefined;
    const known = this.bulkShapes.get(sql);
    if (known && (known.use === this.use || (catalog !== undefined && known.catalog === catalog))) return known;
    const empty = await this.run(`SELECT * FROM (${numbered}) AS page LIMIT 0`, params);
    const types = await this.valueTypes(empty.fields.map((field) => field.dataTypeID));
    const shape = { columns: empty.fields.map((field) => field.name), types, use: this.use, catalog };
    this.bulkShapes.set(sql, shape);
    return shape;
  }

  /**
   * Runs a `COPY ... TO STDOUT` and hands each line to `onLine` as it arrives, so that
   * rows are converted while the rest are still on the wire: the work is spread over the
   * socket's reads instead of one long task at the end, and no page of raw lines is kept.
   */
  private async copyOut(
    copySql: string,
    onLine: (line: string) => void,
    room?: () => Promise<void> | null,
  ): Promise<void> {
    if (this.closed)
      throw sourceError(new Error("connection is closed"), "PostgreSQL query failed", this.target.secrets);
    // A line `onLine` rejects (a value it cannot convert) fails the query as itself, not as a
    // source failure; the rest of the stream is drained and ignored.
    let lineError: { error: unknown } | undefined;
    const reading = new Promise<void>((resolve, reject) => {
      let failed = false;
      const takeLine = (line: string) => {
        if (lineError) return;
        try {
          onLine(line);
        } catch (error) {
          lineError = { error };
        }
      };
      // pg runs this object as the active query for one statement; the socket takes its rows (pg-socket.ts).
      const copy = {
        submit: (connection: { query(text: string): void }) => {
          this.socket.readCopyOut(takeLine, room);
          connection.query(copySql);
        },
        handleCommandComplete: () => undefined,
        handleEmptyQuery: () => undefined,
        handleError: (error: unknown) => {
          failed = true;
          reject(error);
        },
        handleReadyForQuery: () => {
          if (failed) return;
          if (lineError) reject(lineError);
          else resolve();
        },
      };
      this.client.query(copy as unknown as pg.Submittable);
    });
    try {
      return await this.deadline(reading);
    } catch (error) {
      if (lineError && error === lineError) throw lineError.error;
      throw sourceError(error, "PostgreSQL query failed", this.target.secrets);
    }
  }

  async describeTable(table: string): Promise<TableInfo> {
    const columns = await this.describeColumns(table);
    const primary = await this.indexes(table, true);
    return { schema: this.target.schema, name: table, columns, primaryKey: primary[0] ?? [] };
  }

  async describeColumns(table: string): Promise<SourceColumn[]> {
    const schema = this.target.schema;
    const columns = await this.query(
      `SELECT a.attname,
              format_type(a.atttypid, a.atttypmod),
              NOT a.attnotnull,
              CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) ELSE format_type(a.atttypid, a.atttypmod) END,
              c.oid::int8, a.atttypid::int8, t.typbasetype::int8
         FROM pg_attribute a
         JOIN pg_class c ON c.oid = a.attrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_type t ON t.oid = a.atttypid
        WHERE n.nspname = ? AND c.relname = ? AND a.attnum > 0 AND NOT a.attisdropped
          AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
        ORDER BY a.attnum`,
      [schema, table],
    );
    if (columns.rows.length === 0) throw tableNotFound(schema, table);
    // The types' identities are in the reading too: a type dropped and made again under its name is another type.
    this.catalogReadings.set(table, { use: this.use, text: JSON.stringify(columns.rows) });
    return columns.rows.map(([name, sourceType, nullable, baseType]) => ({
      name: String(name),
      sourceType: String(sourceType),
      nullable: nullable === 1,
      sqliteType: pgSqliteTypeOf(String(baseType)),
    }));
  }

  async hasIndexStartingWith(table: string, columns: readonly string[]): Promise<boolean> {
    return someIndexStartsWith(await this.indexes(table, false), columns);
  }

  reuse(): boolean {
    // pg's transaction status is the last ReadyForQuery's: "I" idle, "T" in a transaction, "E" in a failed one.
    const idle = (this.client as unknown as { getTransactionStatus(): string | null }).getTransactionStatus() === "I";
    if (this.closed || this.ended || this.streams.size > 0 || !idle) return false;
    this.use++;
    for (const [sql, shape] of this.bulkShapes) if (shape.catalog === undefined) this.bulkShapes.delete(sql);
    return true;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // A stream nobody takes from holds the socket's reads: let them go before the connection ends.
    for (const stream of this.streams) void stream.cancel();
    await this.client.end().catch(() => undefined);
  }

  /** Key columns (not INCLUDE columns) of valid indexes on the table, in key order. */
  private async indexes(table: string, primaryOnly: boolean): Promise<string[][]> {
    const result = await this.query(
      `SELECT ic.relname, a.attname
         FROM pg_index i
         JOIN pg_class t ON t.oid = i.indrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
         JOIN pg_class ic ON ic.oid = i.indexrelid
         CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
         LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum AND k.attnum > 0
        WHERE n.nspname = ? AND t.relname = ? AND i.indisvalid AND k.ord <= i.indnkeyatts
          AND (i.indisprimary OR NOT ?::boolean)
        ORDER BY ic.relname, k.ord`,
      [this.target.schema, table, primaryOnly],
    );
    return groupIndexColumns(
      result.rows.map(([index, column]) => [String(index), column === null ? null : String(column)]),
    );
  }

  /** Bounds a statement by the client-side backstop; on expiry the connection is torn down. */
  private deadline<T>(work: Promise<T>): Promise<T> {
    const timeoutMs = this.options.statementTimeoutMs;
    return withDeadline(
      work,
      timeoutMs + CLIENT_GRACE_MS,
      () => new Error(`statement timed out after ${timeoutMs} ms`),
      () => void this.close(),
    );
  }

  private async run(text: string, params: readonly SourceParam[]): Promise<pg.QueryResult> {
    if (this.closed)
      throw sourceError(new Error("connection is closed"), "PostgreSQL query failed", this.target.secrets);
    try {
      const result: pg.QueryResult | pg.QueryResult[] = await this.deadline(
        this.client.query({ text, values: [...params], rowMode: "array", types: RAW_TEXT }),
      );
      // A multi-statement text without parameters yields one result per statement: keep the last.
      return Array.isArray(result) ? result[result.length - 1]! : result;
    } catch (error) {
      throw sourceError(error, "PostgreSQL query failed", this.target.secrets);
    }
  }

  private valueTypes(oids: readonly number[]): Promise<PgValueType[]> {
    return this.typeResolver.valueTypes(oids);
  }
}

/** `?` placeholders as `$n`, checked against the parameters given. */
function numberPlaceholders(sql: string, params: readonly SourceParam[]): string {
  const rewritten = rewritePlaceholders(sql);
  if (rewritten.count > 0 && rewritten.count !== params.length) {
    throw new ValidationError(
      `statement has ${rewritten.count} placeholders but ${params.length} parameters were given`,
    );
  }
  return rewritten.sql;
}

/** COPY takes no bound parameters: they are written in as literals. */
function copyStatement(sql: string, params: readonly SourceParam[]): string {
  return `COPY (${rewritePlaceholders(sql, (n) => pgLiteral(params[n - 1])).sql}) TO STDOUT`;
}

/** Converts one row of text values in place, for the columns whose type needs it. */
function rowConverter(types: readonly PgValueType[]): (row: Array<string | null>) => SqliteValue[] {
  const columns = types.flatMap((type, i) => {
    const convert = pgValueConverter(type);
    return convert ? [{ i, convert }] : [];
  });
  return (row) => {
    const out = row as Array<string | null | SqliteValue>;
    for (const { i, convert } of columns) {
      const raw = row[i];
      if (raw !== null && raw !== undefined) out[i] = convert(raw as string);
    }
    return out as SqliteValue[];
  };
}
