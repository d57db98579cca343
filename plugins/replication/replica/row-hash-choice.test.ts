import { describe, expect, it } from "vitest";
import { withSource } from "../../../src/sources";
import { MYSQL, PG } from "../../../test/support/sources";
import { chooseRowHashFormula } from "./row-hash-choice";

describe("chooseRowHashFormula", () => {
  it("gives a PostgreSQL source hashtext, and a MySQL source crc32", async () => {
    expect(await withSource({ dialect: "postgresql", ...PG }, chooseRowHashFormula)).toBe("hashtext");
    expect(await withSource({ dialect: "mysql", ...MYSQL }, chooseRowHashFormula)).toBe("crc32");
  });

  // A server whose hashtext differs (a big-endian machine) or fails (a PostgreSQL-compatible one
  // without it) is played by a function of that name ahead of pg_catalog's on the session's path.
  it.each([
    ["computes other values", "LANGUAGE sql AS 'SELECT 7'"],
    ["fails", "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'no hashtext here'; END $$"],
  ])("gives md5 to a PostgreSQL server whose hashtext %s", async (_label, body) => {
    const schema = `hash_shadow_${crypto.randomUUID().slice(0, 8)}`;
    const chosen = await withSource({ dialect: "postgresql", ...PG }, async (source) => {
      await source.query(`CREATE SCHEMA ${schema}`);
      try {
        await source.query(`CREATE FUNCTION ${schema}.hashtext(text) RETURNS int ${body}`);
        await source.query(`SET search_path = ${schema}, pg_catalog`);
        return await chooseRowHashFormula(source);
      } finally {
        await source.query(`RESET search_path`);
        await source.query(`DROP SCHEMA ${schema} CASCADE`);
      }
    });
    expect(chosen).toBe("md5");
  });
});
