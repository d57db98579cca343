/**
 * Reads the rows after a position in keyset order (keyset.ts) and cuts them into pages for the
 * writers (sync.ts, the re-copy), reading ahead while a page is written.
 *
 * A keyset statement can only start once the one before it has ended (it starts after that one's
 * last row), so each statement costs the source's round trip. One statement therefore reads many
 * pages' rows, streamed (SourceConnection.streamRows): about a quarter page of them waits in the
 * isolate while a page is written (READ_AHEAD_PAGES), and the next statement is sent as soon as the one before it has ended.
 */
import type { RowStream, SourceConnection, SqliteValue } from "../../../src/sources/types";
import { rowBytes } from "../replica/writes";
import type { Cursor } from "./cursor";
import { pageLimit, type PlannedQuery } from "./keyset";

export interface Page {
  rows: SqliteValue[][];
  /** The storage bytes of each row (replica/writes.ts rowBytes), and their sum. */
  sizes: number[];
  bytes: number;
  /** The source has no rows after these (the reader may have stopped for its row bound without it). */
  ended: boolean;
}

export interface PageReaderOptions {
  source: SourceConnection;
  /** The keyset statement for up to `limit` rows after `after`. */
  statement(after: Cursor | null, limit: number): PlannedQuery;
  /** The position after `rows`, which follow `after` (cursor.ts advanceCursor with the statement's columns). */
  advance(after: Cursor | null, rows: readonly SqliteValue[][]): Cursor | null;
  after: Cursor | null;
  /** Rows the reader may read in all: what the run's bounds leave it. */
  maxRows: number;
  /** Most rows in a page (the job's batch_size). */
  batchSize: number;
  /** A page ends once its rows reach this many bytes. */
  pageBytes: number;
  /** Bytes per row as the job's last read had them, if known (row-sizes.ts). */
  knownRowBytes: number | undefined;
  /** Rows in the first statement when the row size is not known: rows of 2 MB may come. */
  probeRows: number;
  /** Told of every page before it is handed out (row-sizes.ts remembers the row size). */
  onPage?: (rows: number, bytes: number) => void;
  /** The one table the statements read (StreamOptions.table). */
  table?: string;
}

/**
 * Pages of rows one statement reads: 16 pages of 512 KiB make 8 MiB, about 60,000 rows of a few
 * columns. Larger statements save round trips, smaller ones make a run that stops early (its time
 * bound) drop fewer rows read in vain, and keep one statement well inside statement_timeout.
 *
 * A reader's first statement reads one page: it may start at no position at all (`tracking IS NOT
 * NULL`), where a large LIMIT turns the source's plan into a scan and sort of the whole table
 * (MariaDB 10.11 on 1,000,000 rows: an index scan up to LIMIT 8,000, a full scan and filesort from
 * 16,000); the statements after it start after a row, which both servers read as an index range.
 */
export const STATEMENT_PAGES = 16;

/**
 * How much of a page's rows a statement reads ahead while a page is written. A whole page made the
 * isolate's heap peak of a 100,000-row PostgreSQL backfill 43.1 to 44.7 MiB, a quarter 29.3 to 29.7
 * (1,000,000 rows: 43.9 to 45.5 against 47.4 to 49.4), in no more time, locally or through 20 ms
 * round trips (`profile-backfill HEAP=1`, `remote-backfill`): the socket's own buffers keep the
 * server sending meanwhile.
 */
export const READ_AHEAD_PAGES = 0.25;

/** The rows of the next statement: sized by bytes when the row size is known, within what is left. */
export function statementRows(options: {
  rowBytes: number | undefined;
  left: number;
  batchSize: number;
  pageBytes: number;
  probeRows: number;
  /** Pages' worth of rows: 1 for a reader's first statement, STATEMENT_PAGES after it. */
  pages: number;
}): number {
  const { rowBytes: perRow, left } = options;
  let rows: number;
  if (perRow === undefined || perRow <= 0) rows = Math.min(options.batchSize, options.probeRows);
  else if (options.pages <= 1) rows = pageLimit(options.batchSize, 1, perRow, options.pageBytes);
  else rows = Math.floor((options.pages * options.pageBytes) / perRow);
  return Math.max(1, Math.min(rows, left));
}

