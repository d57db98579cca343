/**
 * What any caller can send that must not hurt: browser preflights, other data
 * sources, oversized or deeply nested bodies, huge results, and inputs that
 * hold a secret or are long enough to fill an error message.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { allowedOrigin } from "../src/http/cors";
import { ADMIN, api, CLIENT, sql, uniqueName } from "./helpers";
import { PG } from "./support/sources";

describe("CORS", () => {
  it("answers a preflight with 204 before authentication", async () => {
    const res = await SELF.fetch("http://example.com/query", {
      method: "OPTIONS",
      headers: {
        Origin: "https://studio.outerbase.com",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe("*");
    expect(res.headers.get("Access-Control-Allow-Methods")).toContain("POST");
    expect(res.headers.get("Access-Control-Allow-Headers")).toBe(
      "Authorization,Content-Type,X-Starbase-Source,X-Data-Source",
    );
  });

  it.each([
    ["a success", ADMIN, "/status", 200],
    ["a wrong token", "wrong", "/status", 401],
    ["a forbidden route", CLIENT, "/replication/jobs", 403],
    ["an unknown route", ADMIN, "/nowhere", 404],
  ])("puts the origin header on %s", async (_label, token, path, status) => {
    const res = await SELF.fetch(`http://example.com${path}`, {
      headers: { Authorization: `Bearer ${token}`, Origin: "https://app.example" },
    });
    expect(res.status).toBe(status);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe("*");
  });

  it("keeps authentication for everything but the preflight", async () => {
    const res = await SELF.fetch("http://example.com/status", { headers: { Origin: "https://app.example" } });
    expect(res.status).toBe(401);
  });

  it.each([
    [undefined, "https://a.example", "*"],
    ["*", "https://a.example", "*"],
    ["https://a.example, https://b.example", "https://b.example", "https://b.example"],
    ["https://a.example", "https://evil.example", null],
  ])("CORS_ALLOWED_ORIGINS=%s lets %s in as %s", (configured, origin, expected) => {
    expect(allowedOrigin(origin, configured)).toBe(expected);
  });
});

describe("X-Starbase-Source and ?source=", () => {
  const query = (headers: Record<string, string>, search = "") =>
    SELF.fetch(`http://example.com/query${search}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${ADMIN}`, "Content-Type": "application/json", ...headers },
      body: JSON.stringify({ sql: "SELECT 1 AS one" }),
    });

  it.each([
    ["absent", {}, ""],
    ["internal", { "X-Starbase-Source": "internal" }, ""],
    ["?source=internal", {}, "?source=internal"],
  ])("%s answers from the Durable Object", async (_label, headers, search) => {
    const res = await query(headers, search);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ result: [{ one: 1 }] });
  });

  it.each([
    ["external", { "X-Starbase-Source": "external" }, ""],
    ["hyperdrive", { "X-Starbase-Source": "Hyperdrive" }, ""],
    ["?source=external", {}, "?source=external"],
  ])("%s answers 400: no external source", async (_label, headers, search) => {
    const res = await query(headers, search);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "No external data sources available." });
  });
});

describe("resource limits", () => {
  it("answers 413 for a body over the cap, before parsing it", async () => {
    const res = await api("POST", "/query", { rawBody: `{"sql": "SELECT 1", "x": "${"a".repeat(9 * 1024 * 1024)}"}` });
    expect(res.status).toBe(413);
    expect(res.body.error).toMatch(/larger than 8388608 bytes \(REQUEST_MAX_BYTES\)/);
  });

  it("answers 400 for deeply nested JSON", async () => {
    const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    for (const path of ["/query", "/replication/jobs"]) {
      const res = await api("POST", path, { rawBody: `{"sql": ${deep}, "name": ${deep}}` });
      expect(res.status, path).toBe(400);
      expect(res.body.error).toMatch(/nested more than 32 levels/);
    }
  });

  it("refuses a result over the byte cap instead of building it", async () => {
    const res = await sql(
      "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT zeroblob(100) FROM r",
    );
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/larger than 16777216 bytes \(QUERY_MAX_RESULT_BYTES\)/);
  });

  it("refuses a result over the row cap", async () => {
    const res = await api("POST", "/query/raw", {
      body: { sql: "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT n FROM r" },
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/more than 100000 rows \(QUERY_MAX_RESULT_ROWS\)/);
  });

  it("refuses SQL longer than the Durable Object's statement limit", async () => {
    const res = await sql(`SELECT '${"x".repeat(100_001)}'`);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/at most 100000 bytes/);
  });
});

describe("error texts", () => {
  it("carry no driver suffix from inside a transaction", async () => {
    const t = uniqueName("dup");
    await sql(`CREATE TABLE ${t} (id INTEGER PRIMARY KEY)`);
    const res = await api("POST", "/query", {
      body: { transaction: [{ sql: `INSERT INTO ${t} VALUES (1)` }, { sql: `INSERT INTO ${t} VALUES (1)` }] },
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe(`SQL error in transaction statement 1: UNIQUE constraint failed: ${t}.id`);
  });
});

describe("redaction", () => {
  const create = (source: Record<string, unknown>, over: Record<string, unknown> = {}) =>
    api("POST", "/replication/jobs", {
      body: {
        name: uniqueName("redact"),
        source,
        table_name: "nowhere",
        tracking_col: "updated_at",
        tracking_type: "timestamp",
        cron_tab: "0 0 1 1 *",
        ...over,
      },
    });

  it.each(["Zq7/Xw9", "Zq7#Xw9", "Zq7?Xw9", "1234/Zq7x", "Zq7@Xw9/Kp3"])(
    "never shows a URL password containing %s",
    async (password) => {
      const res = await create({
        dialect: "postgresql",
        url: `postgres://postgres:${password}@127.0.0.1:${PG.port}/test`,
      });
      expect(res.status).toBe(400);
      expect(res.body.error).not.toContain(password);
      for (const piece of password.split(/[/#?@]/).filter((p) => p.length >= 3))
        expect(res.body.error).not.toContain(piece);
    },
  );

  it("refuses a password given as a URL parameter, without showing it", async () => {
    const res = await create({
      dialect: "postgresql",
      url: `postgres://postgres@127.0.0.1:${PG.port}/test?password=Hunter22x`,
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/parameter "password" is not supported/);
    expect(res.body.error).not.toContain("Hunter22x");
  });

  it("cuts a huge invalid value in the answer", async () => {
    const res = await create({ dialect: "postgresql", ...PG }, { cron_tab: `${"9".repeat(50_000)} * * * *` });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/cron_tab/);
    expect(res.body.error!.length).toBeLessThan(300);
  });

  it("cuts a huge unknown field name", async () => {
    const res = await create({ dialect: "postgresql", ...PG }, { ["k".repeat(50_000)]: 1 });
    expect(res.status).toBe(400);
    expect(res.body.error!.length).toBeLessThan(1_000);
  });
});

describe("GET /openapi.json", () => {
  it("answers the document to the admin role only", async () => {
    const res = await SELF.fetch("http://example.com/openapi.json", { headers: { Authorization: `Bearer ${ADMIN}` } });
    expect(res.status).toBe(200);
    const document = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(document.openapi).toBe("3.1.0");
    expect(Object.keys(document.paths)).toContain("/replication/jobs/{name}");
    expect((await api("GET", "/openapi.json", { token: CLIENT })).status).toBe(403);
    expect((await api("GET", "/openapi.json", { token: null })).status).toBe(401);
  });
});
