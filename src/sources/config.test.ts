import { describe, expect, it } from "vitest";
import { ValidationError } from "../errors";
import { mysqlSslOption, parseConnectionUrl, pgSslOption, resolveConfig } from "./config";

describe("parseConnectionUrl", () => {
  it("reads every part, percent-decoded", () => {
    expect(
      parseConnectionUrl("postgres://us%40er:p%3Ass@db.example:6543/my%20db?sslmode=verify-full&schema=app"),
    ).toEqual({
      dialect: "postgresql",
      host: "db.example",
      port: 6543,
      user: "us@er",
      password: "p:ss",
      database: "my db",
      schema: "app",
      ssl: "verify-full",
      secrets: ["p:ss", "p%3Ass"],
    });
  });

  it.each([
    ["postgresql://u@h/d", "postgresql", 5432, undefined],
    ["postgres://u@h/d?sslmode=disable", "postgresql", 5432, "off"],
    ["postgres://u@h/d?sslmode=prefer", "postgresql", 5432, "off"],
    ["postgres://u@h/d?sslmode=require", "postgresql", 5432, "require"],
    ["postgres://u@h/d?sslmode=verify-ca", "postgresql", 5432, "verify-full"],
    ["mysql://u@h/d", "mysql", 3306, undefined],
    ["mysql://u@h/d?ssl-mode=REQUIRED", "mysql", 3306, "require"],
    ["mysql://u@h/d?ssl-mode=VERIFY_IDENTITY", "mysql", 3306, "verify-full"],
    ["mysql://u@[::1]:3307/d", "mysql", 3307, undefined],
  ])("%s", (url, dialect, port, ssl) => {
    expect(parseConnectionUrl(url)).toMatchObject({ dialect, port, ssl });
  });

  it.each(["not a url", "http://u:pw123@h/d", "postgres://h/d", "postgres://u@h/", "postgres://u@h/d?sslmode=bogus"])(
    "rejects %s without echoing a password",
    (url) => {
      let error: unknown;
      try {
        parseConnectionUrl(url);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as Error).message).not.toContain("pw123");
    },
  );
});

describe("resolveConfig", () => {
  it("defaults port, schema and ssl", () => {
    expect(resolveConfig({ dialect: "postgresql", host: "h", user: "u", database: "d" })).toMatchObject({
      port: 5432,
      schema: "public",
      ssl: "off",
      secrets: [],
    });
    expect(resolveConfig({ dialect: "mysql", host: "h", user: "u", password: "pw", database: "d" })).toMatchObject({
      port: 3306,
      schema: "d",
      secrets: ["pw"],
    });
  });

  it("lets explicit settings win over the URL and checks the dialect", () => {
    expect(
      resolveConfig({ dialect: "postgresql", url: "postgres://u@h/d?sslmode=require", ssl: "off", schema: "s" }),
    ).toMatchObject({
      ssl: "off",
      schema: "s",
    });
    expect(() => resolveConfig({ dialect: "mysql", url: "postgres://u@h/d" })).toThrow(ValidationError);
  });

  it("uses a Hyperdrive connection string as is", () => {
    expect(
      resolveConfig({ dialect: "postgresql", hyperdrive: { connectionString: "postgresql://u:pw@hd.local:5432/db" } }),
    ).toMatchObject({ host: "hd.local", user: "u", password: "pw", database: "db", schema: "public", ssl: "off" });
  });
});

describe("ssl options", () => {
  it("asks both drivers for full verification in both TLS modes: the Workers runtime always verifies", () => {
    expect(pgSslOption("off")).toBe(false);
    expect(mysqlSslOption("off")).toBeUndefined();
    for (const mode of ["require", "verify-full"] as const) {
      expect(pgSslOption(mode)).toEqual({ rejectUnauthorized: true });
      // Never `rejectUnauthorized: false` (workerd throws) nor `verifyIdentity` (mysql2's check hangs in workerd).
      expect(mysqlSslOption(mode)).toEqual({ rejectUnauthorized: true });
    }
  });
});
