import { describe, expect, it } from "vitest";
import { clampPeekMessages, nextPeekMessages } from "./peek-size";

const limits = { min: 10_000, max: 1_500_000 };

describe("nextPeekMessages", () => {
  it("shrinks to what a stopped run got through, never below the floor", () => {
    expect(nextPeekMessages({ asked: 600_000, processed: 240_000, stopped: true, full: true }, limits)).toBe(240_000);
    expect(nextPeekMessages({ asked: 600_000, processed: 12, stopped: true, full: true }, limits)).toBe(10_000);
  });

  it("doubles when the whole peek was applied and more waits, up to the ceiling", () => {
    expect(nextPeekMessages({ asked: 300_000, processed: 300_004, stopped: false, full: true }, limits)).toBe(600_000);
    expect(nextPeekMessages({ asked: 1_200_000, processed: 1_200_001, stopped: false, full: true }, limits)).toBe(
      1_500_000,
    );
  });

  it("stays when the slot was drained", () => {
    expect(nextPeekMessages({ asked: 300_000, processed: 3_001, stopped: false, full: false }, limits)).toBe(300_000);
  });
});

describe("clampPeekMessages", () => {
  it("keeps a size within the limits, in whole messages", () => {
    expect(clampPeekMessages(300_000.7, limits)).toBe(300_000);
    expect(clampPeekMessages(5, limits)).toBe(10_000);
    expect(clampPeekMessages(9_000_000, limits)).toBe(1_500_000);
  });
});
