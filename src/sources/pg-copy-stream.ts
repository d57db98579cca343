/**
 * Reading `COPY ... TO STDOUT` rows straight from the bytes a PostgreSQL server sends.
 * The server sends each row as its own CopyData message; through `pg`, every one became
 * a Buffer, a message object, an event and a decode of its own (about a tenth of a
 * backfill's CPU profile). This demultiplexer takes the CopyData payloads out of each
 * socket read, decodes their complete lines together, and hands every
 * other message (CopyOutResponse, CopyDone, CommandComplete, ErrorResponse, notices,
 * ReadyForQuery) on to `pg`, which completes or fails the query as before. Pure: it
 * sees bytes, not a socket.
 *
 * It must start at a message boundary (pg-socket.ts starts it when `pg` sends the
 * statement, after the previous ReadyForQuery) and it ends after ReadyForQuery.
 */

const COPY_DATA = 0x64; // 'd'
const READY_FOR_QUERY = 0x5a; // 'Z'
const HEADER_BYTES = 5; // type byte + int32 length (which counts itself)
const NEWLINE = 0x0a;

export class CopyOutDemux {
  private readonly header = new Uint8Array(HEADER_BYTES);
  private headerBytes = 0;
  /** The type of the message being read, and its body bytes still to come. */
  private type = 0;
  private bodyLeft = 0;
  /** A leading U+FEFF is a value's first character here, not a byte order mark to drop. */
  private readonly decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
  /**
   * The bytes after the last complete line so far (`partialBytes` of them), kept as bytes and
   * decoded once, with the rest of their line. Only whole lines are decoded, so a character is
   * never cut (a newline byte is never part of a longer UTF-8 sequence), and a row longer than a
   * read (a 1 MB text) becomes one string, not a string per read joined into another.
   */
  private partial = new Uint8Array(0);
  private partialBytes = 0;
  private done = false;

  constructor(
    /** One row's line, without its newline. */
    private readonly onLine: (line: string) => void,
    /** Bytes of other messages, in order; each array is the demux's own copy. */
    private readonly passOn: (bytes: Uint8Array) => void,
  ) {}

  /**
   * Takes one read (it may rewrite the read's bytes). Returns true once ReadyForQuery has
   * been passed on: the statement is over, anything after it was passed on too, and the
   * demultiplexer is done with (the socket drops it).
   */
  push(chunk: Uint8Array): boolean {
    // CopyData payloads are moved to the front of `chunk` (in place) and decoded together.
    let rowBytes = 0;
    let i = 0;
    while (i < chunk.length && !this.done) {
      if (this.bodyLeft === 0) {
        while (this.headerBytes < HEADER_BYTES && i < chunk.length) this.header[this.headerBytes++] = chunk[i++]!;
        if (this.headerBytes < HEADER_BYTES) break;
        this.headerBytes = 0;
        const h = this.header;
        this.type = h[0]!;
        this.bodyLeft = (((h[1]! << 24) | (h[2]! << 16) | (h[3]! << 8) | h[4]!) >>> 0) - 4;
        if (this.type !== COPY_DATA) {
          // Rows before a message reach the caller before pg sees it (CommandComplete ends the query).
          this.flushRows(chunk, rowBytes);
          rowBytes = 0;
          this.passOn(h.slice());
        }
      } else {
        const take = Math.min(this.bodyLeft, chunk.length - i);
        if (this.type === COPY_DATA) {
          chunk.copyWithin(rowBytes, i, i + take);
          rowBytes += take;
        } else {
          this.passOn(chunk.slice(i, i + take));
        }
        this.bodyLeft -= take;
        i += take;
      }
      if (this.bodyLeft === 0 && this.headerBytes === 0 && this.type === READY_FOR_QUERY) this.done = true;
    }
    if (this.done) {
      if (i < chunk.length) this.passOn(chunk.slice(i));
      return true;
    }
    this.flushRows(chunk, rowBytes);
    return false;
  }

  /** Hands on the complete lines among the payload bytes gathered at the front of `chunk`. */
  private flushRows(chunk: Uint8Array, rowBytes: number): void {
    const payload = chunk.subarray(0, rowBytes);
    const last = payload.lastIndexOf(NEWLINE);
    if (last < 0) return this.keep(payload);
    let from = 0;
    if (this.partialBytes > 0) {
      // The line begun in earlier reads ends at this read's first newline.
      from = payload.indexOf(NEWLINE) + 1;
      this.keep(payload.subarray(0, from - 1));
      this.onLine(this.decoder.decode(this.partial.subarray(0, this.partialBytes)));
      this.partialBytes = 0;
    }
    if (from <= last) {
      for (const line of this.decoder.decode(payload.subarray(from, last)).split("\n")) this.onLine(line);
    }
    this.keep(payload.subarray(last + 1));
  }

  /** Adds `bytes` to the unfinished line. */
  private keep(bytes: Uint8Array): void {
    const needed = this.partialBytes + bytes.length;
    if (needed > this.partial.length) {
      const grown = new Uint8Array(Math.max(needed, this.partial.length * 2, 1024));
      grown.set(this.partial.subarray(0, this.partialBytes));
      this.partial = grown;
    }
    this.partial.set(bytes, this.partialBytes);
    this.partialBytes = needed;
  }
}
