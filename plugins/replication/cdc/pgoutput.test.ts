import { describe, expect, it } from "vitest";
import { Buffer } from "node:buffer";
import { decodeMessage, decodeMessageGroups, isAscii, PgOutputError, UNCHANGED } from "./pgoutput";
import { formatLsn } from "./lsn";

/**
 * Messages captured from PostgreSQL 15 (`encode(data, 'hex')` of
 * pg_logical_slot_peek_binary_changes with proto_version 1) for
 *   CREATE TABLE cap (id bigint PRIMARY KEY, note text, doc text, n int);  -- doc with STORAGE EXTERNAL
 *   INSERT INTO cap VALUES (1, 'héllo', repeat('d', 3000), NULL);
 *   UPDATE cap SET n = 7 WHERE id = 1;                                       -- doc unchanged: 'u'
 *   BEGIN; UPDATE cap SET id = 2 WHERE id = 1; DELETE FROM cap WHERE id = 2; COMMIT;
 *   TRUNCATE cap;
 */
const CAPTURED = {
  begin: "420000000066a0c12000030470c460249f0003926b",
  relation:
    "52000052ab7075626c696300636170006400040169640000000014ffffffff006e6f74650000000019ffffffff00646f630000000019ffffffff006e0000000017ffffffff",
  insert: `49000052ab4e0004740000000131740000000668c3a96c6c6f7400000bb8${"64".repeat(3000)}6e`,
  commit: "43000000000066a0c1200000000066a0c15000030470c460249f",
  updateToastUnchanged: "55000052ab4e0004740000000131740000000668c3a96c6c6f75740000000137",
  updateKeyChanged: "55000052ab4b00047400000001316e6e6e4e0004740000000132740000000668c3a96c6c6f75740000000137",
  delete: "44000052ab4b00047400000001326e6e6e",
  truncate: "540000000100000052ab",
};

const decode = (hex: string) => decodeMessage(Buffer.from(hex, "hex"));

describe("decodeMessage on captured pgoutput messages", () => {
  it("Begin carries the commit's LSN and the transaction id", () => {
    const m = decode(CAPTURED.begin);
    expect(m).toMatchObject({ type: "begin", xid: 234091 });
    expect(m.type === "begin" && formatLsn(m.finalLsn)).toBe("0/66A0C120");
  });

  it("Commit carries the commit record's start and end", () => {
    const m = decode(CAPTURED.commit);
    if (m.type !== "commit") throw new Error(m.type);
    expect(formatLsn(m.commitLsn)).toBe("0/66A0C120");
    expect(formatLsn(m.endLsn)).toBe("0/66A0C150");
    // 2026-11-29, in microseconds since 2000-01-01.
    expect(new Date(Date.UTC(2000, 0, 1) + m.commitTimeMicros / 1000).getUTCFullYear()).toBe(2026);
  });

  it("Relation names the table, its replica identity and each column with its type and key flag", () => {
    expect(decode(CAPTURED.relation)).toEqual({
      type: "relation",
      oid: 0x52ab,
      namespace: "public",
      name: "cap",
      replicaIdentity: "d",
      columns: [
        { name: "id", typeOid: 20, typmod: -1, key: true },
        { name: "note", typeOid: 25, typmod: -1, key: false },
        { name: "doc", typeOid: 25, typmod: -1, key: false },
        { name: "n", typeOid: 23, typmod: -1, key: false },
      ],
    });
  });

  it("Insert: text values decoded as UTF-8, NULL as null", () => {
    expect(decode(CAPTURED.insert)).toEqual({
      type: "insert",
      relation: 0x52ab,
      values: ["1", "héllo", "d".repeat(3000), null],
    });
  });

  it("Update leaving a TOASTed column unchanged marks it UNCHANGED", () => {
    expect(decode(CAPTURED.updateToastUnchanged)).toEqual({
      type: "update",
      relation: 0x52ab,
      old: null,
      values: ["1", "héllo", UNCHANGED, "7"],
    });
  });

  it("Update of the key carries the old key (other columns null)", () => {
    expect(decode(CAPTURED.updateKeyChanged)).toEqual({
      type: "update",
      relation: 0x52ab,
      old: ["1", null, null, null],
      values: ["2", "héllo", UNCHANGED, "7"],
    });
  });

  it("Delete carries the key", () => {
    expect(decode(CAPTURED.delete)).toEqual({ type: "delete", relation: 0x52ab, old: ["2", null, null, null] });
  });

  it("Truncate lists its relations", () => {
    expect(decode(CAPTURED.truncate)).toEqual({ type: "truncate", relations: [0x52ab] });
  });

  it("other messages (Origin, Type, logical messages) are passed over by tag", () => {
    expect(decode("4f0000000000000001666f6f00")).toEqual({ type: "other", tag: "O" });
  });

  it.each([
    ["a truncated insert", CAPTURED.insert.slice(0, 40)],
    ["an insert without N", "49000052ab5800"],
    ["an update with an unknown tuple tag", "55000052ab5800"],
    ["a delete without K or O", "44000052ab4e0000"],
    ["a binary value", "49000052ab4e0001620000000100"],
    ["an unterminated string", "52000052ab7075626c6963"],
  ])("refuses %s with PgOutputError", (_label, hex) => {
    expect(() => decode(hex)).toThrow(PgOutputError);
  });
});

