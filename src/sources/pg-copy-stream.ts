/**
 * Reading `COPY ... TO STDOUT` rows straight from the bytes a PostgreSQL server sends.
 * The server sends each row as its own CopyData message; through `pg`, every one became
 * a Buffer, a message object, an event and a decode of its own (about a tenth of a
 * backfill's CPU profile). This demultiplexer takes the CopyData payloads out of each
 * socket read, decodes them together and cuts the text into lines, and hands every
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

export class CopyOutDemux {
  private readonly header = new Uint8Array(HEADER_BYTES);
  private headerBytes = 0;
  /** The type of the message being read, and its body bytes still to come. */
  private type = 0;
  private bodyLeft = 0;
  private readonly decoder = new TextDecoder();
  /**
   * The text after the last complete line so far, in the pieces it came in: joined once, when its
   * line ends. Adding each read to it would copy the line so far at every read (a 1 MB row in
   * 64 KiB reads: 8.5 MB of copies).
   */
  private partialLine: string[] = [];
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

  /** Decodes the payload bytes gathered at the front of `chunk` and hands on the complete lines. */
  private flushRows(chunk: Uint8Array, rowBytes: number): void {
    if (rowBytes === 0) return;
    const text = this.decoder.decode(chunk.subarray(0, rowBytes), { stream: true });
    const lines = text.split("\n");
    const rest = lines.pop()!;
    if (lines.length > 0 && this.partialLine.length > 0) {
      this.partialLine.push(lines[0]!);
      lines[0] = this.partialLine.join("");
      this.partialLine = [];
    }
    if (rest !== "") this.partialLine.push(rest);
    for (const line of lines) this.onLine(line);
  }
}
