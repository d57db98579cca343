import { describe, expect, it } from "vitest";
import { bearerToken, roleOf } from "./auth";

describe("bearerToken", () => {
  it.each([
    ["Bearer abc", "abc"],
    ["bearer abc", "abc"],
    ["Bearer   abc  ", "abc"],
    ["Basic abc", undefined],
    ["Bearer", undefined],
    ["Bearer a b", undefined],
    [undefined, undefined],
  ])("reads %j as %j", (header, token) => {
    expect(bearerToken(header)).toBe(token);
  });
});

describe("roleOf", () => {
  it("maps each configured token to its role", async () => {
    expect(await roleOf("a", { admin: "a", client: "c" })).toBe("admin");
    expect(await roleOf("c", { admin: "a", client: "c" })).toBe("client");
    expect(await roleOf("x", { admin: "a", client: "c" })).toBeUndefined();
  });

  it("never lets a role with no configured token log in", async () => {
    expect(await roleOf("", { admin: undefined, client: "" })).toBeUndefined();
    expect(await roleOf("undefined", { admin: undefined, client: undefined })).toBeUndefined();
  });
});