describe("decodeMessageGroups", () => {
  /** Messages packed as the slot reader's query packs them: a 4-byte length before each, in base64 with line breaks. */
  const group = (...hexes: string[]) =>
    Buffer.from(hexes.map((h) => (h.length / 2).toString(16).padStart(8, "0") + h).join(""), "hex")
      .toString("base64")
      .replace(/(.{76})/g, "$1\n");

  it("decodes groups of length-prefixed messages, in order, with each one's size", () => {
    expect(decodeMessageGroups([group(CAPTURED.truncate, CAPTURED.delete), group(CAPTURED.begin), ""])).toEqual({
      messages: [decode(CAPTURED.truncate), decode(CAPTURED.delete), decode(CAPTURED.begin)],
      sizes: [10, 17, 21],
    });
    expect(decodeMessageGroups([group(CAPTURED.insert)]).messages[0]).toEqual(decode(CAPTURED.insert));
  });

  it("reads each message within its own bytes", () => {
    // A truncated message followed by another: the first must not run into the second.
    expect(() => decodeMessageGroups([group(CAPTURED.delete.slice(0, 20), CAPTURED.begin)])).toThrow(/ends early/);
  });

  const base64 = (hex: string) => Buffer.from(hex, "hex").toString("base64");
  it.each([
    ["a group cut inside a length", [base64("000000")]],
    ["a group cut inside a message", [base64("0000000a0102")]],
  ])("refuses %s", (_label, groups) => {
    expect(() => decodeMessageGroups(groups)).toThrow(PgOutputError);
  });
});

describe("isAscii", () => {
  it("finds a byte of 0x80 or more at any position and alignment of short and long ranges", () => {
    const backing = new Uint8Array(300).fill(0x61);
    for (const offset of [0, 1, 2, 3]) {
      const bytes = backing.subarray(offset);
      for (const [from, to] of [
        [0, 10],
        [1, 200],
        [3, 131],
        [0, bytes.length],
      ] as const) {
        expect(isAscii(bytes, from, to)).toBe(true);
        for (let at = from; at < to; at++) {
          bytes[at] = at % 2 === 0 ? 0x80 : 0xc3;
          expect(isAscii(bytes, from, to)).toBe(false);
          bytes[at] = 0x61;
        }
        // Bytes just outside the range do not count.
        if (from > 0) bytes[from - 1] = 0xff;
        if (to < bytes.length) bytes[to] = 0xff;
        expect(isAscii(bytes, from, to)).toBe(true);
        backing.fill(0x61);
      }
    }
  });
});
