/**
 * The socket `pg` reads from in workerd, with large reads. pg-cloudflare's socket
 * reads with a default reader, which workerd serves in 4 KiB chunks: reading a page
 * of COPY rows then cost a stream read, a copied Buffer and a parser merge per 4 KiB
 * (about 20% of a backfill's CPU profile). This one reads into 64 KiB buffers of its
 * own (a BYOB reader), and hands each to pg without a copy; a fresh buffer per read,
 * because pg's parser keeps the last one when a message continues into the next read.
 * During a COPY it also takes the rows out of the stream itself (readCopyOut).
 *
 * It overrides only the read loop of pg-cloudflare's CloudflareSocket (connect, TLS
 * upgrade and close are its own), so it depends on that loop's fields: the version
 * is pinned in package.json.
 */
import { Buffer } from "node:buffer";
import type { EventEmitter } from "node:events";
import * as pgCloudflare from "pg-cloudflare";
import { CopyOutDemux } from "./pg-copy-stream";

const READ_BYTES = 64 * 1024;

/** The fields of CloudflareSocket the read loop uses (private in its typings). */
interface ReadLoopFields {
  _cfSocket: { readable: ReadableStream<Uint8Array> };
  _cfReader: { releaseLock(): void };
}

type SocketClass = new (ssl: boolean) => EventEmitter & { _listen(): Promise<void> };

/**
 * TypeScript resolves the package to its stub for other runtimes (the `workerd` export
 * condition is the bundler's), so the class is typed here by what this file uses. Outside
 * workerd (Node imports this module for the OpenAPI document) there is no such class.
 */
const CloudflareSocket =
  (pgCloudflare as unknown as { CloudflareSocket?: SocketClass }).CloudflareSocket ??
  (class {
    constructor() {
      throw new Error("PostgreSQL sources connect from workerd only");
    }
  } as unknown as SocketClass);

export class LargeReadPgSocket extends CloudflareSocket {
  private copyOut: CopyOutDemux | null = null;
  private copyRoom: (() => Promise<void> | null) | null = null;

  /**
   * Until the current statement's ReadyForQuery, the rows of a `COPY ... TO STDOUT` go to
   * `onLine` instead of through pg (pg-copy-stream.ts). Call it when pg sends the statement
   * (a Submittable's `submit`): the stream is then between messages. After each read, the
   * socket waits on what `room` returns before reading on (the server then waits too).
   */
  readCopyOut(onLine: (line: string) => void, room?: () => Promise<void> | null): void {
    this.copyOut = new CopyOutDemux(onLine, (bytes) => this.emit("data", toBuffer(bytes)));
    this.copyRoom = room ?? null;
  }

  override async _listen(): Promise<void> {
    const self = this as unknown as ReadLoopFields;
    // connect() and startTls() open the socket and take a default reader just before calling this loop.
    self._cfReader.releaseLock();
    const reader = self._cfSocket.readable.getReader({ mode: "byob" });
    self._cfReader = reader;
    for (;;) {
      const { done, value } = await reader.read(new Uint8Array(READ_BYTES));
      if (done || !value) return;
      const copyOut = this.copyOut;
      if (!copyOut) this.emit("data", toBuffer(value));
      // pg may start the next statement's COPY while this one's ReadyForQuery is passed on.
      else if (copyOut.push(value)) {
        if (this.copyOut === copyOut) this.copyOut = this.copyRoom = null;
      } else {
        const wait = this.copyRoom?.();
        if (wait) await wait;
      }
    }
  }
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
