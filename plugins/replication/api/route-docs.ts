import type { RouteDoc } from "../../../src/http/route-docs";
import { createJobBodyDoc, patchJobBodyDoc } from "./bodies";

const TRUE_FALSE = ["true", "false"] as const;

/** The REST API as the OpenAPI document shows it; test/e2e/openapi.test.ts checks it lists every route. */
export const REPLICATION_ROUTE_DOCS: readonly RouteDoc[] = [
  {
    method: "post",
    path: "/replication/jobs",
    summary: "Create a job, checked against the source first; an active job starts copying",
    access: "admin",
    body: createJobBodyDoc,
    status: 201,
  },
  { method: "get", path: "/replication/jobs", summary: "Every job with its status", access: "admin" },
  { method: "get", path: "/replication/jobs/:name", summary: "One job with its status", access: "admin" },
  {
    method: "patch",
    path: "/replication/jobs/:name",
    summary:
      "Change cron_tab, batch_size, lookback_seconds, late_commits, source, active, columns, on_column_drop, reconcile_cron, soft_delete_col or wal_warning_bytes",
    access: "admin",
    body: patchJobBodyDoc,
  },
  {
    method: "delete",
    path: "/replication/jobs/:name",
    summary: "Delete the job and its cron task (mode cdc: and its replication slot and publication at the source)",
    access: "admin",
    query: [{ name: "drop_table", description: "also drop the replica table", values: TRUE_FALSE }],
  },
  {
    method: "post",
    path: "/replication/jobs/:name/run",
    summary: "Run now; answers when the run ends (409 while one runs)",
    access: "admin",
  },
  { method: "post", path: "/replication/jobs/:name/pause", summary: "Take the job off its schedule", access: "admin" },
  {
    method: "post",
    path: "/replication/jobs/:name/resume",
    summary: "Put the job back on its schedule",
    access: "admin",
  },
  {
    method: "post",
    path: "/replication/jobs/:name/reset",
    summary: "Cursor back to the start (mode cdc: the table is copied again)",
    access: "admin",
    query: [{ name: "truncate", description: "also empty the replica", values: TRUE_FALSE }],
  },
  { method: "get", path: "/replication/jobs/:name/runs", summary: "The last 50 runs", access: "admin" },
  {
    method: "post",
    path: "/replication/jobs/:name/verify",
    summary: "Compare the replica with the source by primary key, changing nothing (409 while a run is in progress)",
    access: "admin",
    query: [
      { name: "repair", description: "also delete extra rows and copy missing and differing ones", values: TRUE_FALSE },
      {
        name: "values",
        description:
          "compare every copied value of the rows on both sides, not only their stored row hashes (reads every source row)",
        values: TRUE_FALSE,
      },
    ],
  },
];