export class PageReader {
  readonly #options: PageReaderOptions;
  #stream: RowStream | null = null;
  #statements = 0;
  /** Rows the open statement may return, and has returned so far. */
  #limit = 0;
  #returned = 0;
  /** The position after the last row read. */
  #after: Cursor | null;
  #read = 0;
  #bytesRead = 0;
  #exhausted = false;
  /** Rows read and not yet in a page, from `#head` on. */
  #pending: SqliteValue[][] = [];
  #pendingSizes: number[] = [];
  #head = 0;

  constructor(options: PageReaderOptions) {
    this.#options = options;
    this.#after = options.after;
    this.#open();
  }

  /** The next page: full by rows or bytes, or what is left before the source's end, the row bound or a statement's end. */
  async next(): Promise<Page> {
    const { batchSize, pageBytes } = this.#options;
    const page: Page = { rows: [], sizes: [], bytes: 0, ended: false };
    for (;;) {
      while (this.#head < this.#pending.length && page.rows.length < batchSize && page.bytes < pageBytes) {
        const size = this.#pendingSizes[this.#head]!;
        page.rows.push(this.#pending[this.#head]!);
        page.sizes.push(size);
        page.bytes += size;
        this.#head++;
      }
      if (page.rows.length >= batchSize || page.bytes >= pageBytes) return this.#handOut(page);
      this.#pending = [];
      this.#pendingSizes = [];
      this.#head = 0;
      if (!this.#stream) {
        page.ended = this.#exhausted;
        return this.#handOut(page);
      }
      const rows = await this.#stream.next();
      if (rows) this.#take(rows);
      else {
        this.#statementEnded();
        // The next statement is on its way; this page goes to be written meanwhile.
        if (page.rows.length > 0 && this.#stream) return this.#handOut(page);
      }
    }
  }

  /** Stops reading: the open statement's other rows are dropped. Call it before the connection's next statement. */
  async close(): Promise<void> {
    const stream = this.#stream;
    this.#stream = null;
    await stream?.cancel();
  }

  #handOut(page: Page): Page {
    this.#options.onPage?.(page.rows.length, page.bytes);
    return page;
  }

  #open(): void {
    const left = this.#options.maxRows - this.#read;
    if (left <= 0) return;
    this.#limit = statementRows({
      rowBytes: this.#read > 0 ? this.#bytesRead / this.#read : this.#options.knownRowBytes,
      left,
      batchSize: this.#options.batchSize,
      pageBytes: this.#options.pageBytes,
      probeRows: this.#options.probeRows,
      pages: this.#statements === 0 ? 1 : STATEMENT_PAGES,
    });
    this.#returned = 0;
    this.#statements++;
    const { sql, params } = this.#options.statement(this.#after, this.#limit);
    const bufferChars = this.#options.pageBytes * READ_AHEAD_PAGES;
    this.#stream = this.#options.source.streamRows(sql, params, { bufferChars, table: this.#options.table });
  }

  #take(rows: SqliteValue[][]): void {
    for (const row of rows) {
      const size = rowBytes(row);
      this.#pending.push(row);
      this.#pendingSizes.push(size);
      this.#bytesRead += size;
    }
    this.#read += rows.length;
    this.#returned += rows.length;
    this.#after = this.#options.advance(this.#after, rows);
  }

  #statementEnded(): void {
    this.#stream = null;
    if (this.#returned < this.#limit) this.#exhausted = true;
    else this.#open();
  }
}

/**
 * Runs `work`, then closes the reader: waiting for its statement to end when `work` returns (the
 * connection's next statement comes after it), not when it throws (the run fails and closes the
 * connection; its error is the one to report).
 */
export async function withReader<T>(reader: PageReader, work: () => Promise<T>): Promise<T> {
  let result: T;
  try {
    result = await work();
  } catch (error) {
    void reader.close();
    throw error;
  }
  await reader.close();
  return result;
}
