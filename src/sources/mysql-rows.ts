/**
 * MySQL text-protocol result rows decoded straight from their bytes into the
 * values Durable Object SQLite stores: the mapping of mysql-types.ts, with the
 * conversion chosen once per column from the result's metadata instead of once
 * per value. Each value in a row packet is a length-coded string (0xFB is
 * NULL); numbers are parsed from their digits without an intermediate string.
 * Pure: works on any object with the packet's bytes and read offset.
 */
import { Buffer } from "node:buffer";
import { exactInteger, shortestFloat32, unsignedFromBytes } from "./numbers";
import { isoLocalTimestamp, isoUtcLocalDigits } from "./timestamps";
import { MYSQL_TYPE, timeWithDigits } from "./mysql-types";
import type { SqliteValue } from "./types";

/** A result column as mysql2 describes it (`ColumnDefinition`): the fields the decoding depends on. */
export interface MysqlResultField {
  name: string;
  columnType: number;
  flags: number | string[];
  /** Collation id of the value's bytes; 63 is binary. */
  characterSet: number;
  /** mysql2's name for that character set's encoding (`utf8`, `latin1`, `binary`...). */
  encoding: string;
  columnLength: number;
  decimals: number;
  /** MariaDB extended metadata (`json` for its JSON columns). */
  extendedFormat?: string;
}

/** A row packet: its bytes and the offset of the row's first value, which reading advances. */
export interface RowPacket {
  buffer: Uint8Array;
  offset: number;
  /** The driver's own decoding of a length-coded string, for encodings other than UTF-8. */
  readLengthCodedString(encoding: string): string | null;
}

const BINARY_CHARSET = 63;
const UNSIGNED_FLAG = 32;

/** How a column's values are read. Small integers, so the row loop is one switch. */
const INT = 0; // TINYINT..INT, YEAR: digits -> number
const BIGINT = 1; // digits -> number when safe, else the decimal text
const DECIMAL_TEXT = 2; // BIGINT UNSIGNED, DECIMAL, DATE: the ASCII text
const FLOAT = 3;
const DOUBLE = 4;
const DATETIME = 5;
const TIMESTAMP = 6;
const TIME = 7;
const UTF8 = 8;
const OTHER_TEXT = 9; // another character set (only if the session's result charset changed): the driver decodes
const BYTES = 10;
const BIT = 11;
const BIT_TEXT = 12; // BIT(64): may exceed int64, so always decimal text
const VECTOR_TEXT = 13;

/** The reading of one column, from its metadata (mysql2's text parser's choices, then mysql-types.ts's). */
export function columnKind(field: MysqlResultField): number {
  if (field.extendedFormat === "json") return textKind(field.encoding);
  const flags = typeof field.flags === "number" ? field.flags : 0;
  switch (field.columnType) {
    case MYSQL_TYPE.TINY:
    case MYSQL_TYPE.SHORT:
    case MYSQL_TYPE.LONG:
    case MYSQL_TYPE.INT24:
    case MYSQL_TYPE.YEAR:
      return INT;
    case MYSQL_TYPE.LONGLONG:
      // BIGINT UNSIGNED can exceed int64: its column is TEXT and always holds decimal text.
      return (flags & UNSIGNED_FLAG) !== 0 ? DECIMAL_TEXT : BIGINT;
    case MYSQL_TYPE.FLOAT:
      return FLOAT;
    case MYSQL_TYPE.DOUBLE:
      return DOUBLE;
    case MYSQL_TYPE.NULL:
    case MYSQL_TYPE.DECIMAL:
    case MYSQL_TYPE.NEWDECIMAL:
    case MYSQL_TYPE.DATE:
    case MYSQL_TYPE.NEWDATE:
      return DECIMAL_TEXT;
    case MYSQL_TYPE.DATETIME:
      return DATETIME;
    case MYSQL_TYPE.TIMESTAMP:
      return TIMESTAMP;
    case MYSQL_TYPE.TIME:
      return TIME;
    case MYSQL_TYPE.GEOMETRY:
      return BYTES; // WKB with its SRID prefix, not parsed
    case MYSQL_TYPE.VECTOR:
      return VECTOR_TEXT;
    case MYSQL_TYPE.JSON:
      return UTF8; // MySQL's JSON arrives as binary but is always UTF-8
    default:
      if (field.characterSet !== BINARY_CHARSET) return textKind(field.encoding);
      if (field.columnType !== MYSQL_TYPE.BIT) return BYTES;
      return field.columnLength >= 64 ? BIT_TEXT : BIT;
  }
}

