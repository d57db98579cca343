/**
 * MySQL/MariaDB value mapping: what mysql2 hands back with
 * `supportBigNumbers`, `bigNumberStrings`, `dateStrings`, `jsonStrings` and
 * `decimalNumbers: false` (integers up to 32 bits and floats as numbers,
 * BIGINT/DECIMAL/dates as strings, binary data and BIT as bytes)
 * -> the value Durable Object SQLite stores. Pure.
 *
 * The session time zone is UTC (see mysql.ts), so TIMESTAMP text is UTC.
 */
import type { SqliteType, SqliteValue } from "./types";
import { exactInteger, shortestFloat32, unsignedFromBytes } from "./numbers";
import { isoLocalTimestamp, isoUtcLocalDigits } from "./timestamps";

/** Protocol column type codes (mysql2 `Types`), only those the mapping distinguishes. */
export const MYSQL_TYPE = {
  DECIMAL: 0,
  TINY: 1,
  SHORT: 2,
  LONG: 3,
  FLOAT: 4,
  DOUBLE: 5,
  TIMESTAMP: 7,
  LONGLONG: 8,
  INT24: 9,
  DATE: 10,
  TIME: 11,
  DATETIME: 12,
  YEAR: 13,
  NEWDATE: 14,
  BIT: 16,
  NEWDECIMAL: 246,
} as const;

const UNSIGNED_FLAG = 32;

/** The parts of a result column's metadata the mapping needs. */
export interface MysqlFieldType {
  columnType: number;
  flags: number;
  /** For BIT(n): n. */
  columnLength: number;
  /** Fractional-second digits of TIME(n); absent or > 6 when unknown. */
  decimals?: number;
}

export type MysqlRawValue = null | string | number | Uint8Array;

export function mysqlToSqliteValue(field: MysqlFieldType, raw: MysqlRawValue): SqliteValue {
  if (raw === null) return null;
  if (raw instanceof Uint8Array) {
    if (field.columnType === MYSQL_TYPE.BIT) {
      // BIT(64) may exceed int64, so its column is TEXT and always holds decimal text.
      const value = unsignedFromBytes(raw);
      return field.columnLength >= 64 ? String(value) : value;
    }
    return raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength) as ArrayBuffer;
  }
  switch (field.columnType) {
    case MYSQL_TYPE.TINY:
    case MYSQL_TYPE.SHORT:
    case MYSQL_TYPE.INT24:
    case MYSQL_TYPE.LONG:
    case MYSQL_TYPE.YEAR:
      return Number(raw);
    case MYSQL_TYPE.LONGLONG:
      // BIGINT UNSIGNED can exceed int64: its column is TEXT and always holds decimal text.
      return (field.flags & UNSIGNED_FLAG) !== 0 ? String(raw) : exactInteger(String(raw));
    case MYSQL_TYPE.FLOAT:
      return shortestFloat32(Number(raw));
    case MYSQL_TYPE.DOUBLE:
      return Number(raw);
    case MYSQL_TYPE.DATETIME:
      return isoLocalTimestamp(String(raw));
    case MYSQL_TYPE.TIMESTAMP:
      return isoUtcLocalDigits(String(raw));
    case MYSQL_TYPE.TIME:
      return timeWithDigits(String(raw), field.decimals);
    default:
      // DECIMAL, DATE, TIME, strings, ENUM, SET, JSON: the text as the server prints it.
      return String(raw);
  }
}

/**
 * TIME as the text protocol prints it: exactly `decimals` fractional digits.
 * (The binary protocol omits a zero fraction; this makes both agree.)
 */
function timeWithDigits(text: string, decimals: number | undefined): string {
  if (decimals === undefined || decimals > 6 || !/^-?\d+:\d\d:\d\d(\.\d+)?$/.test(text)) return text;
  const [whole, fraction = ""] = text.split(".");
  return decimals === 0 ? whole! : `${whole}.${fraction.padEnd(decimals, "0").slice(0, decimals)}`;
}

/** MySQL integer type names (as in COLUMN_TYPE, lower-cased, without width or attributes). */
export const MYSQL_INTEGER_TYPES: ReadonlySet<string> = new Set([
  "tinyint",
  "smallint",
  "mediumint",
  "int",
  "integer",
  "bigint",
  "year",
  "bool",
  "boolean",
]);
const REAL_TYPES = new Set(["float", "double", "real", "double precision"]);
const BLOB_TYPES = new Set([
  "binary",
  "varbinary",
  "tinyblob",
  "blob",
  "mediumblob",
  "longblob",
  "geometry",
  "point",
  "linestring",
  "polygon",
  "multipoint",
  "multilinestring",
  "multipolygon",
  "geometrycollection",
]);

/** SQLite column type for an information_schema COLUMN_TYPE (`bigint(20) unsigned`, `bit(8)`, `decimal(10,2)`). */
export function mysqlSqliteTypeOf(columnType: string): SqliteType {
  const text = columnType.trim().toLowerCase();
  const base = /^[a-z ]+?(?=\(|\s+(?:unsigned|signed|zerofill)|$)/.exec(text)?.[0].trim() ?? text;
  if (base === "bigint" && /\bunsigned\b/.test(text)) return "TEXT";
  if (base === "bit") return bitWidth(text) >= 64 ? "TEXT" : "INTEGER";
  if (MYSQL_INTEGER_TYPES.has(base)) return "INTEGER";
  if (REAL_TYPES.has(base)) return "REAL";
  if (BLOB_TYPES.has(base)) return "BLOB";
  return "TEXT";
}

function bitWidth(columnType: string): number {
  const width = /\((\d+)\)/.exec(columnType)?.[1];
  return width === undefined ? 1 : Number(width);
}
