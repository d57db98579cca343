import { describe, expect, it } from "vitest";
import { splitStatements } from "./statements";

const texts = (sql: string) => splitStatements(sql).map((s) => s.sql.trim());
const keywords = (sql: string) => splitStatements(sql).map((s) => s.keyword);

describe("splitStatements", () => {
  it.each([
    ["SELECT 1", ["SELECT 1"]],
    ["SELECT 1;", ["SELECT 1"]],
    ["SELECT 1; DELETE FROM t", ["SELECT 1", "DELETE FROM t"]],
    ["SELECT ';'; SELECT 2", ["SELECT ';'", "SELECT 2"]],
    ["SELECT 'it''s;'; SELECT 2", ["SELECT 'it''s;'", "SELECT 2"]],
    ['SELECT "a;b" FROM t; SELECT 2', ['SELECT "a;b" FROM t', "SELECT 2"]],
    ['SELECT "a"";b" FROM t', ['SELECT "a"";b" FROM t']],
    ["SELECT `a;b`; SELECT 2", ["SELECT `a;b`", "SELECT 2"]],
    ["SELECT [a;b]; SELECT 2", ["SELECT [a;b]", "SELECT 2"]],
    ["SELECT 1 -- ; DROP\n; SELECT 2", ["SELECT 1 -- ; DROP", "SELECT 2"]],
    ["SELECT 1 /* ; */; SELECT 2", ["SELECT 1 /* ; */", "SELECT 2"]],
    ["SELECT 1 /* unterminated ; DROP", ["SELECT 1 /* unterminated ; DROP"]],
    ["SELECT 'unterminated ; DROP", ["SELECT 'unterminated ; DROP"]],
    ["SELECT x'00;'; SELECT 2", ["SELECT x'00;'", "SELECT 2"]],
    // A carriage return does not end a -- comment in SQLite: the ; stays inside it.
    ["SELECT 1 -- a\r; DROP TABLE t", ["SELECT 1 -- a\r; DROP TABLE t"]],
    // In a parameter's (...) suffix, quotes and comment marks start nothing: the ; after it ends the statement.
    ["SELECT $a(--);DELETE FROM t", ["SELECT $a(--)", "DELETE FROM t"]],
    ["SELECT $a(');DELETE FROM t", ["SELECT $a(')", "DELETE FROM t"]],
    ["SELECT :a(/*);DELETE FROM t", ["SELECT :a(/*)", "DELETE FROM t"]],
    ['SELECT @a(");DELETE FROM t', ['SELECT @a(")', "DELETE FROM t"]],
    ["SELECT $a::b([);DELETE FROM t", ["SELECT $a::b([)", "DELETE FROM t"]],
    // The suffix ends at whitespace too; with no name before it, ( is not a suffix.
    ["SELECT $a(x ';'); SELECT 2", ["SELECT $a(x ';')", "SELECT 2"]],
    ["SELECT $(';'); SELECT 2", ["SELECT $(';')", "SELECT 2"]],
  ])("%j -> %j", (sql, expected) => {
    expect(texts(sql)).toEqual(expected);
  });

  it("drops pieces with no statement", () => {
    expect(texts(" ; ;; -- only a comment\n /* and another */ ;")).toEqual([]);
  });

  it("reads each statement's first keyword, past comments", () => {
    expect(
      keywords("/* c */ select 1; -- x\n PRAGMA table_list; with a as (select 1) select * from a; (select 1)"),
    ).toEqual(["SELECT", "PRAGMA", "WITH", ""]);
  });

  it("reads up to three leading bare words", () => {
    expect(splitStatements('create temp trigger x; CREATE TABLE "t" (a); DROP TABLE t').map((s) => s.lead)).toEqual([
      ["CREATE", "TEMP", "TRIGGER"],
      ["CREATE", "TABLE"],
      ["DROP", "TABLE", "T"],
    ]);
  });

  it("gives a quoted start no keyword", () => {
    expect(keywords("'SELECT' 1; \"DELETE\"")).toEqual(["", ""]);
  });
});

describe("splitStatements against SQLite itself", () => {
  // If SQLite ever saw a statement boundary this splitter missed, `EXPLAIN <piece>`
  // would run the statement after it. Random texts built from the tokenizer's
  // tricky fragments, with a write hidden behind each possible boundary, never write.
  const fragments = [
    "INSERT INTO probe VALUES (1)",
    ";",
    "'",
    '"',
    "`",
    "[",
    "]",
    "--",
    "/*",
    "*/",
    "\n",
    "\r",
    " ",
    "SELECT 1",
    "x'",
    "$a(",
    ")",
    "BEGIN",
    "END",
    "CREATE TRIGGER t AFTER INSERT ON probe BEGIN",
    "''",
    '""',
    // Valid statements and boundaries, weighted so that many pieces compile.
    ...Array(6).fill("SELECT 1 AS a"),
    ...Array(6).fill("INSERT INTO probe VALUES (1)"),
    ...Array(8).fill("; "),
  ];

  it("never lets a piece carry a second statement", async () => {
    const { env, runInDurableObject } = await import("cloudflare:test");
    const stub = env.DATABASE_DURABLE_OBJECT.get(env.DATABASE_DURABLE_OBJECT.idFromName("splitter-fuzz"));
    await runInDurableObject(stub, (_instance, state) => {
      const sql = state.storage.sql;
      sql.exec("CREATE TABLE probe (x)");
      let seed = 7;
      const random = (n: number) => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed % n;
      };
      let compiled = 0;
      for (let round = 0; round < 3000; round++) {
        const text = Array.from({ length: 2 + random(10) }, () => fragments[random(fragments.length)]).join("");
        for (const piece of splitStatements(text)) {
          try {
            sql.exec(`EXPLAIN ${piece.sql}`).toArray();
            compiled++;
          } catch {
            // Most random pieces are not valid SQL: refused, which is safe.
          }
          expect(
            sql.exec("SELECT count(*) AS n FROM probe").one().n,
            `${JSON.stringify(text)} -> ${JSON.stringify(piece.sql)}`,
          ).toBe(0);
        }
      }
      expect(compiled).toBeGreaterThan(400);
    });
  });
});
