import { describe, expect, it } from "vitest";
import { echo, redact, urlPasswords } from "./redact";

describe("redact", () => {
  it.each([
    ["postgres://u:pw@host:5432/db", "postgres://u:***@host:5432/db"],
    ["postgresql://u:Le@k@S3cret@host/db?sslmode=require", "postgresql://u:***@host/db?sslmode=require"],
    ["mysql://root:p%40ss@127.0.0.1/test", "mysql://root:***@127.0.0.1/test"],
    ["error at mysql://a:b@h/d and postgres://c:d@e/f", "error at mysql://a:***@h/d and postgres://c:***@e/f"],
    ["postgres://user@host/db", "postgres://user@host/db"],
    ["postgres://u:pa/ss@host/db", "postgres://u:***@host/db"],
    ["postgres://u:p#a?s@host/db?sslmode=require", "postgres://u:***@host/db?sslmode=require"],
    ["postgres://u:1234/x@h/db", "postgres://u:***@h/db"],
    ["no url here", "no url here"],
  ])("%s -> %s", (text, expected) => {
    expect(redact(text)).toBe(expected);
  });

  it("hides every given secret, however often it appears", () => {
    expect(redact("auth failed for pw123 (pw123)", ["pw123", undefined, ""])).toBe("auth failed for *** (***)");
  });
});

describe("urlPasswords", () => {
  it("gives the password as written and decoded", () => {
    expect(urlPasswords("mysql://u:p%40ss@h/d")).toEqual(["p%40ss", "p@ss"]);
    expect(urlPasswords("postgres://u:Le@k@h/d")).toEqual(["Le@k", "Le@k"]);
    expect(urlPasswords("postgres://u@h/d")).toEqual([]);
    expect(urlPasswords("postgres://u:a/b#c@h/d")).toEqual(["a/b#c", "a/b#c"]);
  });
});

describe("echo", () => {
  it("quotes a value and cuts a long one", () => {
    expect(echo("abc")).toBe('"abc"');
    const long = echo("x".repeat(50_000));
    expect(long.length).toBeLessThanOrEqual(60);
    expect(long.endsWith('…"')).toBe(true);
  });
});
