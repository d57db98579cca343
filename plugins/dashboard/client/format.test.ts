import { describe, expect, it } from "vitest";
import {
  formatBytes,
  formatMs,
  formatRelative,
  formatSeconds,
  jobMode,
  needsRepair,
  replicaRows,
  runDurationMs,
  sourceSummary,
} from "./format";
import type { JobView, RunView } from "./types";

const job = (overrides: Partial<JobView> = {}, status: Partial<JobView["status"]> = {}): JobView => ({
  name: "orders",
  source: { dialect: "postgresql", host: "db.example.com", port: 5432, user: "app", password: "***", database: "shop" },
  table_name: "orders",
  target_table: "orders_copy",
  tracking_col: "updated_at",
  tracking_type: "timestamp",
  primary_key: ["id"],
  cron_tab: "* * * * *",
  batch_size: 1000,
  lookback_seconds: 300,
  active: true,
  created_at: "2026-01-01T00:00:00.000Z",
  ...overrides,
  status: {
    state: "idle",
    rows_synced: 120,
    last_run_at: null,
    last_error: null,
    next_run_at: null,
    lag_seconds: null,
    ...status,
  },
});

describe("durations", () => {
  it.each([
    [0, "0 s"],
    [42.4, "42 s"],
    [60, "1 min"],
    [185, "3 min 5 s"],
    [7800, "2 h 10 min"],
    [3 * 86_400 + 4 * 3600 + 59, "3 d 4 h"],
    [null, "—"],
  ])("formatSeconds(%s) = %s", (seconds, text) => expect(formatSeconds(seconds)).toBe(text));

  it.each([
    [35, "35 ms"],
    [1234, "1.2 s"],
    [65_000, "1 min 5 s"],
    [undefined, "—"],
  ])("formatMs(%s) = %s", (ms, text) => expect(formatMs(ms)).toBe(text));

  it("relative times say ago, in, or now", () => {
    const now = Date.parse("2026-01-01T12:00:00Z");
    expect(formatRelative("2026-01-01T11:59:30Z", now)).toBe("30 s ago");
    expect(formatRelative("2026-01-01T12:02:00Z", now)).toBe("in 2 min");
    expect(formatRelative("2026-01-01T12:00:00.300Z", now)).toBe("now");
    expect(formatRelative(null, now)).toBe("—");
  });

  it("bytes in binary units", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(200 * 1024 * 1024)).toBe("200 MiB");
  });
});

describe("a job's figures", () => {
  it("rows in the replica: the table's count when given, else the rows runs wrote", () => {
    expect(replicaRows(job())).toBe(120);
    expect(replicaRows(job({}, { replica_rows: 100 }))).toBe(100);
    expect(replicaRows(job({}, { replica_rows: 0 }))).toBe(0);
    expect(replicaRows(job({}, { replica_rows: null }))).toBe(120);
  });

  it("mode is pull unless the job says otherwise", () => {
    expect(jobMode(job())).toBe("pull");
    expect(jobMode(job({ mode: "cdc" }))).toBe("cdc");
  });

  it("the source shows where and what, never who or a password", () => {
    expect(sourceSummary(job())).toEqual({
      dialect: "postgresql",
      location: "db.example.com:5432",
      database: "shop",
      table: "public.orders",
    });
    const url = sourceSummary(job({ source: { dialect: "mysql", url: "mysql://app:***@my.example.com:3306/shop" } }));
    expect(url).toEqual({ dialect: "mysql", location: "my.example.com:3306", database: "shop", table: "orders" });
    expect(JSON.stringify(url)).not.toContain("app");
    expect(sourceSummary(job({ source: { dialect: "postgresql", secret: "PG_URL", schema: "sales" } }))).toEqual({
      dialect: "postgresql",
      location: "secret PG_URL",
      database: "",
      table: "sales.orders",
    });
    expect(sourceSummary(job({ source: { dialect: "postgresql", hyperdrive: "HD" } })).location).toBe("Hyperdrive HD");
  });

  it("a run's duration: its own figure, else end minus start, none while running", () => {
    const run: RunView = {
      id: 1,
      trigger: "cron",
      started_at: "2026-01-01T00:00:00.000Z",
      ended_at: "2026-01-01T00:00:01.250Z",
      rows: 5,
      error: null,
    };
    expect(runDurationMs(run)).toBe(1250);
    expect(runDurationMs({ ...run, duration_ms: 40 })).toBe(40);
    expect(runDurationMs({ ...run, ended_at: null })).toBeNull();
  });

  it("offers Repair after a verify that found differences, until a whole repair of them", () => {
    const found = { source_rows: 10, replica_rows: 9, missing: 1, extra: 0, differing: 0 };
    expect(needsRepair(null)).toBe(false);
    expect(needsRepair({ ...found, missing: 0 })).toBe(false);
    expect(needsRepair(found)).toBe(true);
    expect(needsRepair({ ...found, missing: 0, extra: 2 })).toBe(true);
    expect(needsRepair({ ...found, repaired: true })).toBe(false);
    expect(needsRepair({ ...found, repaired: true, done: false })).toBe(true);
    expect(needsRepair({ ...found, repaired: false })).toBe(true);
  });
});
