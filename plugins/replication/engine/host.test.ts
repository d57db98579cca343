import { describe, expect, it } from "vitest";
import { taskName, taskOfName } from "./host";

describe("task names", () => {
  it.each([
    [{ job: "orders", kind: "sync" as const }, "replication:orders"],
    [{ job: "orders", kind: "reconcile" as const }, "replication:orders:reconcile"],
  ])("%j <-> %s", (task, name) => {
    expect(taskName(task)).toBe(name);
    expect(taskOfName(name)).toEqual(task);
  });

  it.each(["other:orders", "replication:", "replication:orders:unknown", "replication:a:reconcile:x"])(
    "%s is no replication task",
    (name) => {
      expect(taskOfName(name)).toBeUndefined();
    },
  );
});
