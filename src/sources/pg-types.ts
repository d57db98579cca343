/**
 * PostgreSQL value mapping: text as the server prints it (every type parser is
 * replaced by the identity) -> the value Durable Object SQLite stores. Pure.
 *
 * The session is set to TimeZone=UTC, DateStyle=ISO, IntervalStyle=iso_8601,
 * bytea_output=hex, extra_float_digits=1 (see postgres.ts); the mapping relies on it.
 */
import type { SqliteType, SqliteValue } from "./types";
import { parsePgArray, type PgArrayNode } from "./pg-array";
import { isoLocalTimestamp, isoUtcTimestamp } from "./timestamps";
import { exactInteger } from "./numbers";

/** Built-in type OIDs the mapping treats specially (pg_type.oid, stable across versions). */
export const PG_OID = {
  bool: 16,
  bytea: 17,
  int8: 20,
  int2: 21,
  int4: 23,
  oid: 26,
  json: 114,
  float4: 700,
  float8: 701,
  timestamp: 1114,
  timestamptz: 1184,
  numeric: 1700,
  jsonb: 3802,
} as const;

/** A column's value type: a scalar OID, or an array of some element type. */
export type PgValueType = number | { arrayOf: PgValueType };

/** Array OIDs of built-in types -> element OID. Other arrays are found through pg_type. */
const BUILTIN_ARRAYS: Record<number, number> = {
  1000: 16,
  1001: 17,
  1002: 18,
  1003: 19,
  1005: 21,
  1007: 23,
  1009: 25,
  1014: 1042,
  1015: 1043,
  1016: 20,
  1021: 700,
  1022: 701,
  1028: 26,
  199: 114,
  143: 142,
  791: 790,
  1040: 829,
  1041: 869,
  651: 650,
  1182: 1082,
  1183: 1083,
  1115: 1114,
  1185: 1184,
  1187: 1186,
  1270: 1266,
  1231: 1700,
  2951: 2950,
  3807: 3802,
  1561: 1560,
  1563: 1562,
};

/** Built-in scalar OIDs whose text form is the stored form (or handled above): no catalog lookup needed. */
const BUILTIN_SCALARS = new Set<number>([
  16, 17, 18, 19, 20, 21, 23, 25, 26, 114, 142, 650, 700, 701, 774, 790, 829, 869, 1042, 1043, 1082, 1083, 1114, 1184,
  1186, 1266, 1560, 1562, 1700, 2950, 3802,
]);

/** The value type of a built-in OID, or undefined when the catalog must be asked (enum, domain, extension). */
export function builtinPgType(oid: number): PgValueType | undefined {
  const element = BUILTIN_ARRAYS[oid];
  if (element !== undefined) return { arrayOf: element };
  return BUILTIN_SCALARS.has(oid) ? oid : undefined;
}

/** Converts one printed value. Unknown scalar OIDs are stored as printed text. */
export function pgToSqliteValue(type: PgValueType, raw: string | null): SqliteValue {
  if (raw === null) return null;
  if (typeof type !== "number") return pgArrayToJson(type.arrayOf, raw);
  switch (type) {
    case PG_OID.int2:
    case PG_OID.int4:
    case PG_OID.oid:
      return Number(raw);
    case PG_OID.int8:
      return int8Value(raw);
    case PG_OID.float4:
    case PG_OID.float8:
      return floatValue(raw);
    case PG_OID.bool:
      return raw === "t" ? 1 : 0;
    case PG_OID.bytea:
      return decodeBytea(raw);
    case PG_OID.timestamp:
      return isoLocalTimestamp(raw);
    case PG_OID.timestamptz:
      return isoUtcTimestamp(raw);
    default:
      return raw;
  }
}

/** Built-in types whose printed text is stored unchanged (pgToSqliteValue's default case). */
const TEXT_AS_IS = new Set<number>([
  18, 19, 25, 114, 142, 650, 774, 790, 829, 869, 1042, 1043, 1082, 1083, 1186, 1266, 1560, 1562, 1700, 2950, 3802,
]);

/**
 * pgToSqliteValue for one column, chosen once per column rather than per value
 * (null where the printed text is stored as it is). Pass non-null text.
 */
