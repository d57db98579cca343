import { describe, expect, it } from "vitest";
import type { CdcSettings } from "../engine/settings";
import { cdcObjectName, randomSuffix, type SlotReading, slotTrouble, tableTrouble } from "./slot";
import { formatLsn, maxLsn, parseLsn } from "./lsn";

const cdc: CdcSettings = {
  slot: "starbase_orders_1a2b3c4d",
  publication: "pub",
  owns_publication: true,
  wal_warning_bytes: 1,
};
const reading = (over: Partial<SlotReading["health"]> = {}, rest: Partial<SlotReading> = {}): SlotReading => ({
  health: {
    wal_status: "reserved",
    safe_wal_size: null,
    confirmed_lsn: "0/1",
    retained_wal_bytes: 10,
    checked_at: 0,
    ...over,
  },
  publicationExists: true,
  tableOid: 5,
  ...rest,
});

describe("slot names", () => {
  it("derive from the job, lower case, within PostgreSQL's 63 characters, with a random part", () => {
    expect(cdcObjectName("Orders_EU", "0a1b2c3d")).toBe("starbase_orders_eu_0a1b2c3d");
    expect(cdcObjectName("x".repeat(64), "0a1b2c3d")).toHaveLength(58);
    expect(randomSuffix()).toMatch(/^[0-9a-f]{8}$/);
    expect(randomSuffix()).not.toBe(randomSuffix());
  });
});

describe("slotTrouble", () => {
  it("is null for a healthy slot, even one about to lose WAL", () => {
    expect(slotTrouble(reading(), cdc)).toBeNull();
    expect(slotTrouble(reading({ wal_status: "unreserved" }), cdc)).toBeNull();
  });

  it.each([
    ["a missing slot", reading({ wal_status: "missing" }), /no longer exists/],
    ["a lost slot", reading({ wal_status: "lost" }), /invalidated \(wal_status lost\)/],
    ["a missing publication", reading({}, { publicationExists: false }), /publication pub no longer exists/],
  ])("names %s", (_label, r, message) => {
    expect(slotTrouble(r, cdc)).toMatch(message);
  });
});

describe("tableTrouble", () => {
  it("is null while the table is the one the job was created on", () => {
    expect(tableTrouble(reading(), 5, "public.t")).toBeNull();
    expect(tableTrouble(reading({}, { tableOid: null }), 5, "public.t")).toMatch(/public\.t no longer exists/);
    expect(tableTrouble(reading({}, { tableOid: 6 }), 5, "public.t")).toMatch(/dropped and created again/);
  });
});

describe("LSNs", () => {
  it("parse and print exactly, and compare as numbers", () => {
    expect(parseLsn("0/66A0C150")).toBe(0x66a0c150n);
    expect(parseLsn("1F/0")).toBe(0x1fn << 32n);
    expect(formatLsn(parseLsn("AB/66A0C150"))).toBe("AB/66A0C150");
    expect(parseLsn("0/A0") > parseLsn("0/9F")).toBe(true);
    expect(maxLsn(null, 5n)).toBe(5n);
    expect(maxLsn(7n, 5n)).toBe(7n);
    expect(() => parseLsn("16/B374D848/1")).toThrow(/not a PostgreSQL LSN/);
  });
});
