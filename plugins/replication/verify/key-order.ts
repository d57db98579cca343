/**
 * Whether the source orders a job's keys exactly as the replica's SQLite does
 * (numbers by value, text and blobs byte by byte). Only then can both sides be
 * cut into the same key ranges ("key ranges"); otherwise, e.g. for text under a
 * case-insensitive collation, where MySQL puts "a" before "B" and "_" after
 * both, the sides are compared key by key ("keys"). Pure, but for the catalog
 * query that reads the key columns' collations.
 */
import type { Dialect, SourceColumn, SourceParam } from "../../../src/sources/types";
import type { VerifyMethod } from "./types";

/** A key column's collation: PostgreSQL's provider (c libc, i ICU) and locale, or MySQL's collation name. */
export interface KeyCollation {
  column: string;
  provider: string | null;
  name: string | null;
}

const PG_INTEGER = /^(smallint|integer|bigint|oid|boolean)$/;
const PG_ORDERED_TEXT = /^(uuid|date|timestamp(\(\d\))? with(out)? time zone)$/;
const PG_COLLATED_TEXT = /^(text|character varying(\(\d+\))?|name)$/;
const PG_BYTE_ORDER_LOCALES = new Set(["C", "POSIX", "C.UTF-8", "C.utf8"]);

const MYSQL_ORDERED_TEXT = /^(date|datetime(\(\d\))?|timestamp(\(\d\))?)$/;
const MYSQL_COLLATED_TEXT = /^(varchar\(\d+\)|tinytext|text|mediumtext|longtext)$/;
/** Binary collations without trailing-space padding: code point order, which is UTF-8's byte order. */
const MYSQL_BYTE_ORDER_COLLATIONS = /^utf8(mb3|mb4)?_(nopad_bin|0900_bin)$/;

/** "key ranges" when every key column orders alike on both sides, else "keys". */
export function verifyMethod(
  dialect: Dialect,
  key: readonly SourceColumn[],
  collations: readonly KeyCollation[],
): VerifyMethod {
  const collationOf = (name: string) => collations.find((c) => c.column === name);
  const alike = key.every((column) =>
    dialect === "postgresql"
      ? pgOrdersAlike(column, collationOf(column.name))
      : mysqlOrdersAlike(column, collationOf(column.name)),
  );
  return alike ? "key ranges" : "keys";
}

function pgOrdersAlike(column: SourceColumn, collation: KeyCollation | undefined): boolean {
  const type = column.sourceType.trim().toLowerCase();
  if (column.sqliteType === "REAL" || column.sqliteType === "BLOB") return true;
  if (column.sqliteType === "INTEGER") return PG_INTEGER.test(type);
  if (PG_ORDERED_TEXT.test(type)) return true;
  return PG_COLLATED_TEXT.test(type) && collation?.provider === "c" && PG_BYTE_ORDER_LOCALES.has(collation.name ?? "");
}

function mysqlOrdersAlike(column: SourceColumn, collation: KeyCollation | undefined): boolean {
  const type = column.sourceType.trim().toLowerCase();
  if (column.sqliteType === "REAL" || column.sqliteType === "BLOB" || column.sqliteType === "INTEGER") return true;
  if (MYSQL_ORDERED_TEXT.test(type)) return true;
  return MYSQL_COLLATED_TEXT.test(type) && MYSQL_BYTE_ORDER_COLLATIONS.test(collation?.name ?? "");
}

/** The catalog query answering (column, provider, name) for the key columns. */
export function keyCollationsQuery(
  dialect: Dialect,
  schema: string | undefined,
  table: string,
  key: readonly string[],
): { sql: string; params: SourceParam[] } {
  const marks = key.map(() => "?").join(", ");
  if (dialect === "postgresql") {
    // A column of the database's default collation takes the database's provider and locale;
    // datlocprovider exists from PostgreSQL 15 on (libc before), hence to_jsonb.
    return {
      sql: `SELECT a.attname::text,
                   CASE WHEN a.attcollation = 0 THEN NULL
                        WHEN c.collprovider = 'd' THEN coalesce(to_jsonb(d) ->> 'datlocprovider', 'c')
                        ELSE c.collprovider::text END,
                   CASE WHEN a.attcollation = 0 THEN NULL
                        WHEN c.collprovider = 'd' THEN d.datcollate::text
                        ELSE coalesce(c.collcollate::text, c.collname::text) END
              FROM pg_attribute a
              JOIN pg_class t ON t.oid = a.attrelid
              JOIN pg_namespace n ON n.oid = t.relnamespace
              LEFT JOIN pg_collation c ON c.oid = a.attcollation
              CROSS JOIN (SELECT * FROM pg_database WHERE datname = current_database()) d
             WHERE n.nspname = coalesce(?::text, current_schema()) AND t.relname = ? AND a.attname IN (${marks})`,
      params: [schema ?? null, table, ...key],
    };
  }
  return {
    sql: `SELECT COLUMN_NAME, NULL, COLLATION_NAME FROM information_schema.COLUMNS
           WHERE TABLE_SCHEMA = coalesce(?, DATABASE()) AND TABLE_NAME = ? AND COLUMN_NAME IN (${marks})`,
    params: [schema ?? null, table, ...key],
  };
}
