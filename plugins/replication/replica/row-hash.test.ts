import { describe, expect, it } from "vitest";
import { mysqlDialect, postgresDialect, withSource } from "../../../src/sources";
import type { SourceColumn } from "../../../src/sources/types";
import { MYSQL, PG } from "../../../test/support/sources";
import { rowHash, rowHashSql, type RowHashVersion } from "./row-hash";

/** A column for rowHashSql (PostgreSQL's formula reads only the name; MySQL's version 2 reads the type too). */
function col(name: string, sourceType = "text"): SourceColumn {
  return { name, sourceType, nullable: true, sqliteType: "TEXT" };
}
const named = (names: string[]) => names.map((name) => col(name));

describe("rowHash", () => {
  it("is an unsigned 32-bit integer that tells NULL from empty and column boundaries apart", () => {
    const hashes = [rowHash(["a", "b"]), rowHash(["ab", ""]), rowHash(["a", null]), rowHash(["a", ""]), rowHash([""])];
    for (const h of hashes) {
      expect(h).toBeGreaterThanOrEqual(0);
      expect(h).toBeLessThan(2 ** 32);
    }
    expect(new Set(hashes).size).toBe(hashes.length);
  });
});

describe("rowHashSql", () => {
  it("computes on PostgreSQL exactly what rowHash computes from the same texts", async () => {
    const rows = await withSource({ dialect: "postgresql", ...PG }, (source) =>
      source.query(
        `WITH v(i, t, n, ts, b, j, a) AS (VALUES
           (1::bigint, 'héllo'::text, 12.50::numeric, '2024-03-01 10:00:00.123456+05:30'::timestamptz, '\\x00ff'::bytea, '{"a": [1, 2]}'::jsonb, ARRAY[1, NULL]::int[]),
           (2, NULL, NULL, NULL, NULL, NULL, NULL),
           (3, '', -0.0001, 'infinity', '\\x', '[]', '{}'))
         SELECT i::text, t::text, n::text, ts::text, b::text, j::text, a::text, ${rowHashSql(postgresDialect, named(["i", "t", "n", "ts", "b", "j", "a"]), 2)}
         FROM v ORDER BY i`,
      ),
    );
    expect(rows.rows).toHaveLength(3);
    for (const row of rows.rows) {
      const texts = row.slice(0, 7) as Array<string | null>;
      expect(row[7]).toBe(rowHash(texts));
    }
  });

  it("computes the same on PostgreSQL for a row of more columns than a function takes arguments", async () => {
    const names = Array.from({ length: 150 }, (_, i) => `c${i}`);
    const values = names.map((_, i) => (i % 7 === 3 ? "NULL::text" : `'v${i}'`));
    const rows = await withSource({ dialect: "postgresql", ...PG }, (source) =>
      source.query(
        `SELECT ${rowHashSql(postgresDialect, named(names), 2)} FROM (SELECT ${values.map((v, i) => `${v} AS c${i}`).join(", ")}) v`,
      ),
    );
    expect(rows.rows[0]![0]).toBe(rowHash(names.map((_, i) => (i % 7 === 3 ? null : `v${i}`))));
  });

  const versions: RowHashVersion[] = [1, 2];

  it.each(versions)("gives MySQL a deterministic unsigned 32-bit hash per row (version %i)", async (version) => {
    const rows = await withSource({ dialect: "mysql", ...MYSQL }, (source) =>
      source.query(
        `SELECT ${rowHashSql(mysqlDialect, [col("a", "int(11)"), col("b", "varchar(5)")], version)} AS h
           FROM (SELECT 1 AS a, 'x' AS b UNION ALL SELECT 1, NULL UNION ALL SELECT 1, 'x') v`,
      ),
    );
    const [first, second, third] = rows.rows.map((r) => r[0] as number);
    expect(first).toBe(third);
    expect(first).not.toBe(second);
    expect(first).toBeGreaterThanOrEqual(0);
    expect(first).toBeLessThan(2 ** 32);
  });

  it("keeps MySQL's version 1 as replicas made before version 2 hold it", async () => {
    const rows = await withSource({ dialect: "mysql", ...MYSQL }, (source) =>
      source.query(
        `SELECT ${rowHashSql(mysqlDialect, [col("a", "int(11)"), col("b", "varchar(5)")], 1)}
           FROM (SELECT 1 AS a, 'x' AS b) v`,
      ),
    );
    // md5('31' || CHAR(31) || '78') (the hex of 1 and of 'x') begins fc266bec: the formula as it stood before versions.
    expect(rows.rows[0]![0]).toBe(0xfc266bec);
  });

  it.each(versions)(
    "tells apart MySQL numbers that differ only after the decimal point, and binary values (version %i)",
    async (version) => {
      const values: Array<[string, string]> = [
        ["CAST(12.34 AS DECIMAL(10,2))", "decimal(10,2)"],
        ["CAST(12.99 AS DECIMAL(10,2))", "decimal(10,2)"],
        ["CAST(1.5 AS DOUBLE)", "double"],
        ["CAST(1.25 AS DOUBLE)", "double"],
        ["CAST(2.5 AS FLOAT)", "float"],
        ["CAST(2.75 AS FLOAT)", "float"],
        ["CAST('2024-01-01 00:00:00.000001' AS DATETIME(6))", "datetime(6)"],
        ["CAST('2024-01-01 00:00:00.000002' AS DATETIME(6))", "datetime(6)"],
        ["X'00FF'", "varbinary(2)"],
        ["X'00FE'", "varbinary(2)"],
        ["X'1F'", "varbinary(2)"],
        ["X'1E'", "varbinary(2)"],
      ];
      const hashes = await withSource({ dialect: "mysql", ...MYSQL }, async (source) => {
        const out: unknown[] = [];
        for (const [value, type] of values) {
          const { rows } = await source.query(
            `SELECT ${rowHashSql(mysqlDialect, [col("a", type)], version)} FROM (SELECT ${value} AS a) v`,
          );
          out.push(rows[0]![0]);
        }
        return out;
      });
      expect(new Set(hashes).size).toBe(values.length);
    },
  );

  it.each(versions)(
    "tells MySQL rows apart when text holds the separators or NULL's mark (version %i)",
    async (version) => {
      const columns = [col("a", "varchar(10)"), col("b", "text"), col("n", "bigint(20)")];
      const rows = await withSource({ dialect: "mysql", ...MYSQL }, (source) =>
        source.query(
          `SELECT ${rowHashSql(mysqlDialect, columns, version)} FROM (
             SELECT CONCAT('a', CHAR(31), 'b') AS a, 'c' AS b, 1 AS n
             UNION ALL SELECT 'a', CONCAT('b', CHAR(31), 'c'), 1
             UNION ALL SELECT CHAR(30), 'c', 1
             UNION ALL SELECT NULL, 'c', 1
             UNION ALL SELECT '', 'c', 1
             UNION ALL SELECT 'a', 'c', NULL
             UNION ALL SELECT 'a', 'c', 1) v`,
        ),
      );
      expect(new Set(rows.rows.map((r) => r[0])).size).toBe(7);
    },
  );
});
