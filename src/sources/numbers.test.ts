import { describe, expect, it } from "vitest";
import { exactInteger } from "./numbers";

describe("exactInteger", () => {
  it.each([
    ["0", 0],
    ["-0", 0],
    ["42", 42],
    ["-42", -42],
    ["999999999999999", 999999999999999],
    ["-999999999999999", -999999999999999],
    ["9007199254740991", 9007199254740991],
    ["-9007199254740991", -9007199254740991],
    ["9007199254740992", "9007199254740992"],
    ["-9223372036854775808", "-9223372036854775808"],
  ])("%s -> %s", (input, expected) =>
    expect(Object.is(exactInteger(input), expected) || exactInteger(input) === expected).toBe(true),
  );

  it("gives 0, not -0", () => expect(Object.is(exactInteger("-0"), 0)).toBe(true));
});
