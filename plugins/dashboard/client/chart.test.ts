import { describe, expect, it } from "vitest";
import { CHART_SLOTS, CHART_WIDTH, runChart } from "./chart";
import type { RunView } from "./types";

const run = (id: number, rows: number, ms: number | null, error: string | null = null): RunView => ({
  id,
  trigger: "cron",
  started_at: new Date(Date.UTC(2026, 0, 1, 0, 0, id)).toISOString(),
  ended_at: ms === null ? null : new Date(Date.UTC(2026, 0, 1, 0, 0, id) + ms).toISOString(),
  rows,
  error,
});

describe("runChart", () => {
  it("draws the oldest run on the left, the newest against the right edge", () => {
    // The API lists runs newest first.
    const chart = runChart([run(3, 10, 30), run(2, 20, 10), run(1, 5, 20)]);
    expect(chart.bars.map((b) => b.runId)).toEqual([1, 2, 3]);
    expect(chart.bars.at(-1)!.x + chart.bars.at(-1)!.width).toBeLessThanOrEqual(CHART_WIDTH);
    expect(chart.bars.at(-1)!.x).toBe(CHART_WIDTH - CHART_WIDTH / CHART_SLOTS);
  });

  it("scales rows and durations to their largest value, keeping small values visible", () => {
    const chart = runChart([run(2, 1000, 100), run(1, 1, 1)]);
    const [small, big] = chart.bars;
    expect(big!.rowsHeight).toBe(30);
    expect(big!.durationHeight).toBe(30);
    expect(small!.rowsHeight).toBe(1);
    expect(chart.maxRows).toBe(1000);
    expect(chart.maxMs).toBe(100);
  });

  it("marks failed and running runs and says so in its summary", () => {
    const chart = runChart([run(3, 0, null), run(2, 0, 5, "relation does not exist"), run(1, 10, 5)]);
    expect(chart.bars.map((b) => b.outcome)).toEqual(["ok", "failed", "running"]);
    expect(chart.failed).toBe(1);
    expect(chart.bars[1]!.label).toContain("failed: relation does not exist");
    expect(chart.summary).toBe("Last 3 runs, oldest first: 1 failed; at most 10 rows and 5 ms per run.");
    expect(chart.bars[0]!.rowsHeight).toBe(30);
    expect(chart.bars[1]!.rowsHeight).toBe(0);
  });

  it("shows at most the last CHART_SLOTS runs, and says when there are none", () => {
    const many = Array.from({ length: 60 }, (_, i) => run(60 - i, i, i));
    const chart = runChart(many);
    expect(chart.bars).toHaveLength(CHART_SLOTS);
    expect(chart.bars[0]!.x).toBe(0);
    expect(chart.bars.at(-1)!.runId).toBe(60);
    expect(runChart([]).summary).toBe("No runs yet.");
  });
});
