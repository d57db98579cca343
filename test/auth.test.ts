import { describe, expect, it } from "vitest";
import { SELF } from "cloudflare:test";
import { ADMIN, api, CLIENT } from "./helpers";

const routes: Array<[string, string, unknown?]> = [
  ["GET", "/status"],
  ["POST", "/query", { sql: "SELECT 1" }],
  ["POST", "/query/raw", { sql: "SELECT 1" }],
];

describe("bearer auth", () => {
  it.each(routes)("%s %s answers 401 without a token", async (method, path, body) => {
    const res = await api(method, path, { token: null, body });
    expect(res.status).toBe(401);
    expect(res.body.error).toMatch(/Authorization/);
  });

  it.each(routes)("%s %s answers 401 with a wrong token", async (method, path, body) => {
    const res = await api(method, path, { token: "not-the-token", body });
    expect(res.status).toBe(401);
  });

  it.each(routes)("%s %s lets the client role in", async (method, path, body) => {
    const res = await api(method, path, { token: CLIENT, body });
    expect(res.status).toBe(200);
  });

  it("rejects a token that is only a prefix of the real one", async () => {
    const res = await api("GET", "/status", { token: CLIENT.slice(0, -1) });
    expect(res.status).toBe(401);
  });

  it("rejects the right token under another scheme", async () => {
    const res = await SELF.fetch("http://example.com/status", { headers: { Authorization: `Basic ${ADMIN}` } });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: "missing or invalid Authorization bearer token" });
  });

  it("tells the caller its role on /status", async () => {
    const admin = await api<{ role: string; plugins: string[] }>("GET", "/status");
    expect(admin.body.result?.role).toBe("admin");
    const client = await api<{ role: string }>("GET", "/status", { token: CLIENT });
    expect(client.body.result?.role).toBe("client");
  });

  it("answers 404 with a JSON error for unknown routes", async () => {
    const res = await api("GET", "/nope");
    expect(res.status).toBe(404);
    expect(res.body.error).toContain("/nope");
  });
});
