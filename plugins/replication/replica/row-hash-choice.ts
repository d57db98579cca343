/**
 * Which row hash formula a new job gets, asked of its source once, when the job is created.
 * PostgreSQL jobs get `hashtext` only where the server computes it as pgHashText does: a
 * PostgreSQL-compatible server may lack the function, and a big-endian one computes other values
 * (lookup3 reads words in the machine's byte order), which change capture's hashes would then not
 * match. Such a source gets md5, as every PostgreSQL job did before.
 */
import type { SourceConnection } from "../../../src/sources/types";
import { pgHashText } from "./pg-hashtext";
import type { RowHashFormula } from "./row-hash";

/** Bytes on both sides of lookup3's 12-byte blocks and a multi-byte character. */
const PROBE = "starbase row hash probe, é";

export async function chooseRowHashFormula(source: SourceConnection): Promise<RowHashFormula> {
  if (source.dialect === "mysql") return "crc32";
  try {
    const answer = await source.query(`SELECT hashtext(?::text COLLATE "C")::bigint & 4294967295`, [PROBE]);
    return answer.rows[0]?.[0] === pgHashText(PROBE) ? "hashtext" : "md5";
  } catch {
    // No such function (or one that fails): the source keeps the formula every PostgreSQL has.
    return "md5";
  }
}
