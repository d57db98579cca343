/**
 * A row's hash: what verification sums per key range on both sides instead of
 * comparing rows (issue "Deletes at the source"). It is computed by the source
 * itself from its own text rendering of the copied columns, stored with the
 * replica row, and recomputed by the source at verification time, so the two
 * sides never have to agree on a rendering across dialects.
 *
 * hash = a 32-bit hash of the texts joined by U+001F (NULL as U+001E), as an
 * unsigned integer. Sums of 32-bit hashes fit SQLite's 64-bit integers for any
 * table a Durable Object can hold.
 *
 * PostgreSQL's text rendering is `col::text`. Logical decoding (pgoutput) sends
 * what each type's output prints, which is the same but for boolean, character
 * and inet (cdc/hash-texts.ts turns those into the cast's text), so change
 * capture computes the same hash in JavaScript (`rowHash`) from the values it decodes.
 *
 * Each job keeps the formula its replica's hashes were made with (RowHashFormula),
 * so that stored hashes always match what the source computes at verification time:
 * a job created since a faster formula existed for its dialect uses it where its
 * source computes it (row-hash-choice.ts); older ones keep "md5" (a MySQL job until
 * a reset).
 */
import type { SqlDialect } from "../../../src/sources/types";
import { MD5_PADDING_ROOM, md5First32 } from "./md5";
import { pgHashText } from "./pg-hashtext";
import { utf8ScratchJoined } from "./utf8-scratch";

/** The replica's metadata column holding each row's hash (NULL: not known yet, verification compares the row itself). */
export const ROW_HASH_COLUMN = "_starbase_row_hash";

const JOIN = { separator: "\u001f", nullMark: "\u001e" };

/**
 * The hash of a row from PostgreSQL's texts of its copied columns, in replica column order: what
 * rowHashSql makes the server compute with the same formula.
 */
export function rowHash(texts: ReadonlyArray<string | null>, formula: PgRowHashFormula): number {
  // The joined text's bytes, written straight into a reused buffer: a wide row's joined string
  // would be one more string of the row's size for every change.
  const { bytes, length } = utf8ScratchJoined(texts, JOIN, MD5_PADDING_ROOM);
  return formula === "hashtext" ? pgHashText(bytes, length) : md5First32(bytes, length);
}

/**
 * How a job's row hashes are computed at the source:
 * - `md5`: the first 32 bits of the MD5 of the joined texts (both dialects; every job made before
 *   the others existed);
 * - `hashtext`: PostgreSQL's `hashtext` of the joined texts (pg-hashtext.ts), which the server
 *   computes about 7 times faster than md5() (0.13 s against 0.92 s per 1,000,000 short texts);
 * - `crc32`: MySQL's CRC32 of the same joined hex texts, which MariaDB computes in 1.62 s per
 *   1,000,000 bench rows against MD5's 2.76 s.
 * The copy reads the hash with every row, and verification makes the source hash every row again.
 */
export const ROW_HASH_FORMULA_NAMES = ["md5", "hashtext", "crc32"] as const;
export type RowHashFormula = (typeof ROW_HASH_FORMULA_NAMES)[number];

/** The formulas change capture can compute in JavaScript from PostgreSQL's texts. */
export type PgRowHashFormula = Exclude<RowHashFormula, "crc32">;

/** A PostgreSQL job's formula; throws for one only MySQL computes (a stored job is checked for this when read). */
export function pgRowHashFormula(formula: RowHashFormula): PgRowHashFormula {
  if (formula === "crc32") throw new Error("row hash crc32 is not computed on PostgreSQL");
  return formula;
}

/** The formulas a job of each dialect may have. */
export const ROW_HASH_FORMULAS: Record<SqlDialect["name"], readonly RowHashFormula[]> = {
  postgresql: ["md5", "hashtext"],
  mysql: ["md5", "crc32"],
};

/**
 * The formula a reset gives a job (its rows are copied again): a MySQL job moves to crc32, which
 * every MySQL and MariaDB computes. A PostgreSQL job keeps its own: whether its server computes
 * hashtext as change capture does was asked when the job was created (row-hash-choice.ts).
 */
export function rowHashFormulaAfterReset(dialect: SqlDialect["name"], formula: RowHashFormula): RowHashFormula {
  return dialect === "mysql" ? "crc32" : formula;
}

/** A SQL expression computing the hash of the named columns at the source with `formula`. */
export function rowHashSql(dialect: SqlDialect, columns: readonly string[], formula: RowHashFormula): string {
  const q = (name: string) => dialect.quoteIdentifier(name);
  if (dialect.name === "postgresql") {
    // concat_ws reads about 20% faster than array_to_string over an ARRAY; a function takes at most
    // 100 arguments, so wide rows join chunks of columns (the separator between chunks is the same).
    const texts = columns.map((c) => `coalesce(${q(c)}::text, chr(30))`);
    const chunks: string[] = [];
    for (let i = 0; i < texts.length; i += 99) chunks.push(`concat_ws(chr(31), ${texts.slice(i, i + 99).join(", ")})`);
    const joined = chunks.length === 1 ? chunks[0]! : `concat_ws(chr(31), ${chunks.join(", ")})`;
    if (formula === "hashtext") return `(hashtext(${joined} COLLATE "C")::bigint & 4294967295)`;
    if (formula !== "md5") throw new Error(`row hash ${formula} is not computed on PostgreSQL`);
    return `('x' || substr(md5(${joined}), 1, 8))::bit(32)::bigint`;
  }
  // MySQL: the bytes of each value as a binary string, in hex (so no value holds a separator); no JavaScript
  // computes this one. Not HEX(col) alone: for a number it renders the value as a BIGINT, so 12.34 and 12.99
  // (DECIMAL, DOUBLE) would hash alike.
  if (formula === "hashtext") throw new Error("row hash hashtext is not computed on MySQL");
  const texts = columns.map((c) => `COALESCE(HEX(CAST(${q(c)} AS BINARY)), CHAR(30))`).join(", ");
  const joined = `CONCAT_WS(CHAR(31), ${texts})`;
  // SIGNED: a BIGINT the connector hands back as a number (32 bits fit), not an unsigned decimal string.
  if (formula === "crc32") return `CAST(CRC32(${joined}) AS SIGNED)`;
  return `CAST(CONV(SUBSTR(MD5(${joined}), 1, 8), 16, 10) AS SIGNED)`;
}
