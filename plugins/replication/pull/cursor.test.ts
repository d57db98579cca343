import { describe, expect, it } from "vitest";
import { advanceCursor, compareTracking, cursorToSave, runStart, shiftTimestamp } from "./cursor";

describe("advanceCursor", () => {
  it("moves to the last row's tracking value and key", () => {
    const rows = [
      [1, "2024-01-01T00:00:00.000001Z", "a"],
      [2, "2024-01-01T00:00:00.000002Z", "b"],
    ];
    expect(advanceCursor(null, rows, 1, [0])).toEqual({ tracking: "2024-01-01T00:00:00.000002Z", key: [2] });
  });

  it("keeps the position on an empty page", () => {
    const position = { tracking: 5, key: [5] };
    expect(advanceCursor(position, [], 0, [0])).toBe(position);
  });

  it("keeps exact bigints as strings", () => {
    expect(advanceCursor(null, [["9223372036854775807"]], 0, [0])).toEqual({
      tracking: "9223372036854775807",
      key: ["9223372036854775807"],
    });
  });
});

describe("compareTracking", () => {
  it("compares ids beyond 2^53 exactly", () => {
    expect(compareTracking("9007199254740993", "9007199254740992", "id")).toBe(1);
    expect(compareTracking(10, "9", "id")).toBe(1);
    expect(compareTracking("7", 7, "id")).toBe(0);
  });

  it("compares fixed-width timestamps by text", () => {
    expect(compareTracking("2024-01-01T00:00:00.000002Z", "2024-01-01T00:00:00.000001Z", "timestamp")).toBe(1);
  });
});

describe("shiftTimestamp", () => {
  it.each([
    ["2024-03-01T00:00:30.123456Z", 60, "2024-02-29T23:59:30.123456Z"],
    ["2024-03-01T00:00:30.123456", 30, "2024-03-01T00:00:00.123456"],
    ["2024-03-01 00:00:30", 1, "2024-03-01 00:00:29"],
    ["2024-03-01", 86400, "2024-02-29"],
  ])("%s minus %is is %s", (value, seconds, expected) => {
    expect(shiftTimestamp(value, seconds)).toBe(expected);
  });

  it.each([[42], ["not a time"], [null]])("refuses %j", (value) => {
    expect(shiftTimestamp(value, 10)).toBeUndefined();
  });
});

describe("runStart", () => {
  const saved = { tracking: "2024-01-01T00:10:00.000000Z", key: [9] };

  it("re-reads the lookback window once the job has caught up", () => {
    expect(runStart(saved, { trackingType: "timestamp", caughtUp: true, lookbackSeconds: 600 })).toEqual({
      tracking: "2024-01-01T00:00:00.000000Z",
      key: null,
    });
  });

  it("resumes exactly at the cursor while there is a backlog", () => {
    expect(runStart(saved, { trackingType: "timestamp", caughtUp: false, lookbackSeconds: 600 })).toBe(saved);
  });

  it("never looks back in id mode or from the start", () => {
    expect(runStart({ tracking: 5, key: [5] }, { trackingType: "id", caughtUp: true, lookbackSeconds: 60 })).toEqual({
      tracking: 5,
      key: [5],
    });
    expect(runStart(null, { trackingType: "timestamp", caughtUp: true, lookbackSeconds: 60 })).toBeNull();
  });
});

describe("cursorToSave", () => {
  const saved = { tracking: "2024-01-01T00:10:00.000000Z", key: [9] };

  it("holds the saved cursor while re-reading the window", () => {
    const position = { tracking: "2024-01-01T00:05:00.000000Z", key: [3] };
    expect(cursorToSave(saved, position, "timestamp", false)).toEqual({ cursor: saved, passedSaved: false });
  });

  it("holds it on an equal tracking value, whose key order only the source knows", () => {
    const position = { tracking: saved.tracking, key: [100] };
    expect(cursorToSave(saved, position, "timestamp", false).cursor).toBe(saved);
  });

  it("moves once past the saved tracking value, and from then on follows the position", () => {
    const past = { tracking: "2024-01-01T00:10:00.000001Z", key: [1] };
    expect(cursorToSave(saved, past, "timestamp", false)).toEqual({ cursor: past, passedSaved: true });
    const next = { tracking: "2024-01-01T00:10:00.000001Z", key: [2] };
    expect(cursorToSave(saved, next, "timestamp", true).cursor).toBe(next);
  });
});
