import { describe, expect, it } from "vitest";
import { RowQueue } from "./row-stream";

const settled = async (promise: Promise<unknown>) =>
  Promise.race([promise.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 20))]);

describe("RowQueue", () => {
  it("hands over every row pushed so far, and makes the reader wait once `bufferChars` of them wait", async () => {
    const queue = new RowQueue(10);
    queue.push([1], 6);
    expect(queue.room()).toBeNull();
    queue.push([2], 6);
    const room = queue.room()!;
    expect(await settled(room)).toBe(false);
    expect(await queue.next()).toEqual([[1], [2]]);
    expect(await settled(room)).toBe(true);
    expect(queue.room()).toBeNull();
  });

  it("waits for a row, ends with null once the statement ended, and throws the statement's failure", async () => {
    const queue = new RowQueue(10);
    const waiting = queue.next();
    queue.push(["a"], 1);
    expect(await waiting).toEqual([["a"]]);
    queue.push(["b"], 1);
    queue.end();
    expect(await queue.next()).toEqual([["b"]]);
    expect(await queue.next()).toBeNull();

    const failed = new RowQueue(10);
    failed.push(["c"], 1);
    failed.end({ error: new Error("division by zero") });
    await expect(failed.next()).rejects.toThrow("division by zero");
  });

  it("drops rows once cancelled, lets the reader on, and resolves the cancel when the statement ends", async () => {
    const queue = new RowQueue(1);
    queue.push([1], 5);
    const room = queue.room()!;
    const cancelled = queue.cancel();
    expect(await settled(room)).toBe(true);
    queue.push([2], 5);
    expect(queue.room()).toBeNull();
    expect(await settled(cancelled)).toBe(false);
    queue.end();
    expect(await settled(cancelled)).toBe(true);
  });

  it("never gives a taker a cancelled statement's end as the source's end", async () => {
    const queue = new RowQueue(10);
    const taking = queue.next();
    void queue.cancel();
    queue.end();
    await expect(taking).rejects.toThrow(/dropped before it ended/);
  });
});
