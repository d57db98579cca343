/**
 * A decoder of PostgreSQL's logical replication protocol as the `pgoutput`
 * plugin writes it with `proto_version` 1 (the messages that
 * `pg_logical_slot_peek_binary_changes` returns, one per row). Pure: bytes in,
 * plain objects out. Column values stay the server's text: the same text the
 * type's output function prints, hence the same as `col::text` in the session.
 * https://www.postgresql.org/docs/15/protocol-logicalrep-message-formats.html
 */
import { Buffer } from "node:buffer";

/** A column whose TOASTed value did not change in an update: pgoutput sends no value for it. */
export const UNCHANGED = Symbol("unchanged TOASTed value");

export type TupleValue = string | null | typeof UNCHANGED;

export interface RelationColumn {
  name: string;
  typeOid: number;
  typmod: number;
  /** Part of the replica identity (the primary key under REPLICA IDENTITY DEFAULT). */
  key: boolean;
}

export interface RelationMessage {
  type: "relation";
  oid: number;
  namespace: string;
  name: string;
  /** `d` default (primary key), `n` nothing, `f` full, `i` index. */
  replicaIdentity: string;
  columns: RelationColumn[];
}

export type PgOutputMessage =
  | { type: "begin"; finalLsn: bigint; xid: number }
  | { type: "commit"; commitLsn: bigint; endLsn: bigint; commitTimeMicros: number }
  | RelationMessage
  | { type: "insert"; relation: number; values: TupleValue[] }
  /** `old` is the old key (`K`, the key changed) or the whole old row (`O`, REPLICA IDENTITY FULL), or null. */
  | { type: "update"; relation: number; old: TupleValue[] | null; values: TupleValue[] }
  | { type: "delete"; relation: number; old: TupleValue[] }
  | { type: "truncate"; relations: number[] }
  /** Origin, Type and logical decoding messages: nothing to apply. */
  | { type: "other"; tag: string };

export class PgOutputError extends Error {}

// ignoreBOM keeps a leading U+FEFF, which is part of the value; fatal: bytes that are not UTF-8 fail loudly.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Reads one message; throws PgOutputError for bytes that are not a pgoutput v1 message. */
export function decodeMessage(bytes: Uint8Array, start = 0, end = bytes.length, latin1?: string): PgOutputMessage {
  const r = reader.reset(bytes, start, end, latin1);
  const tag = String.fromCharCode(r.byte());
  switch (tag) {
    case "B": {
      const finalLsn = r.int64();
      r.skip(8); // commit timestamp
      return { type: "begin", finalLsn, xid: r.uint32() };
    }
    case "C": {
      r.skip(1); // flags, unused
      const commitLsn = r.int64();
      const endLsn = r.int64();
      return { type: "commit", commitLsn, endLsn, commitTimeMicros: r.int64Number() };
    }
    case "R": {
      const oid = r.uint32();
      const namespace = r.cstring();
      const name = r.cstring();
      const replicaIdentity = String.fromCharCode(r.byte());
      const count = r.int16();
      const columns: RelationColumn[] = [];
      for (let i = 0; i < count; i++) {
        const flags = r.byte();
        columns.push({ name: r.cstring(), typeOid: r.uint32(), typmod: r.int32(), key: (flags & 1) === 1 });
      }
      return { type: "relation", oid, namespace, name, replicaIdentity, columns };
    }
    case "I": {
      const relation = r.uint32();
      r.expect(0x4e /* N */);
      return { type: "insert", relation, values: r.tuple() };
    }
    case "U": {
      const relation = r.uint32();
      let old: TupleValue[] | null = null;
      const kind = r.byte();
      if (kind === 0x4b /* K */ || kind === 0x4f /* O */) {
        old = r.tuple();
        r.expect(0x4e);
      } else if (kind !== 0x4e) {
        throw new PgOutputError(
          `update message: expected K, O or N, found ${JSON.stringify(String.fromCharCode(kind))}`,
        );
      }
      return { type: "update", relation, old, values: r.tuple() };
    }
    case "D": {
      const relation = r.uint32();
      const kind = r.byte();
      if (kind !== 0x4b && kind !== 0x4f) {
        throw new PgOutputError(`delete message: expected K or O, found ${JSON.stringify(String.fromCharCode(kind))}`);
      }
      return { type: "delete", relation, old: r.tuple() };
    }
    case "T": {
      const count = r.uint32();
      r.skip(1); // CASCADE / RESTART IDENTITY: the replica is emptied either way
      const relations: number[] = [];
      for (let i = 0; i < count; i++) relations.push(r.uint32());
      return { type: "truncate", relations };
    }
    default:
      return { type: "other", tag };
  }
}

/** Big-endian reads over one message; a single instance is reused (decoding is synchronous). */
class Reader {
  private at = 0;
  private end = 0;
  private start = 0;
  private bytes: Uint8Array = new Uint8Array(0);
  /** The same bytes as a latin1 string, when the caller has one: ASCII values are sliced from it. */
  private latin1: string | undefined;

