/**
 * Whether a column's type change at the source leaves every value exactly as
 * replicated: the same SQLite value and the same source text (so stored row
 * hashes stay right). Only such changes let a job carry on without copying the
 * column again. A change the source accepted cannot have lost values, so a
 * narrowing within one family (text to varchar(10)) keeps them too.
 *
 * Anything not listed here is copied again, even when the SQLite type stays the
 * same: text to jsonb rewrites the JSON, numeric(10,2) to numeric(10,4) the
 * scale, timestamp to timestamptz the zone; MySQL renders datetime(3) and
 * datetime(6) differently in its row hash.
 */
import type { Dialect } from "../../../src/sources/types";

export function keepsValues(dialect: Dialect, from: string, to: string): boolean {
  const a = normalize(from);
  const b = normalize(to);
  if (a === b) return true;
  return dialect === "postgresql" ? pgKeepsValues(a, b) : mysqlKeepsValues(a, b);
}

function normalize(type: string): string {
  return type
    .trim()
    .toLowerCase()
    .replace(/\s+/g, " ")
    .replace(/\s*,\s*/g, ",");
}

const PG_INTEGERS = ["smallint", "integer", "bigint"];
const PG_TEXT = /^(text|character varying(\(\d+\))?)$/;
const PG_NUMERIC = /^numeric(?:\((\d+)(?:,(\d+))?\))?$/;
const PG_TEMPORAL = /^(timestamp|time)(?:\((\d)\))?( with time zone| without time zone)?$/;

function pgKeepsValues(from: string, to: string): boolean {
  if (PG_INTEGERS.includes(from) && PG_INTEGERS.includes(to)) {
    return PG_INTEGERS.indexOf(to) >= PG_INTEGERS.indexOf(from);
  }
  if (PG_TEXT.test(from) && PG_TEXT.test(to)) return true;
  const [numericFrom, numericTo] = [PG_NUMERIC.exec(from), PG_NUMERIC.exec(to)];
  if (numericFrom && numericTo) {
    // Unconstrained numeric keeps each value's own scale; a constrained one rounds to its scale.
    if (numericTo[1] === undefined) return true;
    if (numericFrom[1] === undefined) return false;
    return (numericFrom[2] ?? "0") === (numericTo[2] ?? "0");
  }
  const [timeFrom, timeTo] = [PG_TEMPORAL.exec(from), PG_TEMPORAL.exec(to)];
  if (timeFrom && timeTo) {
    // Same type and zone; more fractional digits keep every value (PostgreSQL prints no trailing zeros).
    const zone = (m: RegExpExecArray) => (m[3] ?? " without time zone").trim();
    return timeFrom[1] === timeTo[1] && zone(timeFrom) === zone(timeTo) && digits(timeTo) >= digits(timeFrom);
  }
  return false;
}

function digits(match: RegExpExecArray): number {
  return match[2] === undefined ? 6 : Number(match[2]);
}

const MYSQL_INTEGERS = ["tinyint", "smallint", "mediumint", "int", "bigint"];
const MYSQL_INTEGER = /^(tinyint|smallint|mediumint|int|integer|bigint)(?:\(\d+\))?( unsigned)?$/;
const MYSQL_TEXT = /^(varchar\(\d+\)|tinytext|text|mediumtext|longtext)$/;
const MYSQL_DECIMAL = /^decimal\((\d+),(\d+)\)( unsigned)?$/;

function mysqlKeepsValues(from: string, to: string): boolean {
  const [intFrom, intTo] = [MYSQL_INTEGER.exec(from), MYSQL_INTEGER.exec(to)];
  if (intFrom && intTo) {
    const rank = (m: RegExpExecArray) => MYSQL_INTEGERS.indexOf(m[1] === "integer" ? "int" : m[1]!);
    const [unsignedFrom, unsignedTo] = [intFrom[2] !== undefined, intTo[2] !== undefined];
    // Signed to unsigned may clamp negative values (outside strict mode): never assumed safe.
    if (unsignedTo && !unsignedFrom) return false;
    return unsignedFrom && !unsignedTo ? rank(intTo) > rank(intFrom) : rank(intTo) >= rank(intFrom);
  }
  if (MYSQL_TEXT.test(from) && MYSQL_TEXT.test(to)) return true;
  const [decimalFrom, decimalTo] = [MYSQL_DECIMAL.exec(from), MYSQL_DECIMAL.exec(to)];
  if (decimalFrom && decimalTo) return decimalFrom[2] === decimalTo[2] && decimalFrom[3] === decimalTo[3];
  return false;
}
