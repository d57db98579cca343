/**
 * The socket `pg` reads from in workerd, with large reads. pg-cloudflare's socket
 * reads with a default reader, which workerd serves in 4 KiB chunks: reading a page
 * of COPY rows then cost a stream read, a copied Buffer and a parser merge per 4 KiB
 * (about 20% of a backfill's CPU profile). This one reads into 64 KiB buffers of its
 * own (a BYOB reader), and hands each to pg without a copy; a fresh buffer per read,
 * because pg's parser keeps the last one when a message continues into the next read.
 *
 * It overrides only the read loop of pg-cloudflare's CloudflareSocket (connect, TLS
 * upgrade and close are its own), so it depends on that loop's fields: the version
 * is pinned in package.json.
 */
import { Buffer } from "node:buffer";
import type { EventEmitter } from "node:events";
import * as pgCloudflare from "pg-cloudflare";

const READ_BYTES = 64 * 1024;

/** The fields of CloudflareSocket the read loop uses (private in its typings). */
interface ReadLoopFields {
  _cfSocket: { readable: ReadableStream<Uint8Array> } | null;
  _cfReader: { releaseLock(): void };
}

/**
 * TypeScript resolves the package to its stub for other runtimes (the `workerd` export
 * condition is the bundler's), so the class is typed here by what this file uses.
 */
const { CloudflareSocket } = pgCloudflare as unknown as {
  CloudflareSocket: new (ssl: boolean) => EventEmitter & { _listen(): Promise<void> };
};

export class LargeReadPgSocket extends CloudflareSocket {
  override async _listen(): Promise<void> {
    const self = this as unknown as ReadLoopFields;
    if (!self._cfSocket) return;
    // connect() and startTls() take a default reader just before calling this loop.
    self._cfReader.releaseLock();
    const reader = self._cfSocket.readable.getReader({ mode: "byob" });
    self._cfReader = reader;
    for (;;) {
      const { done, value } = await reader.read(new Uint8Array(READ_BYTES));
      if (done || !value) return;
      this.emit("data", Buffer.from(value.buffer, value.byteOffset, value.byteLength));
    }
  }
}
