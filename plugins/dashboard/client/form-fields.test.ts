import { describe, expect, it } from "vitest";
import { type FieldValue, jobBody } from "./form-fields";

const form = (values: Record<string, FieldValue>) => (name: string) => values[name];

describe("jobBody turns the form into POST /replication/jobs", () => {
  const base = {
    name: " orders ",
    "source.dialect": "postgresql",
    mode: "pull",
    table_name: "orders",
    tracking_col: "updated_at",
    tracking_type: "timestamp",
    cron_tab: "*/30 * * * * *",
    active: true,
  };

  it("with host and credentials: numbers as numbers, empty optional fields left out", () => {
    const body = jobBody(
      form({
        ...base,
        "source.host": "db",
        "source.port": "5432",
        "source.user": "app",
        "source.password": " secret ",
        "source.database": "shop",
        "source.schema": "",
        "source.ssl": "",
        "source.url": "ignored in this mode",
        target_table: "",
        batch_size: "500",
        lookback_seconds: "",
        primary_key: "id, region",
        columns: "",
      }),
      "fields",
    );
    expect(body).toEqual({
      name: "orders",
      mode: "pull",
      source: { dialect: "postgresql", host: "db", port: 5432, user: "app", password: " secret ", database: "shop" },
      table_name: "orders",
      tracking_col: "updated_at",
      tracking_type: "timestamp",
      cron_tab: "*/30 * * * * *",
      batch_size: 500,
      primary_key: ["id", "region"],
    });
  });

  it("with a URL; unchecked 'start now' creates the job paused", () => {
    const body = jobBody(
      form({ ...base, "source.url": "postgres://u:p@h/db", "source.host": "ignored", active: false }),
      "url",
    );
    expect(body.source).toEqual({ dialect: "postgresql", url: "postgres://u:p@h/db" });
    expect(body.active).toBe(false);
  });

  it("sends required fields even when empty and numbers that do not parse as typed, so the server names them", () => {
    const body = jobBody(
      form({ ...base, name: "", "source.host": "", "source.port": "54x", batch_size: "-1" }),
      "fields",
    );
    expect(body.name).toBe("");
    expect(body.source).toMatchObject({ host: "", port: "54x" });
    expect(body.batch_size).toBe("-1");
  });

  it("in change capture mode: the pull's tracking settings left out, the publication sent when given", () => {
    const fields = { ...base, mode: "cdc", "source.url": "postgres://u:p@h/db", lookback_seconds: "60" };
    const body = jobBody(form({ ...fields, publication: "shop_pub" }), "url");
    expect(body).toEqual({
      name: "orders",
      mode: "cdc",
      source: { dialect: "postgresql", url: "postgres://u:p@h/db" },
      table_name: "orders",
      publication: "shop_pub",
      cron_tab: "*/30 * * * * *",
    });
    expect(jobBody(form({ ...fields, publication: "" }), "url")).not.toHaveProperty("publication");
    // And the other way round: a publication typed before switching back to pull is not sent.
    expect(jobBody(form({ ...base, publication: "shop_pub" }), "fields")).not.toHaveProperty("publication");
  });
});
