import { describe, expect, it } from "vitest";
import { withSource } from "../../../src/sources";
import { PG } from "../../../test/support/sources";
import { castTextOf } from "./hash-texts";

describe("castTextOf", () => {
  it("turns what the type's output prints (what pgoutput sends) into what `::text` prints, on the real server", async () => {
    const rows = await withSource({ dialect: "postgresql", ...PG }, (source) =>
      source.query(
        `SELECT pg_typeof(v)::oid::int, format('%s', v), v::text FROM (VALUES
           (true::text::boolean), (false)) AS b(v)
         UNION ALL SELECT pg_typeof(v)::oid::int, format('%s', v), v::text FROM (VALUES
           ('ab'::char(5)), ('abcde'), ('  '), (' a '::char(3))) AS c(v)
         UNION ALL SELECT pg_typeof(v)::oid::int, format('%s', v), v::text FROM (VALUES
           ('1.2.3.4'::inet), ('1.2.3.4/24'), ('::1'), ('2001:db8::1/64'), ('10.0.0.0/32')) AS i(v)
         UNION ALL SELECT pg_typeof(v)::oid::int, format('%s', v), v::text FROM (VALUES
           ('10.0.0.0/8'::cidr), ('1.2.3.4/32')) AS r(v)
         UNION ALL SELECT pg_typeof(v)::oid::int, format('%s', v), v::text FROM (VALUES
           (ARRAY[true, false]), (ARRAY[NULL::boolean])) AS a(v)
         UNION ALL SELECT pg_typeof(v)::oid::int, format('%s', v), v::text FROM (VALUES
           ('x  '::varchar), ('y'::text)) AS t(v)`,
      ),
    );
    expect(rows.rows.length).toBe(17);
    for (const [oid, sent, cast] of rows.rows as Array<[number, string, string]>) {
      const turn = castTextOf(oid);
      expect([oid, turn ? turn(sent) : sent]).toEqual([oid, cast]);
    }
  });

  it("knows every cast to text the server makes by a function, not by the type's output", async () => {
    const rows = await withSource({ dialect: "postgresql", ...PG }, (source) =>
      source.query(
        `SELECT castsource::regtype::text FROM pg_cast
          WHERE casttarget = 'text'::regtype AND castmethod = 'f' ORDER BY 1`,
      ),
    );
    // boolean, character and inet differ (handled); cidr, name and "char" print as their output does
    // (for "char", but for a byte beyond ASCII, which a UTF-8 database cannot hold as text anyway).
    expect(rows.rows.map((r) => r[0])).toEqual(['"char"', "boolean", "character", "cidr", "inet", "name"]);
  });
});
