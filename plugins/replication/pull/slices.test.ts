import { describe, expect, it } from "vitest";
import { READING_WINDOW_MS, measurePage, pacedSliceRows, sliceBoundsNow, sliceEnd } from "./slices";

const rows = (n: number, text = "x") => Array.from({ length: n }, (_, i) => [i, text]);

describe("sliceEnd", () => {
  const cut = (sizes: number[], rows: number, maxBytes: number) => {
    const ends: number[] = [];
    for (let start = 0; start < sizes.length; start = ends[ends.length - 1]!)
      ends.push(sliceEnd(sizes, start, rows, maxBytes));
    return ends;
  };

  it("cuts by row count and keeps every row once, in order", () => {
    expect(cut([1, 1, 1, 1, 1], 2, 1e9)).toEqual([2, 4, 5]);
  });

  it("cuts by bytes, so wide rows make smaller slices", () => {
    const { sizes, bytes } = measurePage(rows(6, "y".repeat(1000))); // 1,008 bytes a row
    expect(bytes).toBe(6 * 1008);
    expect(cut(sizes, 100, 2_500)).toEqual([3, 6]);
  });

  it("gives a row larger than the byte bound a slice of its own, and never an empty slice", () => {
    expect(cut([5000, 5000], 100, 1000)).toEqual([1, 2]);
    expect(cut([1, 1], 0, 1000)).toEqual([1, 2]);
  });

  it("ends an empty page where it starts", () => {
    expect(sliceEnd([], 0, 10, 10)).toBe(0);
  });
});

describe("pacedSliceRows", () => {
  const bounds = { rows: 500, bytes: 1e6, ms: 6 };

  it("scales the next slice to the time bound when the last one took longer", () => {
    // 500 rows scattered over the replica's keys: 45 ms with their commit.
    expect(pacedSliceRows(500, 45, bounds)).toBe(66);
    expect(pacedSliceRows(66, 6, bounds)).toBe(66);
  });

  it("grows at most twofold a slice, up to the row bound", () => {
    expect(pacedSliceRows(10, 1, bounds)).toBe(20);
    expect(pacedSliceRows(400, 1, bounds)).toBe(500);
    expect(pacedSliceRows(400, 0, bounds)).toBe(500);
  });

  it("keeps at least one row, however slow the last slice was", () => {
    expect(pacedSliceRows(3, 1000, bounds)).toBe(1);
  });

  it("has no effect without a time bound", () => {
    expect(pacedSliceRows(100, 1000, { ...bounds, rows: 100, ms: Number.POSITIVE_INFINITY })).toBe(100);
  });
});

describe("sliceBoundsNow", () => {
  const bounds = { slice: { rows: 2000, bytes: 1e6, ms: 50 }, sliceWhileReading: { rows: 500, bytes: 1e5, ms: 6 } };

  it("takes the small slices while the last read is within the window", () => {
    expect(sliceBoundsNow(bounds, 10_000, 10_000)).toBe(bounds.sliceWhileReading);
    expect(sliceBoundsNow(bounds, 10_000, 10_000 + READING_WINDOW_MS)).toBe(bounds.sliceWhileReading);
  });

  it("takes the configured slices when nobody has read lately, or ever", () => {
    expect(sliceBoundsNow(bounds, 10_000, 10_001 + READING_WINDOW_MS)).toBe(bounds.slice);
    expect(sliceBoundsNow(bounds, null, 10_000)).toBe(bounds.slice);
  });
});