function textKind(encoding: string): number {
  return encoding === "utf8" ? UTF8 : OTHER_TEXT;
}

/** Keeps a leading U+FEFF: it is part of the value. */
const utf8 = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
/** Buffers up to this size are decoded as a whole once (a socket read holds many rows); larger ones per value. */
const WHOLE_BUFFER_MAX = 1 << 20;

/**
 * Decodes the rows of one result set. `next(packet, fields)` is the shape of a
 * mysql2 row parser; the column readings are planned when a new field list appears.
 */
export class MysqlRowDecoder {
  private fields: readonly MysqlResultField[] | null = null;
  private kinds: number[] = [];
  private encodings: string[] = [];
  private decimals: Array<number | undefined> = [];
  private packetBuffer: Uint8Array | null = null;
  private bytes: Uint8Array = new Uint8Array(0);
  /** The buffer's bytes as latin1 characters, one per byte, or "" when the buffer is too large. */
  private chars = "";

  next(packet: RowPacket, fields: readonly MysqlResultField[]): SqliteValue[] {
    if (fields !== this.fields) this.plan(fields);
    const kinds = this.kinds;
    const b = this.bytesOf(packet.buffer);
    let o = packet.offset;
    const row: SqliteValue[] = new Array<SqliteValue>(kinds.length);
    for (let i = 0; i < kinds.length; i++) {
      const head = o;
      let len = b[o++]!;
      if (len >= 0xfb) {
        if (len === 0xfb) {
          row[i] = null;
          continue;
        }
        if (len === 0xfc) {
          len = b[o]! | (b[o + 1]! << 8);
          o += 2;
        } else if (len === 0xfd) {
          len = b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16);
          o += 3;
        } else {
          // 8 bytes; a value is at most 4 GiB (LONGBLOB), so the high word is 0.
          len = (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16)) + b[o + 3]! * 0x1000000;
          o += 8;
        }
      }
      const end = o + len;
      switch (kinds[i]) {
        case INT:
          row[i] = parseInteger(b, o, end);
          break;
        case BIGINT:
          // Up to 15 characters is always below 2^53.
          row[i] = end - o <= 15 ? parseInteger(b, o, end) : exactInteger(this.ascii(o, end));
          break;
        case DECIMAL_TEXT:
          row[i] = this.ascii(o, end);
          break;
        case FLOAT:
          row[i] = shortestFloat32(parseDecimal(b, o, end));
          break;
        case DOUBLE:
          row[i] = parseDecimal(b, o, end);
          break;
        case DATETIME:
          row[i] = isoLocalTimestamp(this.ascii(o, end));
          break;
        case TIMESTAMP:
          row[i] = isoUtcLocalDigits(this.ascii(o, end));
          break;
        case TIME:
          row[i] = timeWithDigits(this.ascii(o, end), this.decimals[i]);
          break;
        case UTF8:
          row[i] = this.utf8(o, end);
          break;
        case OTHER_TEXT:
          packet.offset = head;
          row[i] = packet.readLengthCodedString(this.encodings[i]!);
          break;
        case BYTES:
          row[i] = b.buffer.slice(b.byteOffset + o, b.byteOffset + end) as ArrayBuffer;
          break;
        case BIT:
          row[i] = unsignedFromBytes(b.subarray(o, end));
          break;
        case BIT_TEXT:
          row[i] = String(unsignedFromBytes(b.subarray(o, end)));
          break;
        case VECTOR_TEXT:
          row[i] = vectorText(b, o, end);
          break;
      }
      o = end;
    }
    packet.offset = o;
    return row;
  }

  /**
   * The packet's bytes as a plain Uint8Array over the same memory: a sub-view
   * of a Node Buffer is built by Buffer's own constructor, far slower in workerd.
   * Many packets share one buffer, so the view is made once per buffer.
   */
  private bytesOf(buffer: Uint8Array): Uint8Array {
    if (buffer !== this.packetBuffer) {
      this.packetBuffer = buffer;
      this.bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
      // One decoding per buffer instead of one per value: ASCII values become slices of it.
      // latin1 keeps one byte per character (a one-byte string; windows-1252 would not).
      this.chars =
        buffer.byteLength <= WHOLE_BUFFER_MAX
          ? Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength).toString("latin1")
          : "";
    }
    return this.bytes;
  }

  /** Bytes known to be ASCII (numbers, dates, times) -> string. */
  private ascii(start: number, end: number): string {
    if (this.chars !== "") return this.chars.slice(start, end);
    return String.fromCharCode.apply(null, this.bytes.subarray(start, end) as unknown as number[]);
  }

  /** UTF-8 text -> string; ASCII-only text is sliced out of the buffer's characters. */
  private utf8(start: number, end: number): string {
    const b = this.bytes;
    if (this.chars !== "") {
      let k = start;
      while (k < end && b[k]! < 0x80) k++;
      if (k === end) return this.chars.slice(start, end);
    }
    return utf8.decode(b.subarray(start, end));
  }

  private plan(fields: readonly MysqlResultField[]): void {
    this.fields = fields;
    this.kinds = fields.map(columnKind);
    this.encodings = fields.map((field) => field.encoding);
    // Fractional digits of TIME(n); 31 and above mean "unknown" (expressions).
    this.decimals = fields.map((field) => field.decimals);
  }
}

