/**
 * MySQL/MariaDB type mapping: the SQLite column type of a source column, and
 * the protocol type codes and TIME formatting that mysql-rows.ts, which
 * converts the values, uses. Pure.
 */
import type { SqliteType } from "./types";

/** Protocol column type codes (mysql2 `Types`), only those the mapping distinguishes. */
export const MYSQL_TYPE = {
  DECIMAL: 0,
  TINY: 1,
  SHORT: 2,
  LONG: 3,
  FLOAT: 4,
  DOUBLE: 5,
  NULL: 6,
  TIMESTAMP: 7,
  LONGLONG: 8,
  INT24: 9,
  DATE: 10,
  TIME: 11,
  DATETIME: 12,
  YEAR: 13,
  NEWDATE: 14,
  BIT: 16,
  VECTOR: 242,
  JSON: 245,
  NEWDECIMAL: 246,
  GEOMETRY: 255,
} as const;

/**
 * TIME as the text protocol prints it: exactly `decimals` fractional digits.
 * (The binary protocol omits a zero fraction; this makes both agree.)
 */
export function timeWithDigits(text: string, decimals: number | undefined): string {
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
