/**
 * A row's hash: what verification sums per key range on both sides instead of
 * comparing rows (issue "Deletes at the source"). It is computed by the source
 * itself from its own text rendering of the copied columns, stored with the
 * replica row, and recomputed by the source at verification time, so the two
 * sides never have to agree on a rendering across dialects.
 *
 * hash = the first 8 hex digits of md5(texts joined by U+001F, NULL as U+001E),
 * as an unsigned 32-bit integer. Sums of 32-bit hashes fit SQLite's 64-bit
 * integers for any table a Durable Object can hold.
 *
 * PostgreSQL's text rendering is `col::text`, which is also what logical
 * decoding (pgoutput) sends, so change capture computes the same hash in
 * JavaScript (`rowHash`) from the values it decodes.
 */
import type { SourceColumn, SqlDialect } from "../../../src/sources/types";
import { md5First32 } from "./md5";

/** The replica's metadata column holding each row's hash (NULL: not known yet, verification compares the row itself). */
export const ROW_HASH_COLUMN = "_starbase_row_hash";

const UNIT_SEPARATOR = "\u001f";
const NULL_MARK = "\u001e";

/** The hash of a row from the source's texts of its copied columns, in replica column order. */
export function rowHash(texts: ReadonlyArray<string | null>): number {
  const joined = texts.map((text) => (text === null ? NULL_MARK : text)).join(UNIT_SEPARATOR);
  return md5First32(joined);
}

/**
 * Which formula a replica's stored hashes follow. Only MySQL's changed: version 1 hex-encodes every
 * value, version 2 only the values that can hold any byte (text, binary, JSON, BIT...), since the
 * text of a number or a date cannot hold the separators; the same information is hashed at about
 * 60% of the server's CPU time (a 1,000,000-row read: 5.1 s of MariaDB CPU with version 1, 3.1 s
 * with version 2, 1.7 s with no hash). Jobs keep their version until a reset copies every row again.
 */
export type RowHashVersion = 1 | 2;
export const ROW_HASH_VERSION: RowHashVersion = 2;

/** A SQL expression computing the row hash of `columns` at the source, by the job's formula version. */
export function rowHashSql(dialect: SqlDialect, columns: readonly SourceColumn[], version: RowHashVersion): string {
  const q = (column: SourceColumn) => dialect.quoteIdentifier(column.name);
  if (dialect.name === "postgresql") {
    // concat_ws reads about 20% faster than array_to_string over an ARRAY; a function takes at most
    // 100 arguments, so wide rows join chunks of columns (the separator between chunks is the same).
    const texts = columns.map((c) => `coalesce(${q(c)}::text, chr(30))`);
    const chunks: string[] = [];
    for (let i = 0; i < texts.length; i += 99) chunks.push(`concat_ws(chr(31), ${texts.slice(i, i + 99).join(", ")})`);
    const joined = chunks.length === 1 ? chunks[0]! : `concat_ws(chr(31), ${chunks.join(", ")})`;
    return `('x' || substr(md5(${joined}), 1, 8))::bit(32)::bigint`;
  }
  // MySQL: the bytes of each value as a binary string, in hex where the value could hold a separator; no
  // JavaScript computes this one. Not HEX(col) alone: for a number it renders the value as a BIGINT, so
  // 12.34 and 12.99 (DECIMAL, DOUBLE) would hash alike.
  const texts = columns
    .map((c) => {
      const bytes = `CAST(${q(c)} AS BINARY)`;
      return `COALESCE(${version === 1 || !printsOnlyText(c.sourceType) ? `HEX(${bytes})` : bytes}, CHAR(30))`;
    })
    .join(", ");
  // SIGNED: a BIGINT the connector hands back as a number (32 bits fit), not an unsigned decimal string.
  return `CAST(CONV(SUBSTR(MD5(CONCAT_WS(CHAR(31), ${texts})), 1, 8), 16, 10) AS SIGNED)`;
}

/** MySQL types whose value, cast to a binary string, is printed digits and punctuation: never byte 30 or 31. */
const PRINTED_TYPES =
  /^(tinyint|smallint|mediumint|int|integer|bigint|decimal|numeric|dec|fixed|float|double|real|date|datetime|timestamp|time|year)\b/i;

function printsOnlyText(sourceType: string): boolean {
  return PRINTED_TYPES.test(sourceType.trim());
}
