import { describe, expect, it } from "vitest";
import type { Job } from "../engine/model";
import { cursorAfterFirstCopy, largestPosition, planFirstCopy } from "./first-copy";
import type { LateCommitGuard } from "./watermark";

const W = "2026-11-30T12:00:00.000000Z";
const watermark: LateCommitGuard = { kind: "watermark", watermark: W, warning: null };
const newJob = {
  settings: { mode: "pull" as const },
  progress: { cursor: null } as Job["progress"],
  schema: { kept: [], warnings: [], recopy: null },
};

describe("planFirstCopy", () => {
  it("starts a new pull job's copy in key order below the watermark, and its cursor at the watermark", () => {
    expect(planFirstCopy(newJob, watermark, 7)).toEqual({
      cursor: { tracking: W, key: null },
      recopy: { columns: [], after: null, rows: 0, started_at: 7, first: { below: W, largest: null } },
    });
  });

  it("leaves a job with a cursor, a re-copy under way, change capture or no watermark to the cursor's order", () => {
    const running = { columns: ["a"], after: null, rows: 0, started_at: 1 };
    expect(
      planFirstCopy({ ...newJob, progress: { cursor: { tracking: W, key: [1] } } as Job["progress"] }, watermark, 7),
    ).toBeNull();
    expect(planFirstCopy({ ...newJob, schema: { ...newJob.schema, recopy: running } }, watermark, 7)).toBeNull();
    expect(planFirstCopy({ ...newJob, settings: { mode: "cdc" } }, watermark, 7)).toBeNull();
    expect(planFirstCopy(newJob, { kind: "lookback", warning: null }, 7)).toBeNull();
    expect(planFirstCopy(newJob, { kind: "none" }, 7)).toBeNull();
  });
});

describe("largestPosition", () => {
  const rows = [
    [1, "2024-01-01T00:00:02.000000Z"],
    [2, "2024-01-01T00:00:03.000000Z"],
    [3, null],
    [4, "2024-01-01T00:00:03.000000Z"],
    [5, "2024-01-01T00:00:01.000000Z"],
  ];

  it("is the last row, in key order, with the largest tracking value", () => {
    expect(largestPosition(null, rows, 1, [0], "timestamp")).toEqual({
      tracking: "2024-01-01T00:00:03.000000Z",
      key: [4],
    });
  });

  it("keeps the position so far unless a row ties or passes it", () => {
    const later = { tracking: "2024-06-01T00:00:00.000000Z", key: [9] };
    expect(largestPosition(later, rows, 1, [0], "timestamp")).toBe(later);
    const tie = { tracking: "2024-01-01T00:00:03.000000Z", key: [0] };
    expect(largestPosition(tie, rows, 1, [0], "timestamp")).toEqual({ tracking: tie.tracking, key: [4] });
    expect(largestPosition(null, [], 1, [0], "timestamp")).toBeNull();
  });
});

describe("cursorAfterFirstCopy", () => {
  const largest = { tracking: "2024-01-01T00:00:03.000000Z", key: [4] };

  it("goes back to the copy's largest position when the pull's cursor is past it", () => {
    expect(cursorAfterFirstCopy({ tracking: W, key: null }, largest, "timestamp")).toBe(largest);
    expect(cursorAfterFirstCopy({ tracking: W, key: [12] }, largest, "timestamp")).toBe(largest);
  });

  it("keeps the pull's cursor when the copy read nothing later", () => {
    const pull = { tracking: "2024-01-01T00:00:03.000000Z", key: [7] };
    expect(cursorAfterFirstCopy(pull, largest, "timestamp")).toBe(pull);
  });

  it("is the pull's cursor after a copy of no rows, or none for an empty table", () => {
    const pull = { tracking: W, key: [12] };
    expect(cursorAfterFirstCopy(pull, null, "timestamp")).toBe(pull);
    expect(cursorAfterFirstCopy({ tracking: W, key: null }, null, "timestamp")).toBeNull();
  });
});
