import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import { MysqlRowDecoder, type MysqlResultField, type RowPacket } from "./mysql-rows";
import { MYSQL_TYPE } from "./mysql-types";
import type { SqliteValue } from "./types";

const UNSIGNED = 32;
const BINARY = 63;
const UTF8MB4 = 224;

/** Column metadata as mysql2 reports it; numeric and temporal columns come with the binary charset. */
function field(columnType: number, more: Partial<MysqlResultField> = {}): MysqlResultField {
  return {
    name: "c",
    columnType,
    flags: 0,
    characterSet: BINARY,
    encoding: "binary",
    columnLength: 0,
    decimals: 0,
    ...more,
  };
}
const text = (more: Partial<MysqlResultField> = {}) => field(253, { characterSet: UTF8MB4, encoding: "utf8", ...more });

/** A text-protocol value: a length-coded string (1, 3, 4 or 9 length bytes), or 0xFB for NULL. */
function lengthCoded(value: string | Uint8Array | null): number[] {
  if (value === null) return [0xfb];
  const bytes = typeof value === "string" ? [...new TextEncoder().encode(value)] : [...value];
  const n = bytes.length;
  if (n < 251) return [n, ...bytes];
  if (n < 1 << 16) return [0xfc, n & 0xff, n >> 8, ...bytes];
  if (n < 1 << 24) return [0xfd, n & 0xff, (n >> 8) & 0xff, n >> 16, ...bytes];
  return [0xfe, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24, 0, 0, 0, 0, ...bytes];
}

/** Row packets one after another in one buffer (as rows arrive in one socket read), each with a 4-byte header. */
function packets(rows: Array<Array<string | Uint8Array | null>>): RowPacket[] {
  const starts: number[] = [];
  const bytes: number[] = [];
  for (const row of rows) {
    bytes.push(0, 0, 0, 0);
    starts.push(bytes.length);
    for (const value of row) bytes.push(...lengthCoded(value));
  }
  // A Node Buffer at an offset inside a larger allocation, like the driver's.
  const backing = Buffer.alloc(bytes.length + 16, 0xee);
  backing.set(bytes, 8);
  const buffer = backing.subarray(8, 8 + bytes.length);
  return starts.map((start) => ({
    buffer,
    offset: start,
    readLengthCodedString(encoding: string) {
      const length = buffer[this.offset]!;
      this.offset += 1 + length;
      return buffer.toString(encoding as BufferEncoding, this.offset - length, this.offset);
    },
  }));
}

function decode(fields: MysqlResultField[], rows: Array<Array<string | Uint8Array | null>>): SqliteValue[][] {
  const decoder = new MysqlRowDecoder();
  return packets(rows).map((packet) => decoder.next(packet, fields));
}

const one = (f: MysqlResultField, raw: string | Uint8Array | null): SqliteValue => decode([f], [[raw]])[0]![0]!;
const bytesOf = (value: SqliteValue) => [...new Uint8Array(value as ArrayBuffer)];

