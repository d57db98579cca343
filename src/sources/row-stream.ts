/**
 * Rows of one statement handed over as they arrive, no faster than they are taken: a bulk read of
 * many pages over one statement pays the source's round trip once, where a statement per page pays
 * it per page, while the rows waiting in the isolate stay bounded. Pure: the source's reader pushes
 * rows and waits for room; the caller takes them.
 */
import type { RowStream, SqliteValue } from "./types";

/** A RowStream whose reader waits (`room`) while rows of `bufferChars` wait to be taken. */
export class RowQueue implements RowStream {
  #rows: SqliteValue[][] = [];
  #chars = 0;
  #ended = false;
  #failure: { error: unknown } | null = null;
  #dropping = false;
  #wakeTaker: (() => void) | null = null;
  #wakeReader: (() => void) | null = null;
  readonly #finished: Promise<void>;
  #finish!: () => void;

  constructor(private readonly bufferChars: number) {
    this.#finished = new Promise((resolve) => (this.#finish = resolve));
  }

  /** One row, with about how much text it came as. */
  push(row: SqliteValue[], chars: number): void {
    if (this.#dropping || this.#ended) return;
    this.#rows.push(row);
    this.#chars += chars;
    this.#wake("taker");
  }

  /** A promise to wait on before reading more from the source, or null when there is room. */
  room(): Promise<void> | null {
    if (this.#dropping || this.#ended || this.#chars < this.bufferChars) return null;
    return new Promise((resolve) => (this.#wakeReader = resolve));
  }

  /** The statement has ended, or failed with `failure`. */
  end(failure?: { error: unknown }): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#failure = failure ?? null;
    this.#wake("taker");
    this.#wake("reader");
    this.#finish();
  }

  async next(): Promise<SqliteValue[][] | null> {
    for (;;) {
      if (this.#failure) throw this.#failure.error;
      if (this.#rows.length > 0) {
        const rows = this.#rows;
        this.#rows = [];
        this.#chars = 0;
        this.#wake("reader");
        return rows;
      }
      if (this.#dropping) {
        // Cancelled by someone else (the connection closing): not an end the taker may take for the source's.
        await this.#finished;
        const failure = this.#failure as { error: unknown } | null;
        throw failure ? failure.error : new Error("the statement's rows were dropped before it ended");
      }
      if (this.#ended) return null;
      await new Promise<void>((resolve) => (this.#wakeTaker = resolve));
    }
  }

  cancel(): Promise<void> {
    this.#dropping = true;
    this.#rows = [];
    this.#chars = 0;
    this.#wake("reader");
    this.#wake("taker");
    return this.#finished;
  }

  #wake(who: "taker" | "reader"): void {
    const wake = who === "taker" ? this.#wakeTaker : this.#wakeReader;
    if (who === "taker") this.#wakeTaker = null;
    else this.#wakeReader = null;
    wake?.();
  }
}
