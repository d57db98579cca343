import { describe, expect, it } from "vitest";
import { mysqlDialect, postgresDialect, withSource } from "../../../src/sources";
import { MYSQL, PG } from "../../../test/support/sources";
import { rowHash, rowHashFormulaAfterReset, rowHashSql } from "./row-hash";

describe("rowHash", () => {
  it.each(["hashtext", "md5"] as const)(
    "is an unsigned 32-bit integer that tells NULL from empty and column boundaries apart (%s)",
    (formula) => {
      const texts = [["a", "b"], ["ab", ""], ["a", null], ["a", ""], [""]];
      const hashes = texts.map((row) => rowHash(row, formula));
      for (const h of hashes) {
        expect(h).toBeGreaterThanOrEqual(0);
        expect(h).toBeLessThan(2 ** 32);
      }
      expect(new Set(hashes).size).toBe(hashes.length);
    },
  );
});

describe.each(["hashtext", "md5"] as const)("rowHashSql on PostgreSQL with %s", (formula) => {
  it("computes exactly what rowHash computes from the same texts", async () => {
    const rows = await withSource({ dialect: "postgresql", ...PG }, (source) =>
      source.query(
        `WITH v(i, t, n, ts, b, j, a) AS (VALUES
           (1::bigint, 'héllo'::text, 12.50::numeric, '2024-03-01 10:00:00.123456+05:30'::timestamptz, '\\x00ff'::bytea, '{"a": [1, 2]}'::jsonb, ARRAY[1, NULL]::int[]),
           (2, NULL, NULL, NULL, NULL, NULL, NULL),
           (3, '', -0.0001, 'infinity', '\\x', '[]', '{}'))
         SELECT i::text, t::text, n::text, ts::text, b::text, j::text, a::text, ${rowHashSql(postgresDialect, ["i", "t", "n", "ts", "b", "j", "a"], formula)}
         FROM v ORDER BY i`,
      ),
    );
    expect(rows.rows).toHaveLength(3);
    for (const row of rows.rows) {
      const texts = row.slice(0, 7) as Array<string | null>;
      expect(row[7]).toBe(rowHash(texts, formula));
    }
  });

  it("hashes a value's bytes under a case-insensitive collation too, as change capture does", async () => {
    const collation = `row_hash_ci_${crypto.randomUUID().slice(0, 8)}`;
    const rows = await withSource({ dialect: "postgresql", ...PG }, async (source) => {
      await source.query(
        `CREATE COLLATION ${collation} (provider = icu, locale = 'und-u-ks-level2', deterministic = false)`,
      );
      try {
        return await source.query(
          `SELECT t::text, ${rowHashSql(postgresDialect, ["t"], formula)}
             FROM (VALUES ('Abc' COLLATE ${collation}), ('abc' COLLATE ${collation})) AS v(t)`,
        );
      } finally {
        await source.query(`DROP COLLATION ${collation}`);
      }
    });
    expect(rows.rows.map((row) => row[1])).toEqual([rowHash(["Abc"], formula), rowHash(["abc"], formula)]);
  });

  it("computes the same for a row of more columns than a function takes arguments", async () => {
    const names = Array.from({ length: 150 }, (_, i) => `c${i}`);
    const values = names.map((_, i) => (i % 7 === 3 ? "NULL::text" : `'v${i}'`));
    const rows = await withSource({ dialect: "postgresql", ...PG }, (source) =>
      source.query(
        `SELECT ${rowHashSql(postgresDialect, names, formula)} FROM (SELECT ${values.map((v, i) => `${v} AS c${i}`).join(", ")}) v`,
      ),
    );
    expect(rows.rows[0]![0]).toBe(
      rowHash(
        names.map((_, i) => (i % 7 === 3 ? null : `v${i}`)),
        formula,
      ),
    );
  });
});

describe("rowHashSql", () => {
  it("gives each dialect only the formulas it computes", () => {
    expect(() => rowHashSql(postgresDialect, ["a"], "crc32")).toThrow(/not computed on PostgreSQL/);
    expect(() => rowHashSql(mysqlDialect, ["a"], "hashtext")).toThrow(/not computed on MySQL/);
  });

  it("moves a MySQL job to crc32 on a reset, and leaves a PostgreSQL job the formula its creation chose", () => {
    expect(rowHashFormulaAfterReset("mysql", "md5")).toBe("crc32");
    expect(rowHashFormulaAfterReset("mysql", "crc32")).toBe("crc32");
    expect(rowHashFormulaAfterReset("postgresql", "md5")).toBe("md5");
    expect(rowHashFormulaAfterReset("postgresql", "hashtext")).toBe("hashtext");
  });

  describe.each(["md5", "crc32"] as const)("on MySQL with %s", (formula) => {
    it("gives MySQL a deterministic unsigned 32-bit hash per row", async () => {
      const rows = await withSource({ dialect: "mysql", ...MYSQL }, (source) =>
        source.query(
          `SELECT ${rowHashSql(mysqlDialect, ["a", "b"], formula)} AS h FROM (SELECT 1 AS a, 'x' AS b UNION ALL SELECT 1, NULL UNION ALL SELECT 1, 'x') v`,
        ),
      );
      const [first, second, third] = rows.rows.map((r) => r[0] as number);
      expect(first).toBe(third);
      expect(first).not.toBe(second);
      expect(first).toBeGreaterThanOrEqual(0);
      expect(first).toBeLessThan(2 ** 32);
    });

    it("tells apart MySQL numbers that differ only after the decimal point, and binary values", async () => {
      const values = [
        "CAST(12.34 AS DECIMAL(10,2))",
        "CAST(12.99 AS DECIMAL(10,2))",
        "CAST(1.5 AS DOUBLE)",
        "CAST(1.25 AS DOUBLE)",
        "CAST(2.5 AS FLOAT)",
        "CAST(2.75 AS FLOAT)",
        "X'00FF'",
        "X'00FE'",
      ];
      const hashes = await withSource({ dialect: "mysql", ...MYSQL }, async (source) => {
        const out: unknown[] = [];
        for (const value of values) {
          const { rows } = await source.query(
            `SELECT ${rowHashSql(mysqlDialect, ["a"], formula)} FROM (SELECT ${value} AS a) v`,
          );
          out.push(rows[0]![0]);
        }
        return out;
      });
      expect(new Set(hashes).size).toBe(values.length);
    });
  });
});
