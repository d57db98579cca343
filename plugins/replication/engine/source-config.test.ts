import { describe, expect, it } from "vitest";
import { redactedSource, resolveSource } from "./source-config";

const bindings: Record<string, unknown> = {
  PG_URL: "postgresql://app:s%40cret@db.example:5432/prod",
  HD: { connectionString: "postgresql://hd:hd-pass@hyperdrive.local/db" },
  ADMIN_AUTHORIZATION_TOKEN: "admin-token",
};
const env = (name: string) => bindings[name];

describe("resolveSource", () => {
  it("reads a connection URL from a worker secret and hides it and its password", () => {
    const { config, secrets } = resolveSource({ dialect: "postgresql", secret: "PG_URL", schema: "app" }, env);
    expect(config).toEqual({
      dialect: "postgresql",
      url: "postgresql://app:s%40cret@db.example:5432/prod",
      schema: "app",
      ssl: undefined,
    });
    expect(secrets).toEqual(["postgresql://app:s%40cret@db.example:5432/prod", "s%40cret", "s@cret"]);
  });

  it("reads a Hyperdrive binding's connection string", () => {
    const { config, secrets } = resolveSource({ dialect: "postgresql", hyperdrive: "HD" }, env);
    expect(config).toMatchObject({ hyperdrive: { connectionString: "postgresql://hd:hd-pass@hyperdrive.local/db" } });
    expect(secrets).toContain("hd-pass");
  });

  it("hides a password given as a field", () => {
    const settings = { dialect: "mysql" as const, host: "h", user: "u", password: "pw-123", database: "d" };
    expect(resolveSource(settings, env).secrets).toEqual(["pw-123"]);
  });

  it.each([
    [{ dialect: "postgresql" as const, secret: "MISSING" }, /worker secret MISSING is not set/],
    [{ dialect: "postgresql" as const, secret: "ADMIN_AUTHORIZATION_TOKEN" }, /is an auth token, not a connection URL/],
    [{ dialect: "postgresql" as const, hyperdrive: "NOPE" }, /no Hyperdrive binding named NOPE/],
  ])("refuses %j", (settings, message) => {
    expect(() => resolveSource(settings, env)).toThrow(message);
  });
});

describe("redactedSource", () => {
  it("shows a password as *** (an empty one as empty) and hides URL credentials", () => {
    expect(redactedSource({ dialect: "mysql", host: "h", user: "u", password: "pw", database: "d" })).toMatchObject({
      password: "***",
    });
    expect(redactedSource({ dialect: "mysql", host: "h", user: "u", password: "", database: "d" })).toMatchObject({
      password: "",
    });
    expect(redactedSource({ dialect: "postgresql", url: "postgres://u:p@ss@h/d" })).toEqual({
      dialect: "postgresql",
      url: "postgres://u:***@h/d",
    });
    expect(redactedSource({ dialect: "postgresql", secret: "PG_URL" })).toEqual({
      dialect: "postgresql",
      secret: "PG_URL",
    });
  });
});
