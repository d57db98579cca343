import { describe, expect, it } from "vitest";
import {
  cursorBelowWatermark,
  decideWatermark,
  type SourceClock,
  type TrackingClock,
  trackingClock,
  truncateFraction,
} from "./watermark";

describe("trackingClock", () => {
  it.each([
    ["postgresql", "timestamp with time zone", { zone: "utc", date: false, precision: 6 }],
    ["postgresql", "timestamp(3) with time zone", { zone: "utc", date: false, precision: 3 }],
    ["postgresql", "timestamp without time zone", { zone: "local", date: false, precision: 6 }],
    ["postgresql", "timestamp(0) without time zone", { zone: "local", date: false, precision: 0 }],
    ["postgresql", "date", { zone: "local", date: true, precision: 0 }],
    ["mysql", "timestamp", { zone: "utc", date: false, precision: 0 }],
    ["mysql", "timestamp(6)", { zone: "utc", date: false, precision: 6 }],
    ["mysql", "datetime(3)", { zone: "local", date: false, precision: 3 }],
    ["mysql", "datetime", { zone: "local", date: false, precision: 0 }],
    ["mysql", "date", { zone: "local", date: true, precision: 0 }],
  ] as const)("%s %s", (dialect, type, expected) => {
    expect(trackingClock(dialect, type)).toEqual(expected);
  });

  it.each([
    ["postgresql", "time with time zone"],
    ["postgresql", "my_domain"],
    ["mysql", "year"],
  ] as const)("has none for %s %s", (dialect, type) => {
    expect(trackingClock(dialect, type)).toBeUndefined();
  });
});

describe("truncateFraction", () => {
  it.each([
    ["2024-01-01T00:00:00.987654", 6, "2024-01-01T00:00:00.987654"],
    ["2024-01-01T00:00:00.987654", 3, "2024-01-01T00:00:00.987000"],
    ["2024-01-01T00:00:00.987654", 0, "2024-01-01T00:00:00.000000"],
    ["2024-01-01T00:00:00", 0, "2024-01-01T00:00:00"],
  ])("%s to %i digits is %s", (value, digits, expected) => {
    expect(truncateFraction(value, digits)).toBe(expected);
  });
});

describe("decideWatermark", () => {
  const utc6: TrackingClock = { zone: "utc", date: false, precision: 6 };
  const clock = (over: Partial<SourceClock> = {}): SourceClock => ({
    oldestUtc: null,
    nowUtc: "2024-05-01T10:00:00.500000",
    oldestLocal: null,
    nowLocal: "2024-05-01T12:00:00.500000",
    ...over,
  });

  it("is the source's now when nothing is in flight", () => {
    expect(decideWatermark(clock(), utc6, 300)).toEqual({ watermark: "2024-05-01T10:00:00.500000Z", warning: null });
  });

  it("is the start of the oldest open transaction", () => {
    const open = clock({ oldestUtc: "2024-05-01T09:59:58.250000", oldestLocal: "2024-05-01T11:59:58.250000" });
    expect(decideWatermark(open, utc6, 300)).toEqual({ watermark: "2024-05-01T09:59:58.250000Z", warning: null });
  });

  it("takes the writers' wall time for local columns, and only the date for date columns", () => {
    const open = clock({ oldestUtc: "2024-05-01T09:59:58.250000", oldestLocal: "2024-05-01T11:59:58.250000" });
    expect(decideWatermark(open, { zone: "local", date: false, precision: 6 }, 300)).toMatchObject({
      watermark: "2024-05-01T11:59:58.250000",
    });
    expect(decideWatermark(open, { zone: "local", date: true, precision: 0 }, 300)).toMatchObject({
      watermark: "2024-05-01",
    });
  });

  it("is cut to the column's digits: a start rounded down by the column must not fall below it", () => {
    // A transaction started at .250000 writes now() into a timestamp(0) column: the row holds 09:59:58.
    const open = clock({ oldestUtc: "2024-05-01T09:59:58.250000" });
    expect(decideWatermark(open, { ...utc6, precision: 0 }, 300)).toMatchObject({
      watermark: "2024-05-01T09:59:58.000000Z",
    });
  });

  it("is never later than now", () => {
    const late = clock({ oldestUtc: "2024-05-01T10:00:01.000000" });
    expect(decideWatermark(late, utc6, 300)).toMatchObject({ watermark: "2024-05-01T10:00:00.500000Z" });
  });

  it("never lies more than lookback_seconds behind now, and says so when an older transaction is open", () => {
    const stuck = clock({ oldestUtc: "2024-05-01T08:00:00.000000" });
    const decided = decideWatermark(stuck, utc6, 300);
    expect(decided).toMatchObject({ watermark: "2024-05-01T09:55:00.500000Z" });
    expect("warning" in decided && decided.warning).toMatch(/open at the source since 2024-05-01T08:00:00.000000 UTC/);
  });

  it("is unavailable for local columns when the source cannot convert to its writers' time zone", () => {
    expect(decideWatermark(clock({ nowLocal: null }), { zone: "local", date: false, precision: 6 }, 300)).toEqual({
      unavailable: expect.stringMatching(/time zone/),
    });
    expect(decideWatermark(clock({ nowLocal: null }), utc6, 300)).toMatchObject({ warning: null });
  });
});

describe("cursorBelowWatermark", () => {
  const saved = { tracking: "2024-05-01T09:00:00.000000Z", key: [1] };
  const rows = [
    [2, "2024-05-01T09:59:59.000000Z"],
    [3, "2024-05-01T10:00:00.000000Z"],
    [4, "2024-05-01T10:00:00.000000Z"],
    [5, "2024-05-01T10:00:01.000000Z"],
  ];

  it("saves the last row strictly below the watermark", () => {
    expect(cursorBelowWatermark(saved, rows, 1, [0], "2024-05-01T10:00:00.500000Z")).toEqual({
      tracking: "2024-05-01T10:00:00.000000Z",
      key: [4],
    });
  });

  it("does not pass rows equal to the watermark: one in flight may still commit with that value", () => {
    expect(cursorBelowWatermark(saved, rows, 1, [0], "2024-05-01T10:00:00.000000Z")).toEqual({
      tracking: "2024-05-01T09:59:59.000000Z",
      key: [2],
    });
  });

  it("keeps the saved cursor when every row of the page is at or above the watermark, or the page is empty", () => {
    expect(cursorBelowWatermark(saved, rows, 1, [0], "2024-05-01T09:59:59.000000Z")).toBe(saved);
    expect(cursorBelowWatermark(saved, [], 1, [0], "2024-05-01T11:00:00.000000Z")).toBe(saved);
    expect(cursorBelowWatermark(null, rows, 1, [0], "2024-05-01T09:00:00.000000Z")).toBeNull();
  });

  it("follows the last row when the whole page is below the watermark", () => {
    expect(cursorBelowWatermark(saved, rows, 1, [0], "2024-05-02T00:00:00.000000Z")).toEqual({
      tracking: "2024-05-01T10:00:01.000000Z",
      key: [5],
    });
  });

  it("compares dates with a date watermark: today's rows stay above it", () => {
    const days = [
      [1, "2024-04-30"],
      [2, "2024-05-01"],
    ];
    expect(cursorBelowWatermark(null, days, 1, [0], "2024-05-01")).toEqual({ tracking: "2024-04-30", key: [1] });
  });
});
