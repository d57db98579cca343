import { describe, expect, it } from "vitest";
import type { FieldValue } from "./form-fields";
import { SETTING_FIELDS, settingsBody, settingsFor } from "./settings-fields";
import type { JobView } from "./types";

const form = (values: Record<string, FieldValue>) => (name: string) => values[name];

describe("settingsBody turns a card's settings form into PATCH /replication/jobs/:name", () => {
  it("sends only what was filled in, numbers as numbers", () => {
    expect(settingsBody(form({ cron_tab: " */5 * * * * ", batch_size: "500", lookback_seconds: "" }), "pull")).toEqual({
      cron_tab: "*/5 * * * *",
      batch_size: 500,
    });
    expect(settingsBody(form({}), "pull")).toEqual({});
  });

  it("sends numbers that do not parse as typed, so the server names the field", () => {
    expect(settingsBody(form({ batch_size: "0x10", lookback_seconds: "-1" }), "pull")).toEqual({
      batch_size: "0x10",
      lookback_seconds: "-1",
    });
  });

  it("takes none for no reconciliation, all or a list for the columns, and keep or drop", () => {
    expect(
      settingsBody(
        form({ reconcile_cron: "None", soft_delete_col: "none", columns: "id, name ,", on_column_drop: "drop" }),
        "pull",
      ),
    ).toEqual({ reconcile_cron: null, soft_delete_col: null, columns: ["id", "name"], on_column_drop: "drop" });
    expect(settingsBody(form({ reconcile_cron: "0 3 * * *", columns: "all" }), "cdc")).toEqual({
      reconcile_cron: "0 3 * * *",
      columns: "all",
    });
  });

  it("leaves the pull's lookback and soft delete column out in change capture mode", () => {
    expect(settingsFor("cdc").map((f) => f.name)).not.toContain("lookback_seconds");
    expect(settingsBody(form({ lookback_seconds: "60", soft_delete_col: "deleted_at" }), "cdc")).toEqual({});
    expect(settingsBody(form({ soft_delete_col: "deleted_at" }), "pull")).toEqual({ soft_delete_col: "deleted_at" });
  });

  it("shows each setting's current value", () => {
    const job = {
      cron_tab: "*/30 * * * * *",
      batch_size: 1000,
      lookback_seconds: 300,
      reconcile_cron: null,
      soft_delete_col: "deleted_at",
      column_selection: "subset",
      columns: [{ name: "id" }, { name: "total" }],
      on_column_drop: "drop",
    } as unknown as JobView;
    expect(Object.fromEntries(SETTING_FIELDS.map((f) => [f.name, f.current(job)]))).toEqual({
      cron_tab: "*/30 * * * * *",
      batch_size: "1000",
      lookback_seconds: "300",
      reconcile_cron: "none",
      soft_delete_col: "deleted_at",
      columns: "id, total",
      on_column_drop: "drop",
    });
    expect(SETTING_FIELDS.find((f) => f.name === "columns")!.current({ ...job, column_selection: "all" })).toBe("all");
  });
});
