import { describe, expect, it } from "vitest";
import { backoffMs, INITIAL_PROGRESS, type Job } from "../engine/model";
import { jobView } from "./view";

const job: Job = {
  settings: {
    name: "orders",
    mode: "pull",
    source: { dialect: "postgresql", host: "h", user: "u", password: "secret-pw", database: "d" },
    table_name: "orders",
    target_table: "orders",
    tracking_col: "updated_at",
    tracking_type: "timestamp",
    primary_key: ["id"],
    cron_tab: "* * * * *",
    batch_size: 1000,
    lookback_seconds: 300,
    active: true,
  },
  sealedSource: "v1.1a2b3c4d.iv.data",
  rowHash: "md5",
  columns: [{ name: "id", sourceType: "bigint", nullable: false, sqliteType: "INTEGER" }],
  warnings: [],
  progress: { ...INITIAL_PROGRESS },
  created_at: Date.parse("2024-01-01T00:00:00Z"),
};
const live = {
  running: false,
  nextRunAt: "2024-01-01T00:01:00.000Z",
  replicaRows: 42,
  now: Date.parse("2024-01-01T00:10:00Z"),
};

describe("jobView", () => {
  it("answers settings, status and no secret", () => {
    const view = jobView(
      {
        ...job,
        progress: {
          ...job.progress,
          cursor: { tracking: "2024-01-01T00:09:00.000000Z", key: [5] },
          synced_as_of: Date.parse("2024-01-01T00:09:30Z"),
        },
      },
      live,
    );
    expect(view.source).toMatchObject({ password: "***" });
    expect(view.credentials).toEqual({ encrypted: true, key_id: "1a2b3c4d" });
    expect(JSON.stringify(view)).not.toContain("secret-pw");
    expect(view).toMatchObject({ reconcile_cron: null, soft_delete_col: null, status: { verify: null } });
    expect(view.status).toMatchObject({
      state: "idle",
      cursor: { tracking: "2024-01-01T00:09:00.000000Z", key: [5] },
      synced_as_of: "2024-01-01T00:09:30.000Z",
      lag_seconds: 30,
      next_run_at: live.nextRunAt,
    });
    expect(Object.keys(view.status).sort()).toEqual(
      [
        "consecutive_failures",
        "cursor",
        "lag_seconds",
        "synced_as_of",
        "last_error",
        "last_run_at",
        "last_success_at",
        "next_run_at",
        "recopy",
        "replica_rows",
        "retry_at",
        "rows_synced",
        "state",
        "verify",
        "cdc",
      ].sort(),
    );
  });

  it("says while rows are copied again after a column change, and shows schema warnings", () => {
    const view = jobView(
      {
        ...job,
        schema: {
          kept: ["old"],
          warnings: ['the replica keeps column "old"'],
          recopy: { columns: ["region"], after: { tracking: 7, key: [] }, rows: 7, started_at: live.now },
        },
      },
      live,
    );
    expect(view.status.recopy).toEqual({
      first_copy: false,
      columns: ["region"],
      rows_copied: 7,
      started_at: "2024-01-01T00:10:00.000Z",
    });
    expect(view.warnings).toEqual([
      'the replica keeps column "old"',
      expect.stringMatching(/\(region\): rows copied before are being copied again \(7 so far\)/),
    ]);
    expect(jobView(job, live).status.recopy).toBeNull();
  });

  it.each([
    [{ running: true }, {}, "running"],
    [{}, { active: false }, "paused"],
    [{}, {}, "idle"],
  ])("state with %j and settings %j is %s", (liveChange, settingsChange, state) => {
    const view = jobView({ ...job, settings: { ...job.settings, ...settingsChange } }, { ...live, ...liveChange });
    expect(view.status.state).toBe(state);
  });

  it("is failing after a failed run, and paused wins over failing", () => {
    const failed = { ...job, progress: { ...job.progress, consecutive_failures: 2 } };
    expect(jobView(failed, live).status.state).toBe("failing");
    expect(jobView({ ...failed, settings: { ...failed.settings, active: false } }, live).status).toMatchObject({
      state: "paused",
      next_run_at: null,
    });
  });
});

describe("jobView of a change capture job", () => {
  const cdcJob: Job = {
    ...job,
    settings: {
      ...job.settings,
      mode: "cdc",
      tracking_col: null,
      tracking_type: null,
      cdc: { slot: "s", publication: "p", owns_publication: true, wal_warning_bytes: 1 },
    },
  };
  const cdc = (snapshot: boolean) => ({
    status: { slot: "s", publication: "p", confirmed_lsn: "0/1", retained_wal_bytes: 5, wal_status: "reserved" },
    snapshot,
    warnings: ["a live warning"],
  });

  it("shows its mode, its slot's status and its live warnings", () => {
    const view = jobView(cdcJob, { ...live, cdc: cdc(false) });
    expect(view).toMatchObject({ mode: "cdc", tracking_col: null, tracking_type: null, warnings: ["a live warning"] });
    expect(view.status.cdc).toEqual(cdc(false).status);
    expect(jobView(job, live)).toMatchObject({ mode: "pull", status: { cdc: null } });
  });

  it.each([
    [{ running: true }, {}, true, "snapshot"],
    [{}, {}, true, "snapshot"],
    [{ running: true }, {}, false, "running"],
    [{}, { active: false }, true, "paused"],
    [{}, {}, false, "idle"],
  ])("state with %j, settings %j and snapshot %s is %s", (liveChange, settingsChange, snapshot, state) => {
    const view = jobView(
      { ...cdcJob, settings: { ...cdcJob.settings, ...settingsChange } },
      { ...live, ...liveChange, cdc: cdc(snapshot) },
    );
    expect(view.status.state).toBe(state);
  });
});

describe("backoffMs", () => {
  it("doubles from 10 s and stops at 30 minutes", () => {
    expect([0, 1, 2, 3, 8, 9, 50].map(backoffMs)).toEqual([0, 10_000, 20_000, 40_000, 1_280_000, 1_800_000, 1_800_000]);
  });
});