export function pgValueConverter(type: PgValueType): ((raw: string) => SqliteValue) | null {
  if (typeof type === "number") {
    if (TEXT_AS_IS.has(type)) return null;
    if (type === PG_OID.int8) return int8Value;
    if (type === PG_OID.float4 || type === PG_OID.float8) return floatValue;
    if (type === PG_OID.timestamptz) return isoUtcTimestamp;
  }
  return (raw) => pgToSqliteValue(type, raw);
}

/** int8out prints `-?\d+`, and 15 characters or fewer are always a safe integer: no pattern test for those. */
function int8Value(raw: string): number | string {
  return raw.length <= 15 ? Number(raw) : exactInteger(raw);
}

/**
 * float4out/float8out print a plain decimal (`1.5`, `-0`, `1e+20`) or `NaN`, `Infinity`, `-Infinity`.
 * SQLite REAL cannot hold NaN (it becomes NULL): non-finite values are kept as text.
 */
function floatValue(raw: string): number | string {
  const value = Number(raw);
  return Number.isFinite(value) ? value : raw;
}

/**
 * The SQLite column type for a `format_type` name (`bigint`, `numeric(10,2)`,
 * `timestamp(6) with time zone`, `integer[]`, enum names...). Pass a domain's base type.
 */
export function pgSqliteTypeOf(sourceType: string): SqliteType {
  const name = sourceType.trim().toLowerCase();
  if (name.endsWith("]")) return "TEXT";
  const base = name
    .replace(/\(.*?\)/g, "")
    .replace(/\s+/g, " ")
    .trim();
  switch (base) {
    case "smallint":
    case "integer":
    case "bigint":
    case "boolean":
    case "oid":
      return "INTEGER";
    case "real":
    case "double precision":
      return "REAL";
    case "bytea":
      return "BLOB";
    default:
      return "TEXT";
  }
}

/** `\x0001ff` (hex output) or the legacy escape format -> bytes. Zero bytes are kept. */
export function decodeBytea(raw: string): ArrayBuffer {
  if (raw.startsWith("\\x")) {
    const hex = raw.slice(2);
    const bytes = new Uint8Array(hex.length / 2);
    for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
    return bytes.buffer;
  }
  const bytes: number[] = [];
  for (let i = 0; i < raw.length;) {
    if (raw[i] === "\\" && raw[i + 1] === "\\") {
      bytes.push(0x5c);
      i += 2;
    } else if (raw[i] === "\\") {
      bytes.push(parseInt(raw.slice(i + 1, i + 4), 8));
      i += 4;
    } else {
      bytes.push(raw.charCodeAt(i));
      i += 1;
    }
  }
  return new Uint8Array(bytes).buffer;
}

/**
 * Arrays become JSON text so SQLite's json functions work on them. Elements
 * follow the scalar mapping, kept exact: int8 beyond 2^53 and every numeric
 * are JSON strings, booleans are true/false, json/jsonb elements are embedded
 * as JSON, bytea elements are their `\x..` hex text, NaN/Infinity are strings.
 */
function pgArrayToJson(element: PgValueType, raw: string): string {
  // box is the only built-in type whose array delimiter is `;`; it is printed as text anyway.
  return nodeToJson(parsePgArray(raw), element);
}

function nodeToJson(node: PgArrayNode, element: PgValueType): string {
  if (node === null) return "null";
  if (Array.isArray(node)) return `[${node.map((item) => nodeToJson(item, element)).join(",")}]`;
  return elementToJson(element, node);
}

function elementToJson(type: PgValueType, text: string): string {
  if (typeof type !== "number") return pgArrayToJson(type.arrayOf, text);
  switch (type) {
    case PG_OID.int2:
    case PG_OID.int4:
    case PG_OID.oid:
      return text;
    case PG_OID.int8:
    case PG_OID.float4:
    case PG_OID.float8: {
      const value = pgToSqliteValue(type, text);
      return typeof value === "number" ? text : JSON.stringify(text);
    }
    case PG_OID.bool:
      return text === "t" ? "true" : "false";
    case PG_OID.json:
    case PG_OID.jsonb:
      return text;
    case PG_OID.timestamp:
    case PG_OID.timestamptz:
      return JSON.stringify(pgToSqliteValue(type, text));
    default:
      return JSON.stringify(text);
  }
}
