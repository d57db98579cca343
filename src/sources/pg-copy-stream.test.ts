import { describe, expect, it } from "vitest";
import { CopyOutDemux } from "./pg-copy-stream";

const utf8 = new TextEncoder();

function message(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + body.length);
  out[0] = type.charCodeAt(0);
  new DataView(out.buffer).setUint32(1, body.length + 4);
  out.set(body, 5);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const ROWS = ["1\tabc\t\\N", "2\té😀ü\t\\\\x", "", "3\t" + "long ".repeat(40)];
const H = message("H", new Uint8Array([0, 0, 3, 0, 0, 0, 0, 0, 0]));
const N = message("N", utf8.encode("SNOTICE\0Mslow\0\0"));
const c = message("c", new Uint8Array());
const C = message("C", utf8.encode("COPY 4\0"));
const Z = message("Z", utf8.encode("I"));
const E = message("E", utf8.encode("SERROR\0C57014\0Mcanceling statement\0\0"));
const rows = ROWS.map((row) => message("d", utf8.encode(`${row}\n`)));

/** Feeds `stream` cut at `cuts`, collecting what the demux gives out. */
function feed(stream: Uint8Array, cuts: number[]) {
  const lines: string[] = [];
  const passed: Uint8Array[] = [];
  const order: string[] = [];
  const demux = new CopyOutDemux(
    (line) => {
      lines.push(line);
      order.push("row");
    },
    (bytes) => {
      passed.push(bytes);
      order.push(`pass ${bytes.length}`);
    },
  );
  const ends: boolean[] = [];
  let start = 0;
  for (const cut of [...cuts, stream.length]) {
    ends.push(demux.push(stream.slice(start, cut)));
    start = cut;
  }
  return { lines, passed: concat(passed), ends, order };
}

describe("CopyOutDemux", () => {
  const stream = concat([H, rows[0]!, rows[1]!, N, rows[2]!, rows[3]!, c, C, Z]);
  const others = concat([H, N, c, C, Z]);

  it("gives each row's line once and passes every other message on, byte for byte", () => {
    const { lines, passed, ends } = feed(stream, []);
    expect(lines).toEqual(ROWS);
    expect(passed).toEqual(others);
    expect(ends).toEqual([true]);
  });

  it("gives the same whatever the reads' boundaries (headers, rows and characters cut anywhere)", () => {
    for (let cut = 1; cut < stream.length; cut++) {
      const { lines, passed, ends } = feed(stream, [cut]);
      expect(lines, `cut at ${cut}`).toEqual(ROWS);
      expect(passed, `cut at ${cut}`).toEqual(others);
      expect(ends).toEqual([false, true]);
    }
    const everyByte = feed(
      stream,
      Array.from({ length: stream.length - 1 }, (_, k) => k + 1),
    );
    expect(everyByte.lines).toEqual(ROWS);
    expect(everyByte.passed).toEqual(others);
    expect(everyByte.ends.at(-1)).toBe(true);
    expect(everyByte.ends.slice(0, -1).every((end) => !end)).toBe(true);
  });

  it("gives a row longer than many reads whole, however the reads cut its characters", () => {
    // Wide rows (a 1 MB text) span many socket reads: each read's bytes wait until the line ends.
    const wide = ["1\t" + "é😀ü-wide ".repeat(600), "2\tshort", "3\t" + "x".repeat(5000)];
    const stream = concat([H, ...wide.map((row) => message("d", utf8.encode(`${row}\n`))), c, C, Z]);
    for (const size of [1, 7, 100, 4096]) {
      const cuts = Array.from({ length: Math.floor((stream.length - 1) / size) }, (_, k) => (k + 1) * size);
      const { lines, passed } = feed(stream, cuts);
      expect(lines, `reads of ${size} bytes`).toEqual(wide);
      expect(passed).toEqual(concat([H, c, C, Z]));
    }
  });

  it("keeps a byte order mark that begins a row's first value (a value, not an encoding mark)", () => {
    const marked = ["\uFEFFfirst\tx", "\uFEFF", "2\t\uFEFFsecond"];
    const stream = concat([H, ...marked.map((row) => message("d", utf8.encode(`${row}\n`))), c, C, Z]);
    for (const cut of [0, 5, 6, 7, 8, 9, 20])
      expect(feed(stream, cut ? [cut] : []).lines, `cut at ${cut}`).toEqual(marked);
  });

  it("hands on a message's rows before the message after them (pg ends the query on CommandComplete)", () => {
    const { order } = feed(concat([H, rows[0]!, rows[1]!, C, Z]), []);
    // Each message other than CopyData is passed on as its header (5 bytes), then its body.
    expect(order).toEqual([
      "pass 5",
      `pass ${H.length - 5}`,
      "row",
      "row",
      "pass 5",
      `pass ${C.length - 5}`,
      "pass 5",
      "pass 1",
    ]);
  });

  it("passes an error on and ends at ReadyForQuery", () => {
    const { lines, passed, ends } = feed(concat([H, rows[0]!, E, Z]), []);
    expect(lines).toEqual([ROWS[0]]);
    expect(passed).toEqual(concat([H, E, Z]));
    expect(ends).toEqual([true]);
  });

  it("passes on what follows ReadyForQuery untouched", () => {
    const after = message("S", utf8.encode("a\0b\0"));
    const { passed } = feed(concat([H, rows[0]!, C, Z, after]), []);
    expect(passed).toEqual(concat([H, C, Z, after]));
  });
});
