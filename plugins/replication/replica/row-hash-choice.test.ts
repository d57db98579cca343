import { describe, expect, it } from "vitest";
import { SourceUnavailableError } from "../../../src/errors";
import { withSource } from "../../../src/sources";
import type { SourceConnection } from "../../../src/sources/types";
import { MYSQL, PG } from "../../../test/support/sources";
import { chooseRowHashFormula } from "./row-hash-choice";

const pg = { dialect: "postgresql" as const, ...PG };

/**
 * Runs `work` on a session whose `search_path` puts a function `hashtext(text)` with `body` ahead of
 * pg_catalog's: how a server whose hashtext differs (a big-endian machine), fails (a
 * PostgreSQL-compatible one without it) or loses the connection is played on this one.
 */
async function withShadowHashtext<T>(body: string, work: (source: SourceConnection) => Promise<T>): Promise<T> {
  const schema = `hash_shadow_${crypto.randomUUID().slice(0, 8)}`;
  await withSource(pg, async (admin) => {
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.query(`CREATE FUNCTION ${schema}.hashtext(text) RETURNS int ${body}`);
  });
  try {
    return await withSource(pg, async (source) => {
      await source.query(`SET search_path = ${schema}, pg_catalog`);
      return work(source);
    });
  } finally {
    await withSource(pg, (admin) => admin.query(`DROP SCHEMA ${schema} CASCADE`));
  }
}

describe("chooseRowHashFormula", () => {
  it("gives a PostgreSQL source hashtext, and a MySQL source crc32", async () => {
    expect(await withSource(pg, chooseRowHashFormula)).toBe("hashtext");
    expect(await withSource({ dialect: "mysql", ...MYSQL }, chooseRowHashFormula)).toBe("crc32");
  });

  it.each([
    ["computes other values", "LANGUAGE sql AS 'SELECT 7'"],
    ["fails", "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'no hashtext here'; END $$"],
  ])("gives md5 to a PostgreSQL server whose hashtext %s", async (_label, body) => {
    expect(await withShadowHashtext(body, chooseRowHashFormula)).toBe("md5");
  });

  it("fails, rather than choosing md5, when the connection is lost during the question", async () => {
    const dies = "LANGUAGE sql AS 'SELECT pg_terminate_backend(pg_backend_pid())::int'";
    const choice = withShadowHashtext(dies, chooseRowHashFormula);
    await expect(choice).rejects.toBeInstanceOf(SourceUnavailableError);
  });
});
