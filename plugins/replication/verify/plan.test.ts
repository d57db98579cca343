import { describe, expect, it } from "vitest";
import { diffEntries, planRange, sameRow, sameValue, showKey, Tally } from "./plan";
import type { Aggregate } from "./types";

const agg = (rows: number, sum: number, unknown = 0): Aggregate => ({ rows, sum: BigInt(sum), unknown });
const shape = { leafRows: 100, fanout: 8 };
const bytes = (...b: number[]) => new Uint8Array(b).buffer;

describe("planRange", () => {
  it.each([
    ["same count and sum", agg(500, 123), agg(500, 123), { kind: "same" }],
    ["both empty", agg(0, 0), agg(0, 0), { kind: "same" }],
    ["same count, another sum (an edit)", agg(50, 123), agg(50, 124), { kind: "leaf" }],
    ["same sums but hashes unknown", agg(50, 0), agg(50, 0, 50), { kind: "leaf" }],
    ["nothing at the source", agg(0, 0), agg(5000, 9), { kind: "extra" }],
    ["nothing in the replica", agg(5000, 9), agg(0, 0), { kind: "missing" }],
    [
      "a large range, the replica larger",
      agg(790, 1),
      agg(800, 2),
      { kind: "split", side: "replica", parts: 8, rowsPerPart: 100 },
    ],
    [
      "a large range, the source larger",
      agg(800, 1),
      agg(10, 2),
      { kind: "split", side: "source", parts: 8, rowsPerPart: 100 },
    ],
    [
      "a tie is cut by the replica (no round trip)",
      agg(800, 1),
      agg(800, 2),
      { kind: "split", side: "replica", parts: 8, rowsPerPart: 100 },
    ],
    [
      "just over a leaf: two parts",
      agg(101, 1),
      agg(101, 2),
      { kind: "split", side: "replica", parts: 2, rowsPerPart: 51 },
    ],
  ])("%s", (_name, source, replica, step) => {
    expect(planRange(source, replica, shape)).toEqual(step);
  });

  it("compares sums beyond 2^53 exactly", () => {
    const big = { rows: 3_000_000, sum: 2n ** 60n, unknown: 0 };
    expect(planRange(big, { ...big, sum: 2n ** 60n + 1n }, shape).kind).toBe("split");
  });
});

describe("diffEntries", () => {
  it("sorts keys into missing, extra, differing and unknown by exact equality", () => {
    const diff = diffEntries(
      [
        { key: [1], hash: 10 },
        { key: [2], hash: 20 },
        { key: ["a"], hash: 30 },
        { key: [bytes(1, 2)], hash: 40 },
        { key: [5], hash: 50 },
      ],
      [
        { key: [2], hash: 21 },
        { key: ["A"], hash: 30 },
        { key: [bytes(1, 2)], hash: 40 },
        { key: [5], hash: null },
        { key: [6], hash: 60 },
      ],
    );
    expect(diff).toEqual({ missing: [[1], ["a"]], extra: [["A"], [6]], differing: [[2]], unknown: [[5]] });
  });
});

describe("sameValue and sameRow", () => {
  it.each([
    [1, 1, true],
    [1, "1", false],
    ["9007199254740993", "9007199254740993", true],
    [null, null, true],
    [null, "", false],
    [bytes(0, 255), bytes(0, 255), true],
    [bytes(0, 255), bytes(0, 254), false],
    [bytes(0), bytes(0, 0), false],
    [bytes(65), "A", false],
  ])("%j vs %j: %s", (a, b, same) => {
    expect(sameValue(a, b)).toBe(same);
  });

  it("compares rows column by column", () => {
    expect(sameRow([1, "x", null], [1, "x", null])).toBe(true);
    expect(sameRow([1, "x", null], [1, "x", ""])).toBe(false);
    expect(sameRow([1], [1, null])).toBe(false);
  });
});

describe("showKey and Tally", () => {
  it("shows a one-column key as its value, a composite one as an array, blobs as hex", () => {
    expect(showKey([7])).toBe(7);
    expect(showKey(["eu", 7])).toEqual(["eu", 7]);
    expect(showKey([bytes(0, 171)])).toEqual({ hex: "00ab" });
  });

  it("counts everything and keeps the first ten keys of each kind", () => {
    const tally = new Tally();
    tally.add(
      "extra",
      8,
      Array.from({ length: 8 }, (_, i) => [i]),
    );
    tally.add(
      "extra",
      500,
      Array.from({ length: 5 }, (_, i) => [100 + i]),
    );
    tally.rows(10, 518);
    expect(tally.counts).toEqual({ source_rows: 10, replica_rows: 518, missing: 0, extra: 508, differing: 0 });
    expect(tally.examples.extra).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 100, 101]);
    expect(tally.wanted("extra")).toBe(0);
    expect(tally.wanted("missing")).toBe(10);
  });
});
