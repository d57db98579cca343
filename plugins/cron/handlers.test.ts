import { describe, expect, it } from "vitest";
import { describeFailure, HandlerRegistry } from "./handlers";
import type { CronEvent } from "./types";

const event = (name: string): CronEvent => ({ name, cronTab: "* * * * *", payload: null, scheduledAt: 0 });

describe("HandlerRegistry", () => {
  it("delivers to the handlers whose prefix matches the task name", async () => {
    const seen: string[] = [];
    const registry = new HandlerRegistry();
    registry.add((e) => void seen.push(`all:${e.name}`));
    registry.add((e) => void seen.push(`repl:${e.name}`), "replication:");
    expect(await registry.deliver(event("replication:users"))).toBeNull();
    expect(await registry.deliver(event("other"))).toBeNull();
    expect(seen).toEqual(["all:replication:users", "repl:replication:users", "all:other"]);
  });

  it("answers the failure of a throwing or rejecting handler, and still calls the others", async () => {
    const registry = new HandlerRegistry();
    let called = false;
    registry.add(() => {
      throw new Error("sync boom");
    });
    registry.add(() => Promise.reject(new Error("async boom")));
    registry.add(() => void (called = true));
    expect(await registry.deliver(event("t"))).toBe("sync boom; async boom");
    expect(called).toBe(true);
  });

  it("answers 'no handler registered' when nothing matches", async () => {
    const registry = new HandlerRegistry();
    registry.add(() => {}, "x:");
    expect(await registry.deliver(event("y"))).toBe("no handler registered");
  });
});

describe("describeFailure", () => {
  it("keeps the message only: no stack, one line, truncated", () => {
    const error = new Error("first line\n    at secret (file.ts:1:1)");
    expect(describeFailure(error)).toBe("first line");
    expect(describeFailure("plain")).toBe("plain");
    expect(describeFailure(new Error("x".repeat(2000))).length).toBe(500);
  });
});
