import { describe, expect, it } from "vitest";
import { ValidationError } from "../../src/errors";
import { nextRun, validateCronExpression } from "./expression";

const at = (iso: string) => Date.parse(iso);

describe("validateCronExpression", () => {
  it.each(["* * * * *", "*/5 0-6 1,15 * MON-FRI", "*/2 * * * * *", "0 30 9 * * 1"])("accepts %s", (expr) => {
    expect(validateCronExpression(expr)).toBe(expr);
  });

  it("normalizes whitespace between fields", () => {
    expect(validateCronExpression("  */5   *  * * *\t")).toBe("*/5 * * * *");
  });

  it.each([
    ["* * * *", /got 4/],
    ["0 0 0 1 1 * 2030", /got 7/],
    ["61 * * * *", /minute/],
    ["not a cron", /got 3/],
    ["", /got 0/],
    ["0 0 31 2 *", /never fires/],
    ["* * * * FUNDAY", /"\* \* \* \* FUNDAY"/],
  ])("rejects %j with a message naming it", (expr, reason) => {
    const attempt = () => validateCronExpression(expr);
    expect(attempt).toThrow(ValidationError);
    expect(attempt).toThrow(`invalid cron expression "${expr}"`);
    expect(attempt).toThrow(reason);
  });

  it("rejects a value that is not a string", () => {
    expect(() => validateCronExpression(5)).toThrow(ValidationError);
  });
});

describe("nextRun", () => {
  it("is the next slot strictly after the given time, in UTC", () => {
    expect(nextRun("* * * * *", at("2024-01-01T00:00:30.500Z"))).toBe(at("2024-01-01T00:01:00Z"));
    expect(nextRun("* * * * *", at("2024-01-01T00:01:00Z"))).toBe(at("2024-01-01T00:02:00Z"));
    expect(nextRun("0 9 * * *", at("2024-06-01T10:00:00Z"))).toBe(at("2024-06-02T09:00:00Z"));
  });

  it("understands a leading seconds field", () => {
    expect(nextRun("*/2 * * * * *", at("2024-01-01T00:00:30.500Z"))).toBe(at("2024-01-01T00:00:32Z"));
    expect(nextRun("15 * * * * *", at("2024-01-01T00:00:30Z"))).toBe(at("2024-01-01T00:01:15Z"));
  });
});
