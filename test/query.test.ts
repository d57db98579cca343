import { describe, expect, it } from "vitest";
import { api, CLIENT, sql, uniqueName } from "./helpers";

// What the client role may and may not run is in authorization.test.ts.

describe("POST /query", () => {
  it("answers rows as objects", async () => {
    const res = await sql("SELECT 1 AS one, 'two' AS two, NULL AS missing");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ result: [{ one: 1, two: "two", missing: null }] });
  });

  it("binds params in order, booleans as 1 and 0", async () => {
    const res = await sql("SELECT ? AS a, ? AS b, ? AS c, ? AS d", ["x", 2.5, true, null]);
    expect(res.body.result).toEqual([{ a: "x", b: 2.5, c: 1, d: null }]);
  });

  it("writes and reads back a table", async () => {
    const t = uniqueName("items");
    expect((await sql(`CREATE TABLE ${t} (id INTEGER PRIMARY KEY, name TEXT)`)).status).toBe(200);
    await sql(`INSERT INTO ${t} (id, name) VALUES (?, ?), (?, ?)`, [1, "a", 2, "b"]);
    const res = await sql(`SELECT * FROM ${t} ORDER BY id`, [], CLIENT);
    expect(res.body.result).toEqual([
      { id: 1, name: "a" },
      { id: 2, name: "b" },
    ]);
  });

  it("answers blobs as byte arrays", async () => {
    const res = await sql("SELECT x'00ff00' AS b");
    expect(res.body.result).toEqual([{ b: [0, 255, 0] }]);
  });
});

describe("POST /query/raw", () => {
  it("answers columns in statement order, rows as arrays, and meta", async () => {
    const t = uniqueName("raw");
    await sql(`CREATE TABLE ${t} (z TEXT, a INTEGER)`);
    const write = await api<{ meta: { rows_written: number } }>("POST", "/query/raw", {
      body: { sql: `INSERT INTO ${t} VALUES ('q', 1), ('r', 2)` },
    });
    expect(write.body.result?.meta.rows_written).toBe(2);
    const res = await api("POST", "/query/raw", { body: { sql: `SELECT z, a FROM ${t} ORDER BY a` } });
    expect(res.body.result).toMatchObject({
      columns: ["z", "a"],
      rows: [
        ["q", 1],
        ["r", 2],
      ],
      meta: { rows_written: 0 },
    });
  });
});

describe("transactions", () => {
  it("answers one result per statement", async () => {
    const res = await api("POST", "/query", {
      body: { transaction: [{ sql: "SELECT 1 AS a" }, { sql: "SELECT ? AS b", params: [2] }] },
    });
    expect(res.status).toBe(200);
    expect(res.body.result).toEqual([[{ a: 1 }], [{ b: 2 }]]);
  });

  it("leaves no trace of the first statement when the second fails", async () => {
    const t = uniqueName("atomic");
    await sql(`CREATE TABLE ${t} (id INTEGER PRIMARY KEY)`);
    const res = await api("POST", "/query", {
      body: {
        transaction: [{ sql: `INSERT INTO ${t} (id) VALUES (1)` }, { sql: `INSERT INTO ${t} (id) VALUES (1)` }],
      },
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/statement 1.*UNIQUE/);
    const rows = await sql(`SELECT count(*) AS n FROM ${t}`);
    expect(rows.body.result).toEqual([{ n: 0 }]);
  });

  it("rolls back a CREATE TABLE in a failed transaction", async () => {
    const t = uniqueName("ddl");
    const res = await api("POST", "/query", {
      body: { transaction: [{ sql: `CREATE TABLE ${t} (id INTEGER)` }, { sql: "SELECT * FROM no_such_table" }] },
    });
    expect(res.status).toBe(400);
    const exists = await sql("SELECT count(*) AS n FROM sqlite_master WHERE name = ?", [t]);
    expect(exists.body.result).toEqual([{ n: 0 }]);
  });
});

describe("bad requests", () => {
  const cases: Array<[string, { body?: unknown; rawBody?: string; contentType?: string }, RegExp]> = [
    ["wrong content type", { rawBody: "sql=SELECT 1", contentType: "text/plain" }, /Content-Type/],
    ["malformed JSON", { rawBody: '{"sql": ' }, /not valid JSON/],
    ["missing sql", { body: {} }, /sql/],
    ["empty sql", { body: { sql: "   " } }, /sql must not be empty/],
    ["non-string sql", { body: { sql: 42 } }, /sql must be a string/],
    ["params not an array", { body: { sql: "SELECT ?", params: "x" } }, /params must be an array/],
    ["object param", { body: { sql: "SELECT ?", params: [{ a: 1 }] } }, /param must be a string/],
    ["too many params", { body: { sql: "SELECT 1", params: new Array(101).fill(1) } }, /at most 100 params/],
    ["unknown field", { body: { sql: "SELECT 1", extra: true } }, /extra/],
    ["empty transaction", { body: { transaction: [] } }, /at least one statement/],
    ["SQL error", { body: { sql: "SELEC 1" } }, /SQL error: .*syntax error/],
    ["unknown table", { body: { sql: "SELECT * FROM nowhere" } }, /no such table: nowhere/],
    ["wrong param count", { body: { sql: "SELECT ?, ?", params: [1] } }, /SQL error/],
  ];

  it.each(cases)("%s: 400 naming the problem", async (_name, request, message) => {
    const res = await api("POST", "/query", request);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(message);
    expect(res.body.error).not.toMatch(/\n\s+at /);
  });
});
