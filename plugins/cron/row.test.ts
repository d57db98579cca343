import { describe, expect, it } from "vitest";
import { ValidationError } from "../../src/errors";
import { type CronTaskRow, serializePayload, toCronTask } from "./row";
import type { CronTask } from "./types";

const ROW: CronTaskRow = {
  name: "t",
  cron_tab: "* * * * *",
  payload: '{"table":"users"}',
  enabled: 1,
  next_run_at: Date.parse("2024-01-01T00:01:00Z"),
  last_run_at: null,
  last_error: "boom",
  follow_up: 1,
  created_at: 1,
  updated_at: 2,
};

describe("toCronTask", () => {
  it("maps a row to the API shape, and no storage column leaks into it", () => {
    const task = toCronTask(ROW, true);
    const expected: CronTask = {
      name: "t",
      cron_tab: "* * * * *",
      payload: { table: "users" },
      enabled: true,
      next_run_at: "2024-01-01T00:01:00.000Z",
      last_run_at: null,
      last_error: "boom",
      running: true,
    };
    expect(task).toStrictEqual(expected);
    expect(Object.keys(task)).not.toContain("follow_up");
    expect(Object.keys(task)).not.toContain("created_at");
  });
});

describe("serializePayload", () => {
  it("stores undefined as null and refuses what JSON cannot hold", () => {
    expect(serializePayload("t", undefined)).toBe("null");
    expect(serializePayload("t", { a: [1, "x"] })).toBe('{"a":[1,"x"]}');
    expect(() => serializePayload("t", 10n)).toThrow(ValidationError);
    expect(() => serializePayload("t", () => 1)).toThrow(ValidationError);
  });
});
