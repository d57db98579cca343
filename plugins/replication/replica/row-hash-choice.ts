/**
 * Which row hash formula a new job gets, asked of its source once, when the job is created.
 * PostgreSQL jobs get `hashtext` only where the server computes it as pgHashText does: a
 * PostgreSQL-compatible server may lack the function, and a big-endian one computes other values
 * (lookup3 reads words in the machine's byte order), which change capture's hashes would then not
 * match. Such a source gets md5, as every PostgreSQL job did before.
 */
import { postgresDialect } from "../../../src/sources/dialects";
import type { SourceConnection } from "../../../src/sources/types";
import { type RowHashFormula, rowHash, rowHashSql } from "./row-hash";

/** Bytes on both sides of lookup3's 12-byte blocks and a multi-byte character. */
const PROBE = "starbase row hash probe, é";

export async function chooseRowHashFormula(source: SourceConnection): Promise<RowHashFormula> {
  if (source.dialect === "mysql") return "crc32";
  // The very expression the job's reads will use, over one text.
  const probe = `SELECT ${rowHashSql(postgresDialect, ["t"], "hashtext")} FROM (SELECT ?::text AS t) AS probe`;
  try {
    const answer = await source.query(probe, [PROBE]);
    return answer.rows[0]?.[0] === rowHash([PROBE], "hashtext") ? "hashtext" : "md5";
  } catch (error) {
    // Only a server that answers, but not this statement, lacks the function: a lost connection
    // fails the job's creation rather than settling its formula for good.
    await source.query("SELECT 1").catch(() => {
      throw error;
    });
    return "md5";
  }
}
