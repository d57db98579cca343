/**
 * Pure SQL helpers per source dialect: identifier quoting and exact cursor
 * comparisons (`bindComparable`) for keyset replication queries.
 */
import { ValidationError } from "../errors";
import { echo } from "../redact";
import { mysqlDateTimeLiteral } from "./timestamps";
import { isSafePgTypeName } from "./type-names";
import type { Dialect, SourceColumn, SourceParam, SqlDialect, SqliteValue } from "./types";
import { MYSQL_INTEGER_TYPES } from "./mysql-types";

function checkIdentifier(name: string): void {
  if (name.length === 0 || name.includes("\0")) throw new ValidationError(`invalid identifier ${echo(name)}`);
}

function hex(buffer: ArrayBuffer): string {
  return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Base type name without modifiers: `numeric(10,2)` -> `numeric`, `bigint(20) unsigned` -> `bigint`. */
function baseTypeName(sourceType: string): string {
  return sourceType
    .toLowerCase()
    .replace(/\(.*?\)/g, "")
    .replace(/\s+/g, " ")
    .trim();
}

export const postgresDialect: SqlDialect = {
  name: "postgresql",
  quoteIdentifier(name) {
    checkIdentifier(name);
    return `"${name.replace(/"/g, '""')}"`;
  },
  qualifiedTable(schema, table) {
    const quoted = this.quoteIdentifier(table);
    return schema === undefined ? quoted : `${this.quoteIdentifier(schema)}.${quoted}`;
  },
  /**
   * The server parses the text parameter as the column's own type (`?::bigint`,
   * `?::timestamp(6) with time zone`, `?::numeric(10,2)`), so nothing goes
   * through a float, and the comparison is column-vs-constant: indexable.
   * The type comes from the catalog (`format_type`), never from a user.
   */
  bindComparable(column, value) {
    if (!isSafePgTypeName(column.sourceType)) {
      throw new ValidationError(
        `column ${column.name} has a type name that cannot be used in SQL: ${echo(column.sourceType)}`,
      );
    }
    if (column.sourceType.trim().endsWith("]")) {
      throw new ValidationError(`column ${column.name} is an array (${column.sourceType}); it cannot be a cursor`);
    }
    const param: SourceParam = value instanceof ArrayBuffer ? `\\x${hex(value)}` : value;
    return { sql: `?::${column.sourceType}`, param };
  },
};

// BIT compares as an unsigned integer too.
const MYSQL_INTEGERS: ReadonlySet<string> = new Set([...MYSQL_INTEGER_TYPES, "bit"]);

export const mysqlDialect: SqlDialect = {
  name: "mysql",
  quoteIdentifier(name) {
    checkIdentifier(name);
    return `\`${name.replace(/`/g, "``")}\``;
  },
  qualifiedTable(schema, table) {
    const quoted = this.quoteIdentifier(table);
    return schema === undefined ? quoted : `${this.quoteIdentifier(schema)}.${quoted}`;
  },
  /**
   * MySQL compares an integer or DECIMAL column with a string (or a JS number
   * bound as DOUBLE) as doubles, which rounds beyond 2^53: every numeric cursor
   * is cast to the column's exact kind instead. Casts of a constant are folded
   * before planning, so an index on the column is still used.
   */
  bindComparable(column, value) {
    return mysqlComparable(column, value);
  },
};

function mysqlComparable(column: SourceColumn, value: SqliteValue): { sql: string; param: SourceParam } {
  const type = column.sourceType.toLowerCase();
  const base = baseTypeName(type).replace(/ (unsigned|signed|zerofill)/g, "");
  if (value instanceof ArrayBuffer) return { sql: "UNHEX(?)", param: hex(value) };
  const text = value === null ? null : String(value);
  if (MYSQL_INTEGERS.has(base)) {
    const unsigned = base === "bit" || /\bunsigned\b/.test(type);
    return { sql: unsigned ? "CAST(? AS UNSIGNED)" : "CAST(? AS SIGNED)", param: text };
  }
  if (base === "decimal" || base === "numeric") {
    const [, precision = "65", scale = "30"] = /\((\d+)\s*(?:,\s*(\d+))?\)/.exec(type) ?? [];
    return { sql: `CAST(? AS DECIMAL(${Number(precision)},${Number(scale)}))`, param: text };
  }
  if (base === "float") return { sql: "CAST(? AS FLOAT)", param: value };
  if (base === "double" || base === "real") return { sql: "CAST(? AS DOUBLE)", param: value };
  if (base === "datetime" || base === "timestamp") {
    return { sql: "CAST(? AS DATETIME(6))", param: text === null ? null : mysqlDateTimeLiteral(text) };
  }
  if (base === "date") return { sql: "CAST(? AS DATE)", param: text };
  if (base === "time") return { sql: "CAST(? AS TIME(6))", param: text };
  return { sql: "?", param: text };
}

const DIALECTS: Record<Dialect, SqlDialect> = { postgresql: postgresDialect, mysql: mysqlDialect };

/** The dialect for a configured name; `postgres` and `mariadb` are accepted aliases. */
export function dialectOf(name: string): SqlDialect {
  const normalized = name === "postgres" ? "postgresql" : name === "mariadb" ? "mysql" : name;
  const dialect = DIALECTS[normalized as Dialect];
  if (!dialect) throw new ValidationError(`unknown source dialect ${echo(name)}: use postgresql or mysql`);
  return dialect;
}
