import { describe, expect, it } from "vitest";
import { READING_WINDOW_MS, sliceBoundsNow, sliceRows } from "./slices";

const rows = (n: number, text = "x") => Array.from({ length: n }, (_, i) => [i, text]);

describe("sliceRows", () => {
  it("cuts by row count and keeps every row once, in order", () => {
    const { slices } = sliceRows(rows(5), { rows: 2, bytes: 1e9 });
    expect(slices.map((s) => s.map((r) => r[0]))).toEqual([[0, 1], [2, 3], [4]]);
  });

  it("cuts by bytes, so wide rows make smaller slices", () => {
    const wide = rows(6, "y".repeat(1000)); // about 1,008 bytes a row
    const { slices, bytes } = sliceRows(wide, { rows: 100, bytes: 2_500 });
    expect(slices.map((s) => s.length)).toEqual([3, 3]);
    expect(bytes).toBe(6 * 1008);
  });

  it("gives a row larger than the byte bound a slice of its own", () => {
    const { slices } = sliceRows(rows(2, "z".repeat(5000)), { rows: 100, bytes: 1000 });
    expect(slices.map((s) => s.length)).toEqual([1, 1]);
  });

  it("gives no slice for no rows", () => {
    expect(sliceRows([], { rows: 10, bytes: 10 })).toEqual({ slices: [], bytes: 0 });
  });
});

describe("sliceBoundsNow", () => {
  const bounds = { slice: { rows: 2000, bytes: 1e6 }, sliceWhileReading: { rows: 500, bytes: 1e5 } };

  it("takes the small slices while the last read is within the window", () => {
    expect(sliceBoundsNow(bounds, 10_000, 10_000)).toBe(bounds.sliceWhileReading);
    expect(sliceBoundsNow(bounds, 10_000, 10_000 + READING_WINDOW_MS)).toBe(bounds.sliceWhileReading);
  });

  it("takes the configured slices when nobody has read lately, or ever", () => {
    expect(sliceBoundsNow(bounds, 10_000, 10_001 + READING_WINDOW_MS)).toBe(bounds.slice);
    expect(sliceBoundsNow(bounds, null, 10_000)).toBe(bounds.slice);
  });
});
