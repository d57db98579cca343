/**
 * Reading a logical replication slot over plain SQL. One peek per run,
 * `pg_logical_slot_peek_binary_changes`, materialized by the server (it spills
 * to disk, not to our memory) behind a cursor that is fetched in bounded
 * chunks; a transaction larger than a chunk never has to fit in memory at once.
 * Peeking consumes nothing: the slot moves only when `finish` advances it,
 * after the changes are committed to SQLite.
 *
 * The server packs the messages, in order, into groups of about `groupBytes`,
 * each a length-prefixed run of messages in base64: a few rows per megabyte
 * instead of one per message (the driver's cost is per row), for a sort of the
 * peek's rows on the server.
 */
import { AppError, SourceUnavailableError } from "../../../src/errors";
import { pgLiteral } from "../../../src/sources/pg-copy";
import type { SourceConnection } from "../../../src/sources/types";
import type { CdcSettings } from "../engine/settings";
import { formatLsn } from "./lsn";
import { decodeMessageGroups, type MessageChunk } from "./pgoutput";
import type { ColumnShape } from "./schema";
import { type SlotReading, slotReadingOf, slotReadingSql } from "./slot";

/**
 * The slot after a read: its health, whether the publication and the table (its OID now) are still
 * there, and the table's columns as the catalog had them when the peek started (null if unknown).
 */
export type SlotEnd = SlotReading & { columnsAtPeek: ColumnShape[] | null };

const CURSOR = "starbase_cdc_changes";
/** A session setting that carries the WAL flush position read when the peek starts to the advance. */
const FLUSH_SETTING = "starbase.cdc_flush_lsn";
/** One that carries the table's columns, read in the same statement as that position, to the end. */
const COLUMNS_SETTING = "starbase.cdc_columns";

export interface SlotReaderOptions {
  cdc: CdcSettings;
  /** The job's table, whose OID the slot's state reports at the end. */
  schema: string;
  table: string;
  /** The table's OID, whose columns are read when the peek starts. */
  tableOid: number;
  /** Most messages one peek decodes (whole transactions: PostgreSQL stops at the first commit past it). */
  peekMessages: number;
  /** Bytes of messages the server packs into one row (a message larger than this makes a larger row). */
  groupBytes: number;
  /** Bytes of messages per fetch (whole groups: at least one). */
  fetchBytes: number;
}

/** The peek, its messages numbered in order and packed into groups of about `groupBytes`. */
export function peekSql(cdc: CdcSettings, peekMessages: number, groupBytes: number): string {
  // publication_names is a list of identifiers: quoted, so the name's case is kept.
  const publications = `"${cdc.publication.replaceAll('"', '""')}"`;
  const peek =
    `pg_logical_slot_peek_binary_changes(${pgLiteral(cdc.slot)}, NULL, ${Math.floor(peekMessages)}, ` +
    `'proto_version', '1', 'publication_names', ${pgLiteral(publications)}) WITH ORDINALITY AS c(lsn, xid, data, n)`;
  return (
    `SELECT encode(string_agg(int4send(octet_length(data)) || data, ''::bytea ORDER BY n), 'base64') ` +
    `FROM (SELECT n, data, sum(octet_length(data) + 4) OVER (ORDER BY n) - octet_length(data) - 4 AS at ` +
    `FROM ${peek} WHERE NOT ${idleSql(cdc)}) AS m ` +
    `GROUP BY at / ${groupBytes} ORDER BY at / ${groupBytes}`
  );
}

/**
 * True when the slot has confirmed everything flushed: the peek then is not run
 * at all (it would decode the WAL from the slot's restart_lsn to find nothing).
 * A slot missing, lost or read by another session is peeked, and the peek fails
 * as it should.
 */
export function idleSql(cdc: CdcSettings): string {
  return (
    `EXISTS (SELECT FROM pg_replication_slots WHERE slot_name = ${pgLiteral(cdc.slot)} AND NOT active ` +
    `AND wal_status <> 'lost' AND confirmed_flush_lsn >= pg_current_wal_flush_lsn())`
  );
}

export class SlotReader {
  private fetched = 0;
  private readonly asked: number;
  private done = false;

  constructor(
    private readonly source: SourceConnection,
    private readonly options: SlotReaderOptions,
  ) {
    this.asked = Math.max(1, Math.floor(options.fetchBytes / options.groupBytes));
  }

  /** True once the peek has nothing more to give. */
  get ended(): boolean {
    return this.done;
  }

