import { describe, expect, it } from "vitest";
import { isoLocalTimestamp, isoUtcLocalDigits, isoUtcTimestamp, mysqlDateTimeLiteral } from "./timestamps";

describe("isoLocalTimestamp", () => {
  it.each([
    ["2024-01-02 03:04:05", "2024-01-02T03:04:05.000000"],
    ["2024-01-02 03:04:05.5", "2024-01-02T03:04:05.500000"],
    ["2024-01-02T03:04:05.123", "2024-01-02T03:04:05.123000"],
    ["2024-01-02 03:04:05.123456", "2024-01-02T03:04:05.123456"],
    ["0000-00-00 00:00:00", "0000-00-00T00:00:00.000000"],
    ["10000-01-01 00:00:00", "10000-01-01T00:00:00.000000"],
    ["0044-03-15 10:00:00 BC", "0044-03-15 10:00:00 BC"],
    ["infinity", "infinity"],
    ["-infinity", "-infinity"],
  ])("%s -> %s", (input, expected) => expect(isoLocalTimestamp(input)).toBe(expected));
});

describe("isoUtcTimestamp", () => {
  it.each([
    ["2024-01-02 03:04:05+00", "2024-01-02T03:04:05.000000Z"],
    ["2024-01-02 03:04:05.000001+00", "2024-01-02T03:04:05.000001Z"],
    ["2024-01-02 03:04:05.12+00", "2024-01-02T03:04:05.120000Z"],
    ["2024-01-02T03:04:05.1234+00", "2024-01-02T03:04:05.123400Z"],
    ["2024-01-02 03:04:05.1234567+00", "2024-01-02 03:04:05.1234567+00"],
    ["2024-01-02 03:04:05.123456+05:30", "2024-01-01T21:34:05.123456Z"],
    ["2023-12-31 20:00:00.5-08", "2024-01-01T04:00:00.500000Z"],
    ["1900-01-01 00:00:00+00:53:28", "1899-12-31T23:06:32.000000Z"],
    ["0001-01-01 00:30:00+01", "0000-12-31T23:30:00.000000Z"],
    ["0044-03-15 10:00:00+00 BC", "0044-03-15 10:00:00+00 BC"],
    ["infinity", "infinity"],
  ])("%s -> %s", (input, expected) => expect(isoUtcTimestamp(input)).toBe(expected));
});

describe("isoUtcLocalDigits", () => {
  it.each([
    ["2024-01-02 03:04:05.1", "2024-01-02T03:04:05.100000Z"],
    ["0000-00-00 00:00:00", "0000-00-00T00:00:00.000000Z"],
    ["garbage", "garbage"],
  ])("%s -> %s", (input, expected) => expect(isoUtcLocalDigits(input)).toBe(expected));
});

it("mysqlDateTimeLiteral turns our ISO text back into what MySQL accepts", () => {
  expect(mysqlDateTimeLiteral("2024-01-02T03:04:05.123456Z")).toBe("2024-01-02 03:04:05.123456");
  expect(mysqlDateTimeLiteral("2024-01-02T03:04:05.123456")).toBe("2024-01-02 03:04:05.123456");
});