  reset(bytes: Uint8Array, start: number, end: number, latin1: string | undefined): this {
    this.bytes = bytes;
    this.latin1 = latin1;
    this.start = start;
    this.at = start;
    this.end = end;
    return this;
  }

  private need(n: number): void {
    if (this.at + n > this.end) {
      throw new PgOutputError(
        `message ends early: needs ${n} bytes at offset ${this.at - this.start} of ${this.end - this.start}`,
      );
    }
  }

  byte(): number {
    this.need(1);
    return this.bytes[this.at++]!;
  }

  skip(n: number): void {
    this.need(n);
    this.at += n;
  }

  expect(tag: number): void {
    const found = this.byte();
    if (found !== tag) {
      throw new PgOutputError(
        `expected ${String.fromCharCode(tag)}, found ${JSON.stringify(String.fromCharCode(found))}`,
      );
    }
  }

  int16(): number {
    this.need(2);
    const b = this.bytes;
    const value = ((b[this.at]! << 24) | (b[this.at + 1]! << 16)) >> 16;
    this.at += 2;
    return value;
  }

  int32(): number {
    this.need(4);
    const b = this.bytes;
    const at = this.at;
    this.at += 4;
    return (b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!;
  }

  uint32(): number {
    return this.int32() >>> 0;
  }

  int64(): bigint {
    const high = this.uint32();
    return (BigInt(high) << 32n) | BigInt(this.uint32());
  }

  /** A signed 64-bit integer that fits a double (timestamps in microseconds). */
  int64Number(): number {
    const high = this.int32();
    return high * 2 ** 32 + this.uint32();
  }

  cstring(): string {
    const end = this.bytes.indexOf(0, this.at);
    if (end < 0 || end >= this.end) throw new PgOutputError(`unterminated string at offset ${this.at - this.start}`);
    const text = this.text(this.at, end);
    this.at = end + 1;
    return text;
  }

  tuple(): TupleValue[] {
    const count = this.int16();
    const values: TupleValue[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const kind = this.byte();
      if (kind === 0x74 /* t */) {
        const length = this.int32();
        this.need(length);
        values[i] = this.text(this.at, this.at + length);
        this.at += length;
      } else if (kind === 0x6e /* n */) {
        values[i] = null;
      } else if (kind === 0x75 /* u */) {
        values[i] = UNCHANGED;
      } else {
        // `b` (binary) exists only when the slot is read with binary = true, which this reader never asks for.
        throw new PgOutputError(`column ${i}: unsupported value kind ${JSON.stringify(String.fromCharCode(kind))}`);
      }
    }
    return values;
  }

  /** UTF-8 text of bytes[from, to). ASCII (most values) needs no decoding: a slice of the latin1 string, or of the bytes. */
  private text(from: number, to: number): string {
    const bytes = this.bytes;
    if (!isAscii(bytes, from, to)) return utf8.decode(bytes.subarray(from, to));
    if (this.latin1 !== undefined) return this.latin1.slice(from, to);
    return String.fromCharCode.apply(null, bytes.subarray(from, to) as unknown as number[]);
  }
}

/** Ranges at least this long are checked four bytes at a time. */
const WORDWISE_MIN = 64;

/** True when `bytes[from, to)` are all below 0x80. A wide value (up to 2 MB) is checked a word at a time. */
export function isAscii(bytes: Uint8Array, from: number, to: number): boolean {
  let i = from;
  if (to - from >= WORDWISE_MIN) {
    while ((bytes.byteOffset + i) % 4 !== 0) if (bytes[i++]! >= 0x80) return false;
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset + i, (to - i) >>> 2);
    for (let w = 0; w < words.length; w++) if ((words[w]! & 0x80808080) !== 0) return false;
    i += words.length * 4;
  }
  for (; i < to; i++) if (bytes[i]! >= 0x80) return false;
  return true;
}

const reader = new Reader();

/** Messages in order, with each one's size in bytes. */
export interface MessageChunk {
  messages: PgOutputMessage[];
  sizes: number[];
}

/**
 * Decodes groups of messages, each group the base64 text (PostgreSQL's, with a
 * line break every 76 characters) of length-prefixed messages (a 4-byte
 * big-endian length, then the message), as the slot reader's query packs them.
 * One native decode per group, then each message read in place, its ASCII
 * values sliced from one latin1 string of the group.
 */
export function decodeMessageGroups(groups: readonly string[]): MessageChunk {
  const messages: PgOutputMessage[] = [];
  const sizes: number[] = [];
  for (const text of groups) {
    const bytes = Buffer.from(text, "base64");
    const latin1 = bytes.toString("latin1");
    for (let at = 0; at < bytes.length;) {
      if (at + 4 > bytes.length) throw new PgOutputError("a message group ends inside a length");
      const length = ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
      const start = at + 4;
      if (start + length > bytes.length) throw new PgOutputError("a message group ends inside a message");
      messages.push(decodeMessage(bytes, start, start + length, latin1));
      sizes.push(length);
      at = start + length;
    }
  }
  return { messages, sizes };
}