  /** Starts the peek and answers its first chunk of messages. */
  async start(): Promise<MessageChunk> {
    return this.chunk(
      `BEGIN; SELECT set_config('${FLUSH_SETTING}', pg_current_wal_flush_lsn()::text, false), ` +
        `set_config('${COLUMNS_SETTING}', ${columnsJsonSql(this.options.tableOid)}, false); ` +
        `DECLARE ${CURSOR} NO SCROLL CURSOR FOR ${peekSql(this.options.cdc, this.options.peekMessages, this.options.groupBytes)}; ` +
        `FETCH ${this.asked} FROM ${CURSOR}`,
    );
  }

  /** The next chunk; empty once the peek is exhausted. */
  async next(): Promise<MessageChunk> {
    if (this.done) return { messages: [], sizes: [] };
    return this.chunk(`FETCH ${this.asked} FROM ${CURSOR}`);
  }

  /**
   * True when the peek was read to its end and was not cut short by `peekMessages`:
   * every transaction committed before the peek started has been seen.
   */
  get drained(): boolean {
    return this.done && this.fetched < this.options.peekMessages;
  }

  /**
   * Ends the peek and advances the slot to `appliedLsn` (the end of the last
   * transaction committed to SQLite), or, when the slot was drained and everything
   * read was applied, to the flush position read when the peek started: that
   * releases WAL written for other tables meanwhile. Answers the slot's state after,
   * and the table's columns as of that position: a schema change with no row change
   * after it sends no Relation message, and shows only there.
   */
  async finish(appliedLsn: bigint | null, caughtUp: boolean, now: number): Promise<SlotEnd> {
    const { cdc, schema, table } = this.options;
    const applied = pgLiteral(formatLsn(appliedLsn ?? 0n));
    const flush = caughtUp ? `current_setting('${FLUSH_SETTING}')::pg_lsn` : "NULL";
    const result = await this.source.query(
      `CLOSE ${CURSOR}; COMMIT; ` +
        `SELECT pg_replication_slot_advance(slot_name, t.lsn) FROM pg_replication_slots, ` +
        `(SELECT GREATEST(${applied}::pg_lsn, ${flush}) AS lsn) AS t ` +
        `WHERE slot_name = ${pgLiteral(cdc.slot)} AND confirmed_flush_lsn < t.lsn; ` +
        `SELECT r.*, current_setting('${COLUMNS_SETTING}', true) FROM (${slotReadingSql(cdc, schema, table)}) AS r`,
    );
    const row = result.rows[0]!;
    return { ...slotReadingOf(row, now), columnsAtPeek: columnsOfJson(row[row.length - 1]) };
  }

  private async chunk(sql: string): Promise<MessageChunk> {
    let rows;
    try {
      rows = (await this.source.query(sql)).rows;
    } catch (error) {
      // The session stays usable (the run may look at the slot next): end the failed transaction.
      await this.source.query("ROLLBACK").catch(() => undefined);
      throw explainSlotError(error, this.options.cdc.slot);
    }
    if (rows.length < this.asked) this.done = true;
    const chunk = decodeMessageGroups(rows.map((row) => String(row[0] ?? "")));
    this.fetched += chunk.messages.length;
    return chunk;
  }
}

/** Only one session may read a slot; the run fails, and the job retries with its backoff. */
function explainSlotError(error: unknown, slot: string): unknown {
  if (!(error instanceof AppError)) return error;
  if (/\(55006\)|is active for PID/.test(error.message)) {
    return new SourceUnavailableError(
      `replication slot ${slot} is being read by another session (${error.message}); ` +
        `only one reader at a time: the job tries again after its backoff`,
    );
  }
  return error;
}

/**
 * The table's columns in order, as JSON text: [[name, type OID, type modifier], ...]; those a
 * Relation message names, so generated columns (which pgoutput does not send) are left out.
 */
function columnsJsonSql(tableOid: number): string {
  return (
    `(SELECT coalesce(json_agg(json_build_array(attname, atttypid, atttypmod) ORDER BY attnum), '[]')::text ` +
    `FROM pg_attribute WHERE attrelid = ${Math.trunc(tableOid)}::oid AND attnum > 0 AND NOT attisdropped ` +
    `AND attgenerated = '')`
  );
}

export function columnsOfJson(text: unknown): ColumnShape[] | null {
  if (typeof text !== "string" || text === "") return null;
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed) || parsed.length === 0) return null;
  return parsed.map((c: [string, number, number]) => ({
    name: String(c[0]),
    typeOid: Number(c[1]),
    typmod: Number(c[2]),
  }));
}