describe("MysqlRowDecoder values (text protocol)", () => {
  const cases: Array<[string, MysqlResultField, string | null, SqliteValue]> = [
    ["null", field(MYSQL_TYPE.LONG), null, null],
    ["tinyint", field(MYSQL_TYPE.TINY), "-128", -128],
    ["int unsigned", field(MYSQL_TYPE.LONG, { flags: UNSIGNED }), "4294967295", 4294967295],
    ["int zerofill", field(MYSQL_TYPE.LONG), "0000000042", 42],
    ["year", field(MYSQL_TYPE.YEAR), "2155", 2155],
    ["bigint 15 digits", field(MYSQL_TYPE.LONGLONG), "999999999999999", 999999999999999],
    ["bigint safe", field(MYSQL_TYPE.LONGLONG), "-9007199254740991", -9007199254740991],
    ["bigint just unsafe", field(MYSQL_TYPE.LONGLONG), "9007199254740993", "9007199254740993"],
    ["bigint max", field(MYSQL_TYPE.LONGLONG), "9223372036854775807", "9223372036854775807"],
    ["bigint min", field(MYSQL_TYPE.LONGLONG), "-9223372036854775808", "-9223372036854775808"],
    ["bigint zerofill", field(MYSQL_TYPE.LONGLONG), "00000000000000000042", 42],
    ["bigint unsigned small", field(MYSQL_TYPE.LONGLONG, { flags: UNSIGNED }), "5", "5"],
    [
      "bigint unsigned max",
      field(MYSQL_TYPE.LONGLONG, { flags: UNSIGNED }),
      "18446744073709551615",
      "18446744073709551615",
    ],
    [
      "decimal",
      field(MYSQL_TYPE.NEWDECIMAL),
      "-12345678901234567890.123456789012345678",
      "-12345678901234567890.123456789012345678",
    ],
    ["float", field(MYSQL_TYPE.FLOAT), "1.1", 1.1],
    ["float max", field(MYSQL_TYPE.FLOAT), "3.40282e38", 3.40282e38],
    ["double", field(MYSQL_TYPE.DOUBLE), "0.1", 0.1],
    ["double negative zero", field(MYSQL_TYPE.DOUBLE), "-0", -0],
    ["double 17 digits", field(MYSQL_TYPE.DOUBLE), "0.30000000000000004", 0.30000000000000004],
    ["double exponent", field(MYSQL_TYPE.DOUBLE), "1.7976931348623157e308", 1.7976931348623157e308],
    ["double tiny", field(MYSQL_TYPE.DOUBLE), "-2.2250738585072014e-308", -2.2250738585072014e-308],
    ["datetime", field(MYSQL_TYPE.DATETIME), "2024-01-02 03:04:05.12", "2024-01-02T03:04:05.120000"],
    ["datetime zero", field(MYSQL_TYPE.DATETIME), "0000-00-00 00:00:00", "0000-00-00T00:00:00.000000"],
    ["timestamp", field(MYSQL_TYPE.TIMESTAMP), "2024-01-02 03:04:05.000001", "2024-01-02T03:04:05.000001Z"],
    ["timestamp zero", field(MYSQL_TYPE.TIMESTAMP), "0000-00-00 00:00:00", "0000-00-00T00:00:00.000000Z"],
    ["date", field(MYSQL_TYPE.DATE), "2024-02-29", "2024-02-29"],
    ["time negative", field(MYSQL_TYPE.TIME, { decimals: 6 }), "-838:59:59.000000", "-838:59:59.000000"],
    ["time(3)", field(MYSQL_TYPE.TIME, { decimals: 3 }), "-01:02:03.500", "-01:02:03.500"],
    ["time(0)", field(MYSQL_TYPE.TIME, { decimals: 0 }), "10:00:00", "10:00:00"],
    ["time expression", field(MYSQL_TYPE.TIME, { decimals: 39 }), "10:00:00.5", "10:00:00.5"],
    ["varchar", text(), "héllo 🙂", "héllo 🙂"],
    ["empty varchar", text(), "", ""],
    ["leading byte order mark kept", text(), "\uFEFFx", "\uFEFFx"],
    ["enum", text({ columnType: 254 }), "b", "b"],
    [
      "MariaDB JSON (longtext, extended metadata)",
      text({ columnType: 252, extendedFormat: "json" }),
      '{"a": 1}',
      '{"a": 1}',
    ],
    ["MySQL JSON (binary charset)", field(MYSQL_TYPE.JSON), '{"é": "🙂"}', '{"é": "🙂"}'],
    ["latin1 result (the driver decodes)", text({ characterSet: 8, encoding: "latin1" }), "abc", "abc"],
  ];
  it.each(cases)("%s", (_name, f, raw, expected) => expect(one(f, raw)).toEqual(expected));

  it("reads BIT as an unsigned number, BIT(64) as decimal text", () => {
    expect(one(field(MYSQL_TYPE.BIT, { flags: UNSIGNED, columnLength: 8 }), Uint8Array.of(0xff))).toBe(255);
    expect(one(field(MYSQL_TYPE.BIT, { columnLength: 64 }), new Uint8Array(8).fill(0xff))).toBe("18446744073709551615");
    expect(one(field(MYSQL_TYPE.BIT, { columnLength: 63 }), Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 3))).toBe(3);
    expect(one(field(MYSQL_TYPE.BIT, { columnLength: 64 }), new Uint8Array(8))).toBe("0");
  });

  it("copies binary data into its own ArrayBuffer, exactly the bytes", () => {
    const [packet] = packets([[Uint8Array.of(0, 1, 0, 0xff)]]);
    const value = new MysqlRowDecoder().next(packet!, [field(254)]);
    expect(value[0]).toBeInstanceOf(ArrayBuffer);
    expect(bytesOf(value[0]!)).toEqual([0, 1, 0, 0xff]);
    packet!.buffer.fill(7); // the driver's buffer is reused: the value must not change
    expect(bytesOf(value[0]!)).toEqual([0, 1, 0, 0xff]);
  });

  it("keeps GEOMETRY as its bytes (SRID and WKB), unparsed", () => {
    const wkb = Uint8Array.of(0, 0, 0, 0, 1, 1, 0, 0, 0, ...new Uint8Array(new Float64Array([1, 2]).buffer));
    expect(bytesOf(one(field(MYSQL_TYPE.GEOMETRY), wkb))).toEqual([...wkb]);
  });

  it("prints a VECTOR's float32 values like mysql2 did", () => {
    const floats = new Uint8Array(new Float32Array([1, 2.5, 0.1]).buffer);
    expect(one(field(MYSQL_TYPE.VECTOR), floats)).toBe(`1,2.5,${Math.fround(0.1)}`);
  });

  it("reads long values with 2- and 3-byte length prefixes", () => {
    const long = "x".repeat(300);
    const longer = `é${"y".repeat(70_000)}`;
    expect(decode([text(), text(), field(MYSQL_TYPE.LONG)], [[long, longer, "7"]])).toEqual([[long, longer, 7]]);
  });

  it("decodes rows that share one buffer, mixing ASCII and other text, and plans again for new fields", () => {
    const fields = [field(MYSQL_TYPE.LONGLONG), text(), field(MYSQL_TYPE.DOUBLE), text()];
    const rows = [
      ["1", "plain", "1.5", null],
      ["2", "naïve", "-2", "ascii after non-ascii"],
      [null, "", "3e3", "日本"],
    ];
    const decoder = new MysqlRowDecoder();
    const list = packets(rows);
    expect(list.map((packet) => decoder.next(packet, fields))).toEqual([
      [1, "plain", 1.5, null],
      [2, "naïve", -2, "ascii after non-ascii"],
      [null, "", 3000, "日本"],
    ]);
    const other = [text(), field(MYSQL_TYPE.TINY)];
    const [next] = packets([["z", "-1"]]);
    expect(decoder.next(next!, other)).toEqual(["z", -1]);
  });

  it("reads every decimal a DOUBLE may print exactly like Number(text)", () => {
    let seed = 42;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const texts: string[] = [];
    for (let k = 0; k < 2000; k++) {
      const digits = 1 + Math.floor(random() * 18);
      const mantissa = Array.from({ length: digits }, () => Math.floor(random() * 10)).join("");
      const dot = Math.floor(random() * (digits + 1));
      const sign = random() < 0.3 ? "-" : "";
      texts.push(`${sign}${mantissa.slice(0, dot)}.${mantissa.slice(dot)}`, `${sign}${mantissa}`);
      texts.push(String((random() - 0.5) * 10 ** Math.floor(random() * 40 - 20)));
    }
    const f = field(MYSQL_TYPE.DOUBLE);
    const got = decode(
      [f],
      texts.map((t) => [t]),
    ).map((row) => row[0]);
    expect(got).toEqual(texts.map(Number));
  });
});
