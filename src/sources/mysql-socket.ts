/**
 * The TCP socket mysql2 reads from, with large reads. workerd's `node:net`
 * reads at most 4 KiB per read by default, and at that size the per-read cost
 * (a stream read, a Buffer, a copy, a 'data' event, and mysql2 joining the
 * rows split across reads) was most of the time spent reading a page. The
 * documented `onread` option reads up to READ_BYTES into one buffer that is
 * used again for the next read; mysql2 gets a copy of what arrived (it keeps
 * parts of a chunk until the rest of a row arrives).
 *
 * Plain TCP only: mysql2 upgrades a TLS connection by wrapping its socket in
 * a new TLSSocket, which reads with its own defaults.
 */
import { Buffer } from "node:buffer";
import net from "node:net";

const READ_BYTES = 64 * 1024;

export function largeReadSocket(host: string, port: number): net.Socket {
  let spare: ArrayBuffer | null = null;
  const options = {
    host,
    port,
    onread: {
      // A read hands the buffer over (BYOB) and gives it back in the chunk: that one is read into next.
      buffer: () => new Uint8Array(spare ?? new ArrayBuffer(READ_BYTES)),
      callback: (bytes: number, chunk: Uint8Array): void => {
        spare = chunk.buffer as ArrayBuffer;
        const copy = new Uint8Array(chunk.buffer, chunk.byteOffset, bytes).slice();
        socket.emit("data", Buffer.from(copy.buffer, 0, bytes));
      },
    },
  };
  // @types/node types `onread` for net.Socket options only, not for connect().
  const socket = net.connect(options as unknown as net.NetConnectOpts);
  return socket;
}
