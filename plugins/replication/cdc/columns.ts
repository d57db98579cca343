/**
 * A Relation message's columns (or the catalog's, read with a peek) as the
 * schema-change handling (schema-changes/) takes them: the same shape
 * `describeColumns` gives for the catalog now, read for the types they name (a
 * Relation message describes the table as it was at that point of the WAL, which
 * may be older than the catalog now).
 */
import { pgSqliteTypeOf } from "../../../src/sources";
import type { SourceColumn, SourceConnection } from "../../../src/sources/types";
import type { ColumnShape } from "./schema";

/**
 * One catalog query: each column's type as `format_type` prints it (what the job
 * stored at create time), its base type's SQLite mapping, and whether it may be
 * NULL (from the table now; a column it no longer has counts as nullable).
 */
export async function relationSourceColumns(
  source: SourceConnection,
  relation: { oid: number; columns: readonly ColumnShape[] },
): Promise<SourceColumn[]> {
  const { columns } = relation;
  const result = await source.query(
    `SELECT format_type(c.type_oid, c.typmod),
            CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) ELSE format_type(c.type_oid, c.typmod) END,
            coalesce(NOT a.attnotnull, true)
       FROM unnest(?::oid[], ?::int4[], ?::text[]) WITH ORDINALITY AS c(type_oid, typmod, name, n)
       LEFT JOIN pg_type t ON t.oid = c.type_oid
       LEFT JOIN pg_attribute a ON a.attrelid = ?::oid AND a.attname = c.name AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY c.n`,
    [
      `{${columns.map((c) => c.typeOid).join(",")}}`,
      `{${columns.map((c) => c.typmod).join(",")}}`,
      arrayLiteral(columns.map((c) => c.name)),
      relation.oid,
    ],
  );
  return columns.map((column, i) => {
    const [sourceType, baseType, nullable] = result.rows[i] ?? [];
    return {
      name: column.name,
      sourceType: sourceType === null || sourceType === undefined ? "text" : String(sourceType),
      nullable: nullable !== 0,
      sqliteType: pgSqliteTypeOf(baseType === null || baseType === undefined ? "text" : String(baseType)),
    };
  });
}

/** A PostgreSQL array literal of texts, each element quoted. */
function arrayLiteral(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`).join(",")}}`;
}
