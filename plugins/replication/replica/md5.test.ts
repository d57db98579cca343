import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { rowHash } from "./row-hash";

const reference = (text: string) => parseInt(createHash("md5").update(text, "utf8").digest("hex").slice(0, 8), 16);

/** The md5 row hash of a row of one text: the MD5 of that text. */
const md5First32 = (text: string) => rowHash([text], "md5");

describe("md5First32", () => {
  it("agrees with node:crypto on the RFC 1321 test suite", () => {
    for (const text of ["", "a", "abc", "message digest", "abcdefghijklmnopqrstuvwxyz", "1234567890".repeat(8)]) {
      expect(md5First32(text)).toBe(reference(text));
    }
    expect(md5First32("abc").toString(16)).toBe("90015098");
  });

  it("agrees with node:crypto across block boundaries, in every script, and on long texts", () => {
    const pieces = ["x", "é", "🙂", "語", "\u001f", "\u001e", "\u0000"];
    for (let length = 0; length < 200; length++) {
      let text = "";
      for (let i = 0; i < length; i++) text += pieces[(i * 7 + length) % pieces.length];
      expect(md5First32(text)).toBe(reference(text));
    }
    const long = "row ".repeat(100_000);
    expect(md5First32(long)).toBe(reference(long));
    expect(md5First32("short again")).toBe(reference("short again"));
  });
});