/**
 * Digits with an optional sign -> number (MySQL prints integers plainly).
 * Exact up to 2^53; callers send longer BIGINT text through exactInteger.
 */
function parseInteger(b: Uint8Array, start: number, end: number): number {
  let i = start;
  let negative = false;
  if (b[i] === 0x2d) {
    negative = true;
    i++;
  } else if (b[i] === 0x2b) i++;
  let value = 0;
  for (; i < end; i++) value = value * 10 + (b[i]! - 0x30);
  // `-0` cannot be an integer column's value; `|| 0` keeps an all-zero negative from becoming -0.
  return negative ? -value || 0 : value;
}

/**
 * A decimal number as MySQL prints FLOAT/DOUBLE -> the nearest double, exactly
 * like Number(text). Fast path: at most 15 significant digits and no exponent,
 * where mantissa and power of ten are both exact doubles, so one correctly
 * rounded division gives the correctly rounded result. Anything else: Number(text).
 */
function parseDecimal(b: Uint8Array, start: number, end: number): number {
  let i = start;
  const negative = b[i] === 0x2d;
  if (negative) i++;
  let mantissa = 0;
  let digits = 0;
  let fraction = -1;
  for (; i < end; i++) {
    const c = b[i]!;
    if (c >= 0x30 && c <= 0x39) {
      mantissa = mantissa * 10 + (c - 0x30);
      if (mantissa !== 0 || fraction >= 0) digits++;
      if (fraction >= 0) fraction++;
    } else if (c === 0x2e && fraction < 0) fraction = 0;
    else return Number(asciiText(b, start, end));
  }
  if (digits > 15 || i === start || (negative && i === start + 1)) return Number(asciiText(b, start, end));
  const value = fraction > 0 ? mantissa / POWERS_OF_TEN[fraction]! : mantissa;
  return negative ? -value : value;
}

const POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => 10 ** k);

function asciiText(b: Uint8Array, start: number, end: number): string {
  return String.fromCharCode.apply(null, b.subarray(start, end) as unknown as number[]);
}

/** MySQL 9 VECTOR: little-endian float32s, as the comma-separated numbers mysql2 printed them. */
function vectorText(b: Uint8Array, start: number, end: number): string {
  const view = new DataView(b.buffer, b.byteOffset + start, end - start);
  const values: number[] = [];
  for (let k = 0; k + 4 <= view.byteLength; k += 4) values.push(view.getFloat32(k, true));
  return values.join(",");
}
