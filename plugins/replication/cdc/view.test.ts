import { describe, expect, it } from "vitest";
import type { CdcSettings } from "../engine/settings";
import type { CdcState } from "./store";
import { cdcStatus, cdcWarnings, formatBytes, inSnapshot } from "./view";

const cdc: CdcSettings = { slot: "s", publication: "p", owns_publication: true, wal_warning_bytes: 1024 ** 3 };
const state = (retained: number | null, wal_status = "reserved", phase: CdcState["phase"] = "streaming"): CdcState => ({
  phase,
  snapshot_table: null,
  snapshot_end_lsn: "0/1",
  applied_lsn: null,
  partial_lsn: null,
  partial_changes: 0,
  schema: "public",
  table_oid: 1,
  source_columns: [{ name: "id", type_oid: 20 }],
  slot_health: { confirmed_lsn: "0/5", retained_wal_bytes: retained, wal_status, safe_wal_size: null, checked_at: 0 },
});

describe("change capture status", () => {
  it("shows the slot, its publication and its health as last read", () => {
    expect(cdcStatus(cdc, state(2048))).toEqual({
      slot: "s",
      publication: "p",
      confirmed_lsn: "0/5",
      retained_wal_bytes: 2048,
      wal_status: "reserved",
    });
    expect(cdcStatus(cdc, undefined)).toMatchObject({ confirmed_lsn: null, wal_status: null });
    expect(inSnapshot(state(0, "reserved", "snapshot"))).toBe(true);
    expect(inSnapshot(state(0))).toBe(false);
  });

  it("warns past the retention threshold, while paused, and about a slot in danger or gone", () => {
    expect(cdcWarnings(cdc, state(1024 ** 3), true)).toEqual([]);
    expect(cdcWarnings(cdc, state(1024 ** 3 + 1), true)).toEqual([
      expect.stringMatching(/retains 1\.0 GiB of WAL.*over wal_warning_bytes \(1\.0 GiB\)/),
    ]);
    expect(cdcWarnings(cdc, state(5 * 1024 ** 2), false)).toEqual([
      expect.stringMatching(/^paused: replication slot s keeps the source's WAL .*\(5\.0 MiB now\)/),
    ]);
    expect(cdcWarnings(cdc, state(0, "unreserved"), true)).toEqual([expect.stringMatching(/about to lose WAL/)]);
    expect(cdcWarnings(cdc, state(null, "missing"), true)).toEqual([expect.stringMatching(/is gone: the next run/)]);
  });

  it("formats bytes", () => {
    expect(formatBytes(12)).toBe("12 bytes");
    expect(formatBytes(1536)).toBe("1.5 KiB");
  });
});
