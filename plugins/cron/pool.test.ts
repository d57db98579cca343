import { describe, expect, it } from "vitest";
import { runWithConcurrency } from "./pool";

describe("runWithConcurrency", () => {
  it("runs every item, never more than the limit at once", async () => {
    let active = 0;
    let peak = 0;
    const done: number[] = [];
    await runWithConcurrency([...Array(50).keys()], 4, async (i) => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((resolve) => setTimeout(resolve, 0));
      done.push(i);
      active--;
    });
    expect(done.sort((a, b) => a - b)).toEqual([...Array(50).keys()]);
    expect(peak).toBe(4);
  });

  it("finishes the other items when one fails, then throws the failure", async () => {
    const done: number[] = [];
    const attempt = runWithConcurrency([1, 2, 3], 2, async (i) => {
      if (i === 1) throw new Error("boom");
      done.push(i);
    });
    await expect(attempt).rejects.toThrow("boom");
    expect(done).toEqual([2, 3]);
  });

  it("does nothing for no items", async () => {
    await expect(runWithConcurrency([], 4, async () => {})).resolves.toBeUndefined();
  });
});
