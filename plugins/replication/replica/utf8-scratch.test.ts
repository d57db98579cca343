import { describe, expect, it } from "vitest";
import { utf8ScratchJoined } from "./utf8-scratch";

const encoder = new TextEncoder();
const JOIN = { separator: "\u001f", nullMark: "\u001e" };
const bytesOf = ({ bytes, length }: { bytes: Uint8Array; length: number }) => Array.from(bytes.subarray(0, length));
const expected = (texts: ReadonlyArray<string | null>) =>
  Array.from(encoder.encode(texts.map((t) => (t === null ? JOIN.nullMark : t)).join(JOIN.separator)));

describe("utf8ScratchJoined", () => {
  // Short texts are copied in a loop, long ones (over 256 characters) by TextEncoder: both, mixed.
  const long = "x".repeat(300);
  const rows: Array<ReadonlyArray<string | null>> = [
    [],
    [""],
    [null],
    ["a", "", null, "b"],
    ["héllo", "wörld", null],
    [long, "é", long + "😀", null, long],
    ["\ufeff" + long, "ascii", "日本".repeat(200)],
    [`${"a".repeat(1_000_000)}é`, "tail"],
  ];
  it.each(rows.map((row, i) => [i, row] as const))("writes the joined text's UTF-8 bytes (row %i)", (_i, row) => {
    expect(bytesOf(utf8ScratchJoined(row, JOIN, 0))).toEqual(expected(row));
  });

  it("keeps the room asked for free after the text, and stays right after a wide text", () => {
    const wide = utf8ScratchJoined(["y".repeat(2_000_000)], JOIN, 72);
    expect(wide.bytes.length).toBeGreaterThanOrEqual(wide.length + 72);
    const small = utf8ScratchJoined(["a", "é"], JOIN, 72);
    expect(bytesOf(small)).toEqual(expected(["a", "é"]));
    expect(small.bytes.length).toBeGreaterThanOrEqual(small.length + 72);
  });
});
