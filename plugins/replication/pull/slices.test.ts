import { describe, expect, it } from "vitest";
import {
  READING_WINDOW_MS,
  type SliceBounds,
  SlicePacer,
  WorkPacer,
  pacedSliceRows,
  sliceBoundsNow,
  sliceEnd,
  sliceMs,
} from "./slices";
import { rowBytes } from "../replica/writes";

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
    const sizes = rows(6, "y".repeat(1000)).map(rowBytes); // 1,008 bytes a row
    expect(sizes).toEqual(Array(6).fill(1008));
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

describe("sliceMs", () => {
  it("is the time to the pause's end when no reader's query started in between", () => {
    expect(sliceMs(100, 112, null)).toBe(12);
    expect(sliceMs(100, 112, 90)).toBe(12); // a query before the slice
    expect(sliceMs(100, 112, 100)).toBe(12); // ... or as it started
  });

  it("is the time to a reader's query that started in the pause", () => {
    expect(sliceMs(100, 130, 105)).toBe(5);
  });
});

describe("SlicePacer", () => {
  const take = async (pacer: SlicePacer, page: ReturnType<typeof rows>, bounds: SliceBounds) => {
    const got: Array<[number[], boolean]> = [];
    for await (const { rows: slice, last } of pacer.slices(page, page.map(rowBytes), bounds)) {
      got.push([slice.map((r) => r[0] as number), last]);
    }
    return got;
  };
  const untimed = { rows: 4, bytes: 1e9, ms: Number.POSITIVE_INFINITY };

  it("hands over every row of a page once, in order, and marks the page's last slice", async () => {
    expect(await take(new SlicePacer(), rows(10), untimed)).toEqual([
      [[0, 1, 2, 3], false],
      [[4, 5, 6, 7], false],
      [[8, 9], true],
    ]);
  });

  it("gives one empty last slice for a page without rows", async () => {
    expect(await take(new SlicePacer(), [], untimed)).toEqual([[[], true]]);
  });

  it("paces each slice by the time the one before took, and keeps that pace from one page to the next", async () => {
    // Each slice takes 12 ms from its start to the next one's start, against a 6 ms bound.
    let now = 0;
    const pacer = new SlicePacer({ clock: () => (now += 12) });
    const bounds = { rows: 8, bytes: 1e9, ms: 6 };
    expect((await take(pacer, rows(15), bounds)).map(([slice]) => slice.length)).toEqual([8, 4, 2, 1]);
    // The next page starts at the pace the last one ended with; the first slice is not timed (a page read came before it).
    expect((await take(pacer, rows(3), bounds)).map(([slice]) => slice.length)).toEqual([1, 1, 1]);
  });
});

describe("WorkPacer", () => {
  const bounds = { rows: 100, bytes: 1e9, ms: 6 };

  it("fills a slice with the units added, and paces the next by the time this one took", async () => {
    let now = 0;
    const pacer = new WorkPacer({ clock: () => now });
    pacer.add(60);
    expect(pacer.full(bounds)).toBe(false);
    pacer.add(40);
    expect(pacer.full(bounds)).toBe(true);
    now = 12; // 100 units in 12 ms against a 6 ms bound: the next slice is 50
    await pacer.pause(bounds);
    pacer.add(49);
    expect(pacer.full(bounds)).toBe(false);
    pacer.add(1);
    expect(pacer.full(bounds)).toBe(true);
  });

  it("ends a slice's time where a reader's query started in the pause after it", async () => {
    let now = 0;
    let readAt: number | null = null;
    const pacer = new WorkPacer({ clock: () => now, readStartedAt: () => readAt });
    pacer.add(100);
    // The slice took 4 ms; the query queued behind it ran for 20 ms in the pause.
    readAt = 4;
    now = 24;
    await pacer.pause(bounds);
    // 100 units in 4 ms: the slice is not shrunk for the reader's time (it would be 25 units).
    expect(pacer.limit(bounds)).toBe(100);
  });

  it("lets readers' queries through before the next slice while they keep coming, for a bounded number of turns", async () => {
    // The start of the latest query, as seen at each look: one came in during the pause, two more after it, then none.
    const looks = [4, 5, 6, 7, 7];
    let looked = 0;
    const queued = new WorkPacer({ clock: () => 0, readStartedAt: () => looks[Math.min(looked++, looks.length - 1)]! });
    await queued.pause(bounds);
    // Before and after the pause, then one per turn until a turn brings no new query.
    expect(looked).toBe(5);

    // Nobody reads: no turn is added.
    let asked = 0;
    const alone = new WorkPacer({ clock: () => 0, readStartedAt: () => (asked++, null) });
    await alone.pause(bounds);
    expect(asked).toBe(2);

    // A query in every turn: the pause still ends.
    let flood = 0;
    const flooded = new WorkPacer({ clock: () => 0, readStartedAt: () => ++flood });
    await flooded.pause(bounds);
    expect(flood).toBe(10);
  });

  it("leaves a wait on I/O out of the slice's time once restarted", async () => {
    let now = 0;
    const pacer = new WorkPacer({ clock: () => now });
    pacer.add(30);
    now = 500; // a page or a chunk read
    pacer.restart();
    pacer.add(100);
    now = 503;
    await pacer.pause(bounds);
    // 100 units in 3 ms: the slice stays at the row bound.
    expect(pacer.limit(bounds)).toBe(100);
  });
});
